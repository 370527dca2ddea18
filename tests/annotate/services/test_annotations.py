from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from annotate import access, selectors
from annotate.models import Annotation, Document, Notification
from annotate.services import annotations as service
from annotate.services.documents import Edit, revision_correct
from core.errors import Conflict, Unprocessable
from core.models import User

pytestmark = pytest.mark.django_db


def span_of(document: Document, words: str) -> tuple[int, int]:
    assert document.current is not None
    start = document.current.text.index(words)
    return start, start + len(words)


def make(document: Document, user: User, words: str, **kwargs: object) -> Annotation:
    start, end = span_of(document, words)
    kwargs.setdefault("body", "A note.")
    return service.annotation_create(document=document, user=user, start=start, end=end, **kwargs)  # type: ignore[arg-type]


def test_create_stores_both_selectors(document: Document, roles: dict[str, User]) -> None:
    note = make(
        document,
        roles["member"],
        "tacit agreement",
        kind="claim",
        tags=["#Status-Quo", "status-quo", " "],
    )
    assert note.exact == "tacit agreement"
    assert document.current is not None
    text = document.current.text
    assert note.prefix == text[max(0, note.start - 32) : note.start]  # type: ignore[operator]
    assert note.suffix == text[note.end : note.end + 32]  # type: ignore[operator]
    assert note.tags == ["status-quo"]
    assert note.made_on == note.revision == document.current


@pytest.mark.parametrize("who", ["observer", "outsider"])
def test_observers_and_outsiders_cannot_annotate(
    document: Document, roles: dict[str, User], who: str
) -> None:
    with pytest.raises(PermissionDenied):
        make(document, roles[who], "tacit agreement")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [(-1, 5, "not inside"), (5, 5, "not inside"), (10, 10**7, "not inside")],
)
def test_bad_selections(
    document: Document, owner: User, start: int, end: int, message: str
) -> None:
    with pytest.raises(Unprocessable, match=message):
        service.annotation_create(document=document, user=owner, start=start, end=end, body="x")


def test_comment_needs_a_body_highlight_does_not(document: Document, owner: User) -> None:
    with pytest.raises(ValidationError):
        make(document, owner, "tacit agreement", kind="comment", body="  ")
    assert make(document, owner, "tacit agreement", kind="highlight", body="").pk


def test_too_many_tags(document: Document, owner: User) -> None:
    with pytest.raises(ValidationError):
        make(document, owner, "tacit agreement", tags=[f"t{i}" for i in range(21)])


def test_tags_lose_bidi_and_control_characters(document: Document, owner: User) -> None:
    note = make(
        document, owner, "tacit agreement", tags=["\u202eyrots", "#Cold\u2066\nWar", "\u200f"]
    )
    assert note.tags == ["yrots", "cold war"]


def test_private_annotations_are_seen_by_their_author_alone(
    document: Document, roles: dict[str, User]
) -> None:
    secret = make(document, roles["member"], "tacit agreement", visibility="private")
    assert document.current is not None
    for who, sees in [("member", True), ("owner", False), ("moderator", False)]:
        visible = selectors.on_revision(
            access.Viewer.of(roles[who], document.seminar), document, document.current
        )
        assert (secret in visible) is sees
        assert (
            selectors.counts(
                access.Viewer.of(roles[who], document.seminar), document, document.current
            )["total"]
            == 1
        ) is sees
    # Decided in #14: what a member cannot see answers as if it did not exist.
    with pytest.raises(Http404):
        service.reply_create(annotation=secret, user=roles["owner"], body="peek")


def test_edit_own_with_version_and_conflict(document: Document, roles: dict[str, User]) -> None:
    note = make(document, roles["member"], "tacit agreement")
    edited = service.annotation_update(
        annotation=note, user=roles["member"], version=1, body="Better note."
    )
    assert (edited.version, edited.body) == (2, "Better note.")
    with pytest.raises(service.StaleEdit) as stale:
        service.annotation_update(annotation=note, user=roles["member"], version=1, body="Old")
    assert stale.value.status == 409 and stale.value.current.body == "Better note."
    with pytest.raises(PermissionDenied):
        service.annotation_update(annotation=note, user=roles["owner"], version=2, body="Mine")


def test_delete_with_replies_leaves_a_placeholder(
    document: Document, roles: dict[str, User]
) -> None:
    note = make(document, roles["member"], "tacit agreement")
    service.reply_create(annotation=note, user=roles["owner"], body="Interesting.")
    service.annotation_delete(annotation=note, user=roles["member"])
    note.refresh_from_db()
    assert note.is_deleted and note.body == "" and note.replies.count() == 1
    assert document.current is not None
    assert note not in selectors.on_revision(
        access.Viewer.of(roles["owner"], document.seminar), document, document.current
    )


def test_replies_notify_the_author_and_mentions(document: Document, roles: dict[str, User]) -> None:
    note = make(document, roles["member"], "tacit agreement")
    first = service.reply_create(
        annotation=note, user=roles["owner"], body="Agreed, @mona should see this. @nobody too."
    )
    service.reply_create(annotation=note, user=roles["moderator"], body="Yes.", parent=first)
    got = {(n.recipient.username, n.kind) for n in Notification.objects.all()}
    assert got == {("mark", "reply"), ("mona", "mention"), ("olivia", "reply")}
    assert service.notifications_mark_read(user=roles["member"]) == 2


def test_nested_reply_must_be_in_the_same_thread(document: Document, owner: User) -> None:
    one = make(document, owner, "tacit agreement")
    two = make(document, owner, "Soviet Union")
    reply = service.reply_create(annotation=one, user=owner, body="x")
    with pytest.raises(Unprocessable):
        service.reply_create(annotation=two, user=owner, body="y", parent=reply)


def test_full_text_search_over_annotations_and_replies(document: Document, owner: User) -> None:
    a = make(document, owner, "tacit agreement", body="The spheres of influence theory.")
    b = make(document, owner, "Soviet Union", body="Nothing relevant.")
    service.reply_create(annotation=b, user=owner, body="But consider the neutrality of Austria.")
    assert document.current is not None
    found = selectors.on_revision(
        access.Viewer.of(owner, document.seminar),
        document,
        document.current,
        selectors.Filters(q="influence"),
    )
    assert list(found) == [a]
    found = selectors.on_revision(
        access.Viewer.of(owner, document.seminar),
        document,
        document.current,
        selectors.Filters(q="austria neutral"),
    )
    assert list(found) == [b]


def test_correction_reanchors_moves_relocates_and_orphans(document: Document, owner: User) -> None:
    assert document.current is not None
    text = document.current.text
    after = make(document, owner, "Hungarian uprising was not merely inconvenient")
    inside = make(document, owner, "contemporary public opinion in Hungaiy regarded it")
    gone = make(document, owner, "thumb in the chilliest years")
    at = text.index("Hungaiy")
    chilly = text.index("thumb in the chilliest years")
    revision_correct(
        document=document,
        user=owner,
        edits=[
            Edit(chilly, chilly + len("thumb in the chilliest years"), "x"),
            Edit(at, at + 7, "Hungary"),
        ],
    )
    document.refresh_from_db()
    new = document.current
    assert new is not None
    for note in (after, inside, gone):
        note.refresh_from_db()
        assert note.revision == new
    assert after.anchor_status == "anchored"
    assert new.text[after.start : after.end] == after.exact
    assert inside.anchor_status == "relocated"
    assert new.text[inside.start : inside.end] == (
        "contemporary public opinion in Hungary regarded it"
    )
    assert gone.anchor_status == "orphaned" and gone.start is None
    assert Annotation.objects.count() == 3  # nothing deleted


def test_stale_revision_is_a_conflict(document: Document, owner: User) -> None:
    old = document.current
    revision_correct(document=document, user=owner, edits=[Edit(0, 3, "THE")])
    document.refresh_from_db()
    with pytest.raises(Conflict):
        service.annotation_create(
            document=document, user=owner, start=5, end=9, body="x", revision=old
        )


def test_reattach_an_orphan(document: Document, roles: dict[str, User]) -> None:
    note = make(document, roles["member"], "thumb in the chilliest years")
    assert document.current is not None
    at = document.current.text.index("thumb in the chilliest years")
    revision_correct(document=document, user=roles["owner"], edits=[Edit(at, at + 28, "x")])
    note.refresh_from_db()
    assert note.anchor_status == "orphaned"
    with pytest.raises(PermissionDenied):
        service.annotation_reattach(annotation=note, user=roles["observer"], start=0, end=5)
    back = service.annotation_reattach(annotation=note, user=roles["member"], start=0, end=8)
    assert back.anchor_status == "anchored" and back.exact == "The fate"
