"""Editors racing: k clients holding the same version of one annotation (or reply) save at the
same instant; exactly one wins, the others are told it changed (409 on the page, 412 for the
API's If-Match), and no edit is lost. Disputes and rulings raced the same way.

Real threads, each with its own PostgreSQL connection, through the real views. `make test`
runs a few dozen rounds; `make faults` a thousand.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from annotate.models import (
    Annotation,
    ClaimStatusChange,
    Dispute,
    Document,
    ModerationEvent,
    Reply,
    Ruling,
)
from annotate.services import annotations as notes
from annotate.services import moderation
from core.models import Role, User
from tests.factories import member
from tests.faults.conftest import report

pytestmark = pytest.mark.django_db(transaction=True)  # each thread its own connection
EDITORS = 4
LD = "application/ld+json"
Contender = Callable[[int], int]  # round → HTTP status


def race(
    rounds: int, contenders: list[Contender], before: Callable[[int], None]
) -> list[list[int]]:
    """Run every contender at once, `rounds` times; each round starts when all are ready.

    `before(round)` runs alone between rounds (to read or make what the round races for).
    Returns the statuses, one list per round in contender order (0: the call raised).
    """
    start = threading.Barrier(len(contenders) + 1, timeout=120)
    done = threading.Barrier(len(contenders) + 1, timeout=120)
    statuses = [[0] * len(contenders) for _ in range(rounds)]
    errors: list[BaseException] = []

    def run(index: int, contender: Contender) -> None:
        try:
            for number in range(rounds):
                start.wait()
                try:
                    statuses[number][index] = contender(number)
                except Exception as error:
                    errors.append(error)
                done.wait()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, contender), daemon=True)
        for i, contender in enumerate(contenders)
    ]
    for thread in threads:
        thread.start()
    for number in range(rounds):
        before(number)
        start.wait()
        done.wait()
    for thread in threads:
        thread.join(30)
    assert not errors, errors[:3]
    return statuses


def browser_of(user: User) -> APIClient:
    """A client signed in as `user` (pages and API alike), for one thread."""
    client = APIClient()
    client.force_login(user)
    return client


def rounds_for(quick: int, long: int) -> list[Any]:
    """A few rounds in make test, many in make faults."""
    return [
        pytest.param(quick, id=str(quick)),
        pytest.param(long, id=str(long), marks=pytest.mark.faults),
    ]


@pytest.mark.parametrize("rounds", rounds_for(50, 1000))
def test_editors_holding_one_version_of_an_annotation_one_wins_none_lost(
    rounds: int, document: Document, roles: dict[str, User]
) -> None:
    author = roles["member"]
    annotation = notes.annotation_create(
        document=document, user=author, start=0, end=8, body="First thoughts."
    )
    slug = document.seminar.slug
    page = f"/s/{slug}/texts/{document.pk}/annotations/{annotation.pk}/edit/"
    api = f"/api/v1/seminars/{slug}/annotations/{annotation.pk}/"
    as_read = browser_of(author).get(api).json()
    held = {"version": 0}

    def on_page(editor: int) -> Contender:
        client = browser_of(author)  # the author in another tab

        def edit(number: int) -> int:
            form = {
                "kind": "comment",
                "body": f"Round {number}: editor {editor}.",
                "tags": "",
                "visibility": "seminar",
                "version": held["version"],
            }
            return client.post(page, form, headers={"HX-Request": "true"}).status_code

        return edit

    def through_api(editor: int) -> Contender:
        client = browser_of(author)  # the author's own script

        def edit(number: int) -> int:
            payload = {
                **as_read,
                "body": [
                    {
                        "type": "TextualBody",
                        "value": f"Round {number}: editor {editor}.",
                        "purpose": "commenting",
                    }
                ],
            }
            tag = f'W/"{annotation.pk}-{held["version"]}"'
            return client.put(
                api, json.dumps(payload), content_type=LD, headers={"If-Match": tag}
            ).status_code

        return edit

    contenders = [(on_page if i % 2 == 0 else through_api)(i) for i in range(EDITORS)]
    stale = [409 if i % 2 == 0 else 412 for i in range(EDITORS)]  # page: 409; If-Match: 412
    bodies: list[str] = []  # what each round's winner wrote, read back after the round

    def before(number: int) -> None:
        version, body = Annotation.objects.values_list("version", "body").get(pk=annotation.pk)
        held["version"] = version
        bodies.append(body)

    first, started = annotation.version, time.monotonic()
    statuses = race(rounds, contenders, before)
    seconds = time.monotonic() - started
    annotation.refresh_from_db()
    bodies = [*bodies[1:], annotation.body]
    winners = [[i for i, s in enumerate(round) if s == 200] for round in statuses]
    lost = [
        number
        for number, (won, body) in enumerate(zip(winners, bodies, strict=True))
        if len(won) == 1 and body != f"Round {number}: editor {won[0]}."
    ]
    report(
        f"annotation edit races: {rounds} rounds of {EDITORS} editors (page and API), "
        f"{sum(len(w) == 1 for w in winners)} with exactly one winner, refusals "
        f"{dict(Counter(s for round in statuses for s in round if s != 200))}, "
        f"{len(lost)} lost updates, version {first} → {annotation.version}, {seconds:.1f} s"
    )
    assert all(len(won) == 1 for won in winners), [w for w in winners if len(w) != 1][:5]
    for round in statuses:
        assert all(s == stale[i] for i, s in enumerate(round) if s != 200), round
    # No lost update: each round made exactly one version, holding its winner's words.
    assert not lost, lost[:5]
    assert annotation.version == first + rounds


@pytest.mark.parametrize("rounds", rounds_for(10, 200))
def test_editors_holding_one_version_of_a_reply_one_wins_none_lost(
    rounds: int, document: Document, roles: dict[str, User]
) -> None:
    author = roles["member"]
    annotation = notes.annotation_create(
        document=document, user=roles["owner"], start=0, end=8, body="A note."
    )
    reply = notes.reply_create(annotation=annotation, user=author, body="A reply.")
    slug = document.seminar.slug
    page = f"/s/{slug}/texts/{document.pk}/annotations/{annotation.pk}/replies/{reply.pk}/edit/"
    api = f"/api/v1/seminars/{slug}/annotations/{annotation.pk}/replies/{reply.pk}/"
    as_read = browser_of(author).get(api).json()
    held = {"version": 0}

    def contender(editor: int) -> Contender:
        client = browser_of(author)

        def edit(number: int) -> int:
            body = f"Round {number}: editor {editor}."
            if editor % 2 == 0:
                form = {"body": body, "version": held["version"]}
                return client.post(page, form, headers={"HX-Request": "true"}).status_code
            payload = {**as_read, "body": {"type": "TextualBody", "value": body}}
            tag = f'W/"r{reply.pk}-{held["version"]}"'
            return client.put(
                api, json.dumps(payload), content_type=LD, headers={"If-Match": tag}
            ).status_code

        return edit

    def before(number: int) -> None:
        held["version"] = Reply.objects.values_list("version", flat=True).get(pk=reply.pk)

    first = reply.version
    statuses = race(rounds, [contender(i) for i in range(EDITORS)], before)
    reply.refresh_from_db()
    stale = [409 if i % 2 == 0 else 412 for i in range(EDITORS)]
    report(
        f"reply edit races: {rounds} rounds of {EDITORS} editors, statuses "
        f"{dict(Counter(s for round in statuses for s in round))}"
    )
    for round in statuses:
        assert round.count(200) == 1, round
        assert all(s == stale[i] for i, s in enumerate(round) if s != 200), round
    assert reply.version == first + rounds
    winner = statuses[-1].index(200)
    assert reply.body == f"Round {rounds - 1}: editor {winner}."


@pytest.mark.parametrize("rounds", rounds_for(5, 100))
def test_members_disputing_one_claim_at_once_open_one_dispute_each(
    rounds: int, document: Document, roles: dict[str, User]
) -> None:
    disputers = [member(document.seminar, Role.MEMBER, username=f"critic{i}") for i in range(4)]
    claim = {"id": 0}

    def contender(user: User) -> Contender:
        client = browser_of(user)

        def dispute(number: int) -> int:
            body = {"grounds": "other", "statement": f"{user.username} disagrees."}
            return client.post(
                f"/api/v1/claims/{claim['id']}/disputes/", body, format="json"
            ).status_code

        return dispute

    made: list[int] = []

    def before(number: int) -> None:
        made.append(
            notes.annotation_create(
                document=document, user=roles["member"], start=0, end=8, kind="claim", body="!"
            ).pk
        )
        claim["id"] = made[-1]

    statuses = race(rounds, [contender(user) for user in disputers], before)
    report(
        f"dispute races: {rounds} claims each disputed by {len(disputers)} members at once, "
        f"statuses {dict(Counter(s for round in statuses for s in round))}"
    )
    assert all(s == 201 for round in statuses for s in round)
    for pk in made:
        assert Dispute.objects.filter(claim_id=pk).count() == len(disputers)
        # The claim became disputed once: one entry in its history, not one per dispute.
        changes = ClaimStatusChange.objects.filter(claim_id=pk)
        assert [(c.old, c.new) for c in changes] == [("open", "disputed")]


@pytest.mark.parametrize("rounds", rounds_for(5, 100))
def test_moderators_ruling_on_one_dispute_at_once_make_one_ruling(
    rounds: int, document: Document, roles: dict[str, User]
) -> None:
    moderators = [
        roles["moderator"],
        roles["owner"],
        *(member(document.seminar, Role.MODERATOR, username=f"judge{i}") for i in range(2)),
    ]
    opener = member(document.seminar, Role.MEMBER, username="opener")
    dispute = {"id": 0}

    def contender(index: int, user: User) -> Contender:
        client = browser_of(user)
        decision = "accept" if index % 2 else "dismiss"

        def rule(number: int) -> int:
            body = {"decision": decision, "text": f"{user.username}: {decision}."}
            return client.post(
                f"/api/v1/disputes/{dispute['id']}/ruling/", body, format="json"
            ).status_code

        return rule

    made: list[int] = []

    def before(number: int) -> None:
        claim = notes.annotation_create(
            document=document, user=roles["member"], start=0, end=8, kind="claim", body="!"
        )
        opened = moderation.claim_dispute(
            claim=claim, user=opener, grounds="other", statement="No."
        )
        made.append(opened.pk)
        dispute["id"] = made[-1]

    contenders = [contender(i, user) for i, user in enumerate(moderators)]
    statuses = race(rounds, contenders, before)
    report(
        f"ruling races: {rounds} disputes each ruled on by {len(moderators)} moderators at "
        f"once, statuses {dict(Counter(s for round in statuses for s in round))}"
    )
    for round in statuses:
        assert sorted(round) == [201] + [409] * (len(moderators) - 1), round
    for pk in made:
        ruling = Ruling.objects.get(dispute_id=pk)
        dispute_row = Dispute.objects.select_related("claim").get(pk=pk)
        assert dispute_row.claim.claim_status == ruling.claim_status
        events = ModerationEvent.objects.filter(target_type="dispute", target_id=pk)
        assert events.count() == 1
