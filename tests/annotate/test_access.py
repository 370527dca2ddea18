"""annotate/access.py: each rule's two forms (one object, a queryset) agree, for every viewer
and every state the permission table (tests/security/) uses; and the rules say what their
docstrings say."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet
from django.http import Http404

from annotate import access
from annotate.models import Annotation, Document, ExportJob, Flag, ImportJob, Reply
from annotate.services import annotations as notes
from annotate.services import moderation
from core.models import Membership, Role, Seminar, User
from core.policy import Action
from tests.factories import make_seminar, make_user, member

pytestmark = pytest.mark.django_db


@dataclass
class States:
    """One seminar with something in every state, made through the services."""

    users: dict[str, User]
    notes: dict[str, Annotation]
    replies: dict[str, Reply]
    flags: dict[str, Flag]
    exports: dict[str, ExportJob]


@pytest.fixture
def states(seminar: Seminar, roles: dict[str, User], document: Document) -> States:
    users = {**roles, "author": member(seminar, Role.MEMBER, username="aurel")}
    author, other, moderator = users["author"], users["member"], users["moderator"]
    assert document.current is not None
    text = document.current.text
    start = text.index("tacit agreement")

    def note(who: User, **kw: Any) -> Annotation:
        kw.setdefault("body", "A note.")
        return notes.annotation_create(
            document=document, user=who, start=start, end=start + 15, **kw
        )

    made = {
        "shared": note(author),
        "claim": note(author, kind="claim"),
        "private": note(author, visibility="private"),
        "private_claim": note(author, kind="claim", visibility="private"),
        "hidden": note(author),
        "hidden_claim": note(author, kind="claim"),
        "deleted": note(author),
        "deleted_threaded": note(author, kind="claim"),
        "withdrawn": note(author),  # shared, then made private
        "others": note(other),
    }
    for key in ("hidden", "hidden_claim"):
        moderation.content_set_hidden(
            moderator=moderator, hidden=True, reason="Off topic", annotation=made[key]
        )
    replies = {
        "alive": notes.reply_create(annotation=made["claim"], user=other, body="Yes."),
        "hidden": notes.reply_create(annotation=made["claim"], user=author, body="Rude."),
        "deleted_leaf": notes.reply_create(annotation=made["claim"], user=author, body="x"),
        "deleted_parent": notes.reply_create(annotation=made["claim"], user=author, body="y"),
        "on_private": notes.reply_create(annotation=made["private"], user=author, body="z"),
        "on_hidden_claim": notes.reply_create(
            annotation=made["hidden_claim"], user=other, body="w"
        ),
        "on_deleted": notes.reply_create(annotation=made["deleted_threaded"], user=other, body="v"),
    }
    replies["child"] = notes.reply_create(
        annotation=made["claim"], user=other, body="Answer.", parent=replies["deleted_parent"]
    )
    moderation.content_set_hidden(
        moderator=moderator, hidden=True, reason="Rude", reply=replies["hidden"]
    )
    for key in ("deleted_leaf", "deleted_parent"):
        notes.reply_delete(reply=replies[key], user=author)
    for key in ("deleted", "deleted_threaded"):
        notes.annotation_delete(annotation=made[key], user=author)
    withdrawn = made["withdrawn"]
    notes.annotation_update(
        annotation=withdrawn, user=author, version=withdrawn.version, visibility="private"
    )
    flags = {
        "shared": moderation.flag_create(user=other, annotation=made["shared"], reason="other"),
        "reply": moderation.flag_create(user=other, reply=replies["alive"], reason="spam"),
    }
    # A flag on something that later became private, hidden or deleted (made directly: the
    # service refuses to flag what cannot be seen, which is the point).
    for key in ("private", "hidden", "deleted"):
        flags[key] = Flag.objects.create(
            seminar=seminar, reporter=other, annotation=made[key], reason="other"
        )
    flags["hidden_reply"] = Flag.objects.create(
        seminar=seminar, reporter=other, reply=replies["hidden"], reason="other"
    )
    flags["reply_on_private"] = Flag.objects.create(
        seminar=seminar, reporter=other, reply=replies["on_private"], reason="other"
    )
    exports = {
        key: ExportJob.objects.create(
            seminar=seminar,
            requested_by=author,
            kind=ExportJob.Kind.CLAIM,
            format="json",
            claim=made[key],
        )
        for key in ("claim", "private_claim", "hidden_claim", "deleted_threaded")
    }
    exports["edition"] = ExportJob.objects.create(
        seminar=seminar,
        requested_by=other,
        kind=ExportJob.Kind.EDITION,
        format="html",
        document=document,
    )
    return States(
        users=users,
        notes={k: Annotation.objects.get(pk=v.pk) for k, v in made.items()},
        replies={k: Reply.objects.get(pk=v.pk) for k, v in replies.items()},
        flags={k: Flag.objects.get(pk=v.pk) for k, v in flags.items()},
        exports={k: ExportJob.objects.get(pk=v.pk) for k, v in exports.items()},
    )


def _viewers(states: States) -> dict[str, access.Viewer]:
    seminar_id = states.notes["shared"].seminar_id
    found = {}
    for name, user in states.users.items():
        membership = Membership.objects.filter(seminar_id=seminar_id, user=user).first()
        if membership is not None:
            found[name] = access.Viewer(user, membership)
    return found


def _agree[M: Model](
    viewers: dict[str, access.Viewer],
    objects: Iterable[M],
    one: Callable[[access.Viewer, M], bool],
    many: Callable[[access.Viewer], QuerySet[M]],
) -> dict[str, set[int]]:
    """For every viewer, the objects `one` admits are exactly those `many` lists; returns
    them by viewer, for the tests to say what they should be."""
    seen: dict[str, set[int]] = {}
    everything = list(objects)
    for name, viewer in viewers.items():
        by_one = {item.pk for item in everything if one(viewer, item)}
        by_many = set(
            many(viewer).filter(pk__in=[i.pk for i in everything]).values_list("pk", flat=True)
        )
        assert by_one == by_many, f"{one.__name__} and its twin disagree for {name}"
        seen[name] = by_one
    return seen


def _in_edition(viewer: access.Viewer, annotation: Annotation) -> bool:
    return access.annotation_visible(viewer, annotation) and access.in_edition(annotation)


def _names(states: States, table: dict[str, Any], pks: set[int]) -> set[str]:
    return {key for key, item in table.items() if item.pk in pks}


def test_each_rule_and_its_twin_agree_on_every_state(states: States) -> None:
    viewers = _viewers(states)
    assert set(viewers) == {"owner", "moderator", "member", "observer", "author"}
    pairs_notes = [
        (access.annotation_visible, access.annotations),
        (access.annotation_listed, access.annotations_listed),
        (access.annotation_actionable, access.annotations_actionable),
        (access.claim_listed, access.claims),
        (access.claim_actionable, access.claims_actionable),
        (access.change_seen, access.changes_seen),
        (_in_edition, access.edition_annotations),
    ]
    for one_note, many_notes in pairs_notes:
        _agree(viewers, states.notes.values(), one_note, many_notes)
    pairs_replies = [
        (access.reply_listed, access.replies),
        (access.reply_readable, access.replies_readable),
        (access.reply_whole, access.replies_whole),
        (access.reply_actionable, access.replies_actionable),
    ]
    for one_reply, many_replies in pairs_replies:
        _agree(viewers, states.replies.values(), one_reply, many_replies)
    _agree(viewers, states.flags.values(), access.flag_actionable, access.flags_actionable)
    for user in states.users.values():
        exports = list(states.exports.values())
        by_one = {job.pk for job in exports if access.export_visible(user, job)}
        by_many = set(
            access.exports_visible(user)
            .filter(pk__in=[j.pk for j in exports])
            .values_list("pk", flat=True)
        )
        assert by_one == by_many


def test_who_sees_which_annotation(states: States) -> None:
    seen = _agree(
        _viewers(states), states.notes.values(), access.annotation_visible, access.annotations
    )
    everyone_sees = {"shared", "claim", "deleted", "deleted_threaded", "others"}
    assert _names(states, states.notes, seen["member"]) == everyone_sees
    assert _names(states, states.notes, seen["observer"]) == everyone_sees
    # Hidden: its author and the moderators; private: its author only.
    assert _names(states, states.notes, seen["moderator"]) == everyone_sees | {
        "hidden",
        "hidden_claim",
    }
    assert _names(states, states.notes, seen["author"]) == set(states.notes)
    listed = _agree(
        _viewers(states), states.notes.values(), access.annotation_listed, access.annotations_listed
    )
    # A deleted annotation stays only while a thread hangs on it.
    assert "deleted" not in _names(states, states.notes, listed["member"])
    assert "deleted_threaded" in _names(states, states.notes, listed["member"])


def test_claims_are_listed_hidden_too_but_acted_on_only_whole(states: States) -> None:
    viewers = _viewers(states)
    listed = _agree(viewers, states.notes.values(), access.claim_listed, access.claims)
    whole = _agree(
        viewers, states.notes.values(), access.claim_actionable, access.claims_actionable
    )
    assert _names(states, states.notes, listed["member"]) == {"claim", "hidden_claim"}
    assert _names(states, states.notes, whole["member"]) == {"claim"}
    assert _names(states, states.notes, whole["moderator"]) == {"claim", "hidden_claim"}
    assert _names(states, states.notes, whole["author"]) == {
        "claim",
        "hidden_claim",
        "private_claim",
    }


def test_a_deleted_reply_stays_only_while_it_holds_up_a_thread(states: States) -> None:
    viewers = _viewers(states)
    listed = _agree(viewers, states.replies.values(), access.reply_listed, access.replies)
    member = _names(states, states.replies, listed["member"])
    assert "deleted_parent" in member and "child" in member
    assert "deleted_leaf" not in member
    assert "on_private" not in member  # its thread is the author's private note
    assert "hidden" in member  # as a notice
    whole = _agree(viewers, states.replies.values(), access.reply_whole, access.replies_whole)
    assert "hidden" not in _names(states, states.replies, whole["member"])
    assert "hidden" in _names(states, states.replies, whole["author"])
    assert "hidden" in _names(states, states.replies, whole["moderator"])


def test_the_thread_walker_lists_what_reply_listed_does(states: States) -> None:
    claim = Annotation.objects.prefetch_related("replies").get(pk=states.notes["claim"].pk)
    for name, viewer in _viewers(states).items():
        posts = access.thread(viewer, claim)
        listed = {
            r.pk
            for r in states.replies.values()
            if r.annotation_id == claim.pk and access.reply_listed(viewer, r)
        }
        assert {post.reply.pk for post in posts} == listed, name
        shown = {post.reply.pk: post.shown for post in posts}
        assert shown[states.replies["hidden"].pk] is (name in ("author", "moderator", "owner"))
        depth = {post.reply.pk: post.depth for post in posts}
        assert depth[states.replies["child"].pk] == 1


def test_only_live_unhidden_replies_take_a_stance(states: States) -> None:
    replies = list(states.replies.values())
    for reply in replies:  # every reply a stance, so only the rule leaves some out
        Reply.objects.filter(pk=reply.pk).update(stance="supports")
        reply.stance = "supports"
    many = access.stances(Reply.objects.filter(pk__in=[r.pk for r in replies]))
    taking = set(many.values_list("pk", flat=True))
    assert {r.pk for r in replies if access.takes_stance(r)} == taking
    assert states.replies["hidden"].pk not in taking
    assert states.replies["deleted_leaf"].pk not in taking
    assert states.replies["alive"].pk in taking


def test_the_queue_lists_only_flags_a_moderator_can_act_on(states: States) -> None:
    seen = _agree(
        _viewers(states), states.flags.values(), access.flag_actionable, access.flags_actionable
    )
    # Not the flag on what became private, was deleted, or whose thread is private; the
    # moderators see hidden content, so those flags stay theirs to act on.
    assert _names(states, states.flags, seen["moderator"]) == {
        "shared",
        "reply",
        "hidden",
        "hidden_reply",
    }


def test_a_claims_record_is_downloadable_only_while_the_claim_is_whole(states: States) -> None:
    author = states.users["author"]
    visible = {key for key, job in states.exports.items() if access.export_visible(author, job)}
    assert visible == {"claim", "private_claim", "hidden_claim"}
    with pytest.raises(Http404):
        access.access_export(author, states.exports["deleted_threaded"].pk)
    # Made private afterwards: gone for anyone but its author (L3).
    claim = states.notes["claim"]
    job = ExportJob.objects.create(
        seminar=claim.seminar,
        requested_by=states.users["member"],
        kind=ExportJob.Kind.CLAIM,
        format="json",
        claim=claim,
    )
    assert access.access_export(states.users["member"], job.pk) == job
    Annotation.objects.filter(pk=claim.pk).update(visibility="private")
    with pytest.raises(Http404):
        access.access_export(states.users["member"], job.pk)


def test_fetchers_answer_404_for_what_cannot_be_seen_then_403_for_the_role(
    states: States,
) -> None:
    users, hidden = states.users, states.notes["hidden_claim"]
    # A member sees a hidden claim as a notice (VIEW), but cannot act on it: 404, as if it
    # did not exist, for every verb (L6).
    assert access.access_claim(users["member"], hidden.pk)[0] == hidden
    for action in (Action.PARTICIPATE, Action.MODERATE):
        with pytest.raises(Http404):
            access.access_claim(users["member"], hidden.pk, action)
        with pytest.raises(Http404):
            access.access_annotation(users["member"], hidden.pk, action)
    # What they can see, without the role: 403.
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        access.access_annotation(users["member"], states.notes["shared"].pk, Action.MODERATE)
    with pytest.raises(PermissionDenied):
        access.access_claim(users["observer"], states.notes["claim"].pk, Action.PARTICIPATE)
    with pytest.raises(Http404):
        access.access_annotation(users["outsider"], states.notes["shared"].pk)
    with pytest.raises(Http404):
        access.access_reply(users["member"], states.replies["deleted_leaf"].pk)


def test_an_import_job_is_seen_by_its_requester_while_they_may_do_what_it_does(
    seminar: Seminar, roles: dict[str, User]
) -> None:
    other = make_user(username="bystander")
    jobs = {
        (who, kind): ImportJob.objects.create(
            seminar=seminar, requested_by=roles[who], kind=kind, source_text="x"
        )
        for who in ("owner", "moderator", "member", "observer")
        for kind in ImportJob.Kind.values
    }
    seen = {
        (who, kind) for (who, kind), job in jobs.items() if access.import_visible(roles[who], job)
    }
    # Editors see their text imports; anyone who takes part, their W3C imports.
    assert seen == {
        ("owner", "preview"),
        ("owner", "publish"),
        ("owner", "annotations"),
        ("moderator", "preview"),
        ("moderator", "publish"),
        ("moderator", "annotations"),
        ("member", "annotations"),
    }
    viewers: list[User | AnonymousUser] = [*roles.values(), other, AnonymousUser()]
    for viewer in viewers:
        one = {job.pk for job in jobs.values() if access.import_visible(viewer, job)}
        assert set(access.imports_visible(viewer).values_list("pk", flat=True)) == one


def test_a_viewer_is_a_member_of_one_seminar(seminar: Seminar, roles: dict[str, User]) -> None:
    with pytest.raises(Http404):
        access.Viewer.of(roles["outsider"], seminar)
    elsewhere = make_seminar(roles["outsider"], name="Elsewhere")
    viewer = access.Viewer.of(roles["moderator"], seminar)
    assert viewer.moderates and viewer.participates and viewer.seminar_id == seminar.pk
    assert elsewhere.pk != viewer.seminar_id
