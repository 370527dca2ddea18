"""Export floods (security probe M2): a cap on each member's queued and running jobs, an hourly
rate limit, and one job per member with Celery at a time, so one member's burst never queues
in front of everyone else's exports. Through the API, as the probe asked, and the service.

The jobs sent here go to a queue no worker reads (`parked`): they stay queued for as long as a
test needs them to, and a test ends one by running the task's body itself.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from annotate.models import Document, ExportJob
from annotate.services import exports
from core.celery import app
from core.errors import TooManyRequests
from core.models import User

pytestmark = pytest.mark.django_db(transaction=True)  # jobs are sent once their row commits
PARKED = "exports-parked"
FULL = "You have 3 exports waiting or running; wait for one to finish."


@pytest.fixture
def parked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The ids of the jobs handed to Celery, in order; their messages wait in PARKED."""
    from annotate.tasks import build_export

    sent: list[int] = []

    def enqueue(job: ExportJob) -> None:
        def send() -> None:
            build_export.apply_async((job.pk,), queue=PARKED)
            sent.append(job.pk)

        transaction.on_commit(send)

    monkeypatch.setattr(exports, "_enqueue", enqueue)
    yield sent
    with app.connection_for_write() as broker:
        broker.default_channel.queue_purge(PARKED)


@pytest.fixture(autouse=True)
def _cap(settings: Any, tmp_path: Path) -> None:
    settings.EXPORT_MAX_ACTIVE = 3
    settings.MEDIA_ROOT = str(tmp_path)


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ask(client: APIClient, document: Document, **options: Any) -> Any:
    """The probe's request: a PDF edition, options varied so that no two are the same job."""
    return client.post(
        "/api/v1/exports/",
        {"kind": "edition", "document": document.pk, "format": "pdf", "options": options},
        format="json",
    )


def test_a_fourth_export_waiting_or_running_is_refused_and_nothing_is_made(
    parked: list[int], document: Document, roles: dict[str, User]
) -> None:
    rosa = api(roles["member"])
    first, second, third = (ask(rosa, document, tag=f"t{i}") for i in range(3))
    assert [r.status_code for r in (first, second, third)] == [202, 202, 202]
    refused = ask(rosa, document, claims_only=True)
    assert refused.status_code == 429
    assert refused.json() == {"detail": FULL, "code": "rate_limited"}
    assert refused["Retry-After"] == str(exports.FULL_RETRY_AFTER)
    assert ExportJob.objects.count() == 3
    # Asking again for one of the three is not a new job: that job, not a refusal.
    again = ask(rosa, document, tag="t1")
    assert again.status_code == 202 and again.json()["id"] == second.json()["id"]
    # The cap is each member's own.
    assert ask(api(roles["moderator"]), document).status_code == 202
    # Once one of the three has ended, there is room for one more.
    exports.export_failed(job_id=first.json()["id"], error=RuntimeError("the store refused it"))
    assert ask(rosa, document, claims_only=True).status_code == 202
    assert ask(rosa, document, log=True).status_code == 429
    assert ExportJob.objects.filter(requested_by=roles["member"]).count() == 4


def test_thirty_two_requests_at_once_make_three_jobs(
    parked: list[int], document: Document, roles: dict[str, User]
) -> None:
    """The probe's 32 requests, sent together: the member's row is locked while the jobs are
    counted, so no two requests both see room for one more."""
    start = threading.Barrier(32)
    answers: list[int] = []

    def request(i: int) -> None:
        try:
            client = api(roles["member"])
            start.wait()
            answers.append(ask(client, document, tag=f"t{i}").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=request, args=(i,)) for i in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert Counter(answers) == {202: 3, 429: 29}
    assert ExportJob.objects.count() == 3
    assert len(parked) == 1  # and of the three, only one went to Celery


def test_past_the_hourly_limit_requests_are_refused(
    parked: list[int], document: Document, roles: dict[str, User], settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "export": (2, 3600)}
    settings.EXPORT_MAX_ACTIVE = 10
    rosa = api(roles["member"])
    assert [ask(rosa, document, tag=f"t{i}").status_code for i in range(2)] == [202, 202]
    refused = ask(rosa, document, tag="t2")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.json()["detail"].startswith("Too many exports: at most 2 in 1 hour.")
    assert ExportJob.objects.count() == 2
    # Retrying a failed export is asking for one again: it counts, and is refused too.
    failed = ExportJob.objects.order_by("pk").first()
    assert failed is not None
    exports.export_failed(job_id=failed.pk, error=RuntimeError("the store refused it"))
    with pytest.raises(TooManyRequests, match="Too many exports"):
        exports.export_retry(job=failed, user=roles["member"])
    failed.refresh_from_db()
    assert failed.status == ExportJob.Status.FAILED


def test_a_member_has_one_job_with_celery_at_a_time_and_the_next_follows_each_end(
    parked: list[int], document: Document, roles: dict[str, User]
) -> None:
    rosa, mona = roles["member"], roles["moderator"]

    def request(user: User, **options: Any) -> ExportJob:
        return exports.export_request(
            user=user, kind="edition", format="markdown", document=document, options=options
        )

    one, two, three = (request(rosa, tag=f"t{i}") for i in range(3))
    assert parked == [one.pk]
    assert list(
        ExportJob.objects.filter(pk__in=[two.pk, three.pk]).values_list("dispatched_at", flat=True)
    ) == [None, None]
    theirs = request(mona)  # another member's export goes straight to Celery
    assert parked == [one.pk, theirs.pk]

    exports.export_run(job_id=one.pk)  # built: the next of hers goes
    assert parked == [one.pk, theirs.pk, two.pk]
    exports.export_failed(job_id=two.pk, error=RuntimeError("no room"))  # failed: the next
    assert parked == [one.pk, theirs.pk, two.pk, three.pk]
    # A retry waits its turn like a new request: `three` is with Celery.
    exports.export_retry(job=ExportJob.objects.get(pk=two.pk), user=rosa)
    assert parked[-1] == three.pk
    exports.export_run(job_id=three.pk)
    assert parked[-1] == two.pk
    exports.export_run(job_id=two.pk)
    # Nothing left to send; a message delivered again sends nothing twice.
    exports.export_run(job_id=two.pk)
    assert Counter(parked) == {one.pk: 1, theirs.pk: 1, two.pk: 2, three.pk: 1}


def test_the_sweep_sends_what_a_lost_message_left_waiting(
    parked: list[int], document: Document, roles: dict[str, User], settings: Any
) -> None:
    rosa, mona = roles["member"], roles["moderator"]
    first = exports.export_request(user=rosa, kind="edition", format="html", document=document)
    waiting = exports.export_request(
        user=rosa, kind="edition", format="markdown", document=document
    )
    theirs = exports.export_request(user=mona, kind="edition", format="html", document=document)
    assert parked == [first.pk, theirs.pk]
    assert exports.exports_sweep() == 0  # all in order: nothing to send

    # Rosa's first ended, but the worker could not send the next (the broker was away).
    ExportJob.objects.filter(pk=first.pk).update(status=ExportJob.Status.SUCCEEDED)
    # Mona's message was lost with the broker's data: sent long ago, never started.
    long_ago = timezone.now() - timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT + 1)
    ExportJob.objects.filter(pk=theirs.pk).update(dispatched_at=long_ago)
    assert exports.exports_sweep() == 2
    assert sorted(parked[2:]) == sorted([waiting.pk, theirs.pk])
    theirs.refresh_from_db()
    assert theirs.dispatched_at is not None and theirs.dispatched_at > long_ago
    assert exports.exports_sweep() == 0


def test_an_export_held_back_while_the_queue_is_away_fails_saying_so(
    parked: list[int], monkeypatch: pytest.MonkeyPatch, document: Document, roles: dict[str, User]
) -> None:
    rosa = roles["member"]
    exports.export_request(user=rosa, kind="edition", format="html", document=document)
    with monkeypatch.context() as patch:
        patch.setitem(app.conf, "broker_write_url", "redis://127.0.0.1:9/0")  # nobody there
        held = exports.export_request(user=rosa, kind="edition", format="tei", document=document)
    held.refresh_from_db()
    assert (held.status, held.error) == (ExportJob.Status.FAILED, exports.NOT_QUEUED)
