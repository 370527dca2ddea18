"""Reader benchmarks: the sample with 5,000 overlapping annotations from 50 members and
20,000 replies (make bench; not part of make test).

Figures are ratios measured in the same run, so they mean the same on any machine.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotate.anchoring import quote_at
from annotate.models import Annotation, Document, Reply
from annotate.services.documents import document_import
from core.models import Membership, Role, Seminar, User

pytestmark = pytest.mark.django_db
SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "annotate"
    / "samples"
    / ("hungarian-revolution-1956-superpowers.ocr.txt")
)
KINDS = ["highlight", "comment", "question", "claim"]
TAGS = ["dulles", "soviet-decision", "sources", "un", "detente", "kadar", "ocr"]


def median_ms(action: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


@pytest.fixture
def busy_seminar() -> tuple[Seminar, Document, Document, list[User]]:
    rng = random.Random(1956)
    password = make_password("bench-password-1956")
    users = User.objects.bulk_create(
        User(username=f"m{i:02}", display_name=f"Member {i}", password=password) for i in range(50)
    )
    seminar = Seminar.objects.create(name="Busy", slug="busy")
    Membership.objects.bulk_create(
        Membership(seminar=seminar, user=u, role=Role.OWNER if i == 0 else Role.MEMBER)
        for i, u in enumerate(users)
    )
    text = SAMPLE.read_text()
    busy = document_import(
        seminar=seminar, user=users[0], title="Busy", source_text=text, format="ocr"
    )
    quiet = document_import(
        seminar=seminar, user=users[0], title="Quiet", source_text=text, format="ocr"
    )
    revision = busy.current
    assert revision is not None
    paragraphs = [b for b in revision.blocks if b["kind"] == "paragraph"]
    now = timezone.now()
    notes = []
    for i in range(5000):
        block = rng.choice(paragraphs)
        start = rng.randrange(block["start"], block["end"] - 3)
        end = min(block["end"], start + rng.randint(3, 200))
        quote = quote_at(revision.text, start, end)
        notes.append(
            Annotation(
                seminar=seminar,
                document=busy,
                revision=revision,
                made_on=revision,
                start=start,
                end=end,
                exact=quote.exact,
                prefix=quote.prefix,
                suffix=quote.suffix,
                kind=KINDS[i % 4],
                body="" if i % 4 == 0 else f"Note {i} on the passage.",
                tags=rng.sample(TAGS, 2),
                author=users[i % 50],
                visibility="private" if i % 10 == 0 else "seminar",
                created_at=now,
                modified_at=now,
            )
        )
    notes = Annotation.objects.bulk_create(notes, batch_size=1000)
    Reply.objects.bulk_create(
        (
            Reply(
                annotation=notes[i % 5000],
                author=users[(i * 7) % 50],
                body=f"Reply {i}.",
                created_at=now,
                modified_at=now,
            )
            for i in range(20000)
        ),
        batch_size=2000,
    )
    return seminar, busy, quiet, users


def test_reader_with_5000_annotations(
    busy_seminar: tuple[Seminar, Document, Document, list[User]],
) -> None:
    _, busy, quiet, users = busy_seminar
    client = Client()
    client.force_login(users[1])

    def page(document: Document) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(document.get_absolute_url())
        assert response.status_code == 200
        return len(queries), len(response.content)

    from django.core.cache import cache

    cold: list[float] = []
    for _ in range(5):  # the whole page computed afresh: no cached highlights
        cache.clear()
        cold.append(median_ms(lambda: client.get(busy.get_absolute_url()), 1))
    cache.clear()

    def quiet_afresh() -> None:
        cache.clear()
        client.get(quiet.get_absolute_url())

    quiet_cold = median_ms(quiet_afresh, 5)
    print(
        f"\nreader, computed afresh: median {statistics.median(cold):.0f} ms with 5,000 "
        f"annotations, {quiet_cold:.0f} ms without; ratio "
        f"{statistics.median(cold) / quiet_cold:.2f}"
    )
    page(busy), page(quiet)  # warm caches
    busy_queries, busy_bytes = page(busy)
    quiet_queries, quiet_bytes = page(quiet)
    busy_ms = median_ms(lambda: client.get(busy.get_absolute_url()), 7)
    quiet_ms = median_ms(lambda: client.get(quiet.get_absolute_url()), 7)
    marks = client.get(busy.get_absolute_url()).content.count(b"<mark")
    print(
        f"reader: 5,000 annotations, 20,000 replies: {busy_queries} queries, "
        f"{busy_bytes / 1024:.0f} KB ({marks} marks), median {busy_ms:.0f} ms"
    )
    print(
        f"reader: no annotations: {quiet_queries} queries, {quiet_bytes / 1024:.0f} KB, "
        f"median {quiet_ms:.0f} ms; time ratio {busy_ms / quiet_ms:.2f}"
    )
    assert busy_queries == quiet_queries
    assert busy_bytes < 400 * 1024
    assert busy_ms < 3 * quiet_ms

    # Creating an annotation through htmx.
    create = reverse("annotation-create", args=[busy.seminar.slug, busy.pk])
    rng = random.Random(7)
    assert busy.current is not None
    length = len(busy.current.text)

    def post() -> None:
        start = rng.randrange(0, length - 100)
        response = client.post(
            create,
            {
                "start": start,
                "end": start + 40,
                "base": busy.current.number,  # type: ignore[union-attr]
                "kind": "comment",
                "visibility": "seminar",
                "body": "A new note.",
            },
            headers={"HX-Request": "true"},
        )
        assert response.status_code in (201, 422), response.content[:300]

    post_ms = median_ms(post, 30)
    print(f"create an annotation through htmx: median {post_ms:.1f} ms")
    assert post_ms < 50

    # An idle reader polling for changes.
    changes = reverse("annotation-changes", args=[busy.seminar.slug, busy.pk])
    since = timezone.now().isoformat()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(changes, {"since": since}).status_code == 204
    poll_queries = len(queries)  # now: the log is a ring buffer that later requests rotate
    idle_ms = median_ms(lambda: client.get(changes, {"since": since}), 50)
    print(
        f"idle reader poll (nothing new): {poll_queries} queries, median {idle_ms:.1f} ms; "
        f"at one poll every 4 s that is {idle_ms / 4000 * 100:.2f}% of one core per reader"
    )

    # A reader polling while others write: one annotation changed since its last look, six
    # cards open in its panel (what most polls in `make load` are).
    # A shared one: a change to another member's private note is no news to this reader.
    changed = Annotation.objects.filter(document=busy, visibility="seminar").order_by("pk")[2500]
    cards = ",".join(
        str(pk) for pk in Annotation.objects.filter(document=busy).values_list("pk", flat=True)[:6]
    )

    def changed_poll() -> Any:
        Annotation.objects.filter(pk=changed.pk).update(modified_at=timezone.now())
        since = (timezone.now() - timedelta(seconds=1)).isoformat()
        response = client.get(
            changes, {"since": since, "cards": cards}, headers={"HX-Request": "true"}
        )
        assert response.status_code == 200
        return response

    with CaptureQueriesContext(connection) as queries:
        changed_poll()
    changed_queries = len(queries) - 1  # not the UPDATE
    changed_ms = median_ms(changed_poll, 30)
    print(
        f"reader poll after a change: {changed_queries} queries, median {changed_ms:.1f} ms "
        f"(idle: {idle_ms:.1f} ms)"
    )
    assert changed_queries <= 10
