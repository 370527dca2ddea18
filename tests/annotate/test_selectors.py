"""annotate/selectors.py: the reads built on the access policy (filters, claims with their
counts, the moderation queue, the log, the live stamp, revisions kept whole)."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import QueryDict

from annotate import access, selectors
from annotate.models import Annotation, ClaimStatus, Document, ModerationEvent
from annotate.services import annotations as notes
from annotate.services import moderation
from core.models import Membership, Role, Seminar, User
from core.services import seminars
from tests.factories import member

pytestmark = pytest.mark.django_db


def viewer(user: User, seminar: Seminar) -> access.Viewer:
    return access.Viewer.of(user, seminar)


def note(document: Document, user: User, words: str = "tacit agreement", **kw: Any) -> Annotation:
    assert document.current is not None
    start = document.current.text.index(words)
    kw.setdefault("body", f"On {words}.")
    return notes.annotation_create(
        document=document, user=user, start=start, end=start + len(words), **kw
    )


def test_filters_read_a_query_leniently_and_narrow_the_highlights(
    document: Document, roles: dict[str, User]
) -> None:
    filters = selectors.Filters.from_query(QueryDict("kind=nonsense&tag=%20Cold%20War&mine=1"))
    assert (filters.kind, filters.tag, filters.mine) == ("", "cold war", True)
    assert filters.active
    mine = note(document, roles["member"], kind="question", tags=["cold war"])
    note(document, roles["owner"], "status quo", tags=["cold war"])
    seen = viewer(roles["member"], document.seminar)
    assert document.current is not None
    found = selectors.on_revision(seen, document, document.current, filters)
    assert list(found) == [mine]
    questions = selectors.Filters(kind="question")
    assert list(selectors.on_revision(seen, document, document.current, questions)) == [mine]


def test_search_finds_a_thread_by_its_replies_only_where_the_viewer_reads_them(
    document: Document, roles: dict[str, User]
) -> None:
    made = note(document, roles["owner"])
    rude = notes.reply_create(annotation=made, user=roles["member"], body="Zanzibar insult.")
    moderation.content_set_hidden(moderator=roles["owner"], hidden=True, reason="Rude", reply=rude)
    assert document.current is not None
    search = selectors.Filters(q="zanzibar")
    for who, finds in (("observer", False), ("member", True), ("moderator", True)):
        found = selectors.on_revision(
            viewer(roles[who], document.seminar), document, document.current, search
        )
        assert (made in found) is finds, who


def test_claims_count_members_stances_once_and_sort_by_one_formula(
    document: Document, roles: dict[str, User]
) -> None:
    made = note(document, roles["owner"], kind="claim")
    for body in ("Yes.", "Yes, again."):
        notes.reply_create(annotation=made, user=roles["member"], body=body, stance="supports")
    notes.reply_create(annotation=made, user=roles["moderator"], body="?", stance="asks")
    found = selectors.claims(viewer(roles["observer"], document.seminar)).get(pk=made.pk)
    names = ("n_supports", "n_disputes", "n_asks", "n_open_disputes")
    assert {name: getattr(found, name) for name in names} == {
        "n_supports": 1,
        "n_disputes": 0,
        "n_asks": 1,
        "n_open_disputes": 0,
    }
    by_status = selectors.ClaimFilters(status=ClaimStatus.OPEN)
    everyone = selectors.claims(viewer(roles["observer"], document.seminar))
    assert list(by_status.apply(everyone)) == [made]
    rejected = selectors.ClaimFilters(status=ClaimStatus.REJECTED)
    assert not rejected.apply(everyone).exists()


def test_the_queue_counts_what_it_lists(document: Document, roles: dict[str, User]) -> None:
    made = note(document, roles["owner"], kind="claim")
    moderation.claim_dispute(claim=made, user=roles["member"], grounds="other", statement="No.")
    moderation.flag_create(user=roles["member"], annotation=made, reason="spam")
    seen = viewer(roles["moderator"], document.seminar)
    queue = selectors.moderation_queue(seen)
    assert [len(queue[k]) for k in ("flags", "disputes", "review")] == [1, 1, 0]
    assert selectors.queue_count(seen) == 2


def test_the_log_filters_by_action_and_by_the_name_a_deleted_account_left(
    seminar: Seminar, roles: dict[str, User]
) -> None:
    gone = Membership.objects.get(seminar=seminar, user=roles["observer"])
    seminars.membership_remove(membership=gone, actor=roles["owner"], reason="Left.")
    removed = selectors.LogFilters(action=ModerationEvent.Action.REMOVE_MEMBER)
    assert [e.action for e in selectors.moderation_log(seminar, removed)] == ["remove_member"]
    by_name = selectors.LogFilters(actor=roles["owner"].username)
    assert selectors.moderation_log(seminar, by_name).count() == 1
    nobody = selectors.LogFilters(actor="someone-else")
    assert not selectors.moderation_log(seminar, nobody).exists()


def test_the_live_stamp_moves_only_for_changes_the_viewer_sees(
    document: Document, roles: dict[str, User]
) -> None:
    other = member(document.seminar, Role.MEMBER, username="paula")
    watcher = viewer(other, document.seminar)
    before = selectors.last_change(watcher, document)
    secret = note(document, roles["member"], visibility="private")
    assert selectors.last_change(watcher, document) == before
    assert selectors.last_change(viewer(roles["member"], document.seminar), document) == (
        Annotation.objects.get(pk=secret.pk).modified_at
    )


def test_with_text_gives_the_current_revision_whole(document: Document, owner: User) -> None:
    assert document.current is not None
    light, _ = access.access_document(owner, document.pk)
    assert light.current is not None
    assert "text" in light.current.get_deferred_fields()
    whole = selectors.with_text(light)
    assert whole.current is not None and not whole.current.get_deferred_fields()
    assert whole.current.text == document.current.text
