"""The permission matrix's world: two seminars, a user for every role, an object in every state.

Seminar A holds everything the matrix asks about; seminar B belongs to people none of the
roles know. Whatever a role may not see carries a unique marker ("leak-<hex>") in its text,
so a response or an export file that shows it is caught by a plain substring search.

Everything is made through the product's services (as a user would make it), committed, so a
real Celery worker can build exports from it.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.test import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotate.models import (
    Annotation,
    Dispute,
    Document,
    ExportJob,
    Flag,
    ImportJob,
    Reply,
)
from annotate.services import annotations as notes
from annotate.services import documents, moderation
from core.models import Invitation, InviteLink, Membership, Role, Seminar, User
from core.services import invitations, seminars

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "annotate"
    / "samples"
    / "hungarian-revolution-1956-superpowers.ocr.txt"
)
# The first pages of the real OCR sample: headings, a page break, joined lines; short enough
# that the reader renders in milliseconds.
SAMPLE_LINES = 40

ROLES = (
    "anonymous",
    "nonmember",
    "staff",
    "revoked",
    "observer",
    "member",
    "author",
    "moderator",
    "owner",
)
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
# Signed in, but not (or no longer) in seminar A: a stranger, a staff user (is_staff and
# is_superuser, which no page outside the admin may honour), a member removed a moment ago.
OUTSIDERS = frozenset({"nonmember", "staff", "revoked"})
MEMBERS = frozenset({"observer", "member", "author", "moderator", "owner"})
PARTICIPANTS = MEMBERS - {"observer"}
MODERATORS = frozenset({"moderator", "owner"})
AUTHOR = frozenset({"author"})
NOBODY: frozenset[str] = frozenset()

# What each export a member asks for comes as (PDF is left out: it is the HTML, printed).
EDITION_FORMATS = ("html", "markdown", "tei", "jsonld")
CLAIM_FORMATS = ("html", "markdown", "json")
JSONLD = ("edition", "jsonld")
EVERY_EXPORT = (
    *(("edition", format_) for format_ in EDITION_FORMATS),
    *(("claim", format_) for format_ in CLAIM_FORMATS),
    ("archive", "zip"),
)
# What each member asks the worker for: everything, where what they see differs; observers
# see what members do, owners what moderators do, so fewer of theirs prove as much.
EXPORTS = {
    "author": EVERY_EXPORT,
    "member": EVERY_EXPORT,
    "moderator": EVERY_EXPORT,
    "observer": (("edition", "html"), JSONLD, ("claim", "json")),
    "owner": (("edition", "markdown"), JSONLD, ("claim", "markdown")),
}


def marker() -> str:
    return f"leak-{uuid.uuid4().hex[:16]}"


@dataclass(frozen=True)
class Marker:
    """A unique string in something private, and who may be shown it."""

    text: str
    what: str
    sees: frozenset[str]  # roles whose pages and API answers may contain it
    in_exports: frozenset[str] = NOBODY  # roles whose export files may contain it


@dataclass
class World:
    users: dict[str, User]  # by role, plus "invitee", "b_owner", "b_member"
    tokens: dict[str, str]  # API token keys by role
    seminar: Seminar
    other: Seminar  # seminar B
    document: Document
    other_document: Document
    notes: dict[str, Annotation]
    replies: dict[str, Reply]
    disputes: dict[str, Dispute]
    flags: dict[str, Flag]
    links: dict[str, InviteLink]
    invitations: dict[str, Invitation]
    memberships: dict[str, Membership]
    jobs: dict[str, ExportJob]  # the author's, the removed member's and seminar B's
    # Texts being read: the moderator's in A, B's owner's in B (an editor's, each).
    imports: dict[str, ImportJob] = field(default_factory=dict)
    asked: list[ExportJob] = field(default_factory=list)  # every member's exports
    built: dict[str, list[ExportJob]] = field(default_factory=dict)
    markers: list[Marker] = field(default_factory=list)
    since: datetime = field(default_factory=timezone.now)  # before anything was made
    span: tuple[int, int] = (0, 0)  # the words most annotations share

    @property
    def offset(self) -> int:
        """A point of the text covered by the shared, private, hidden and deleted notes."""
        return self.span[0] + 1

    def marker(self, what: str) -> Marker:
        return next(m for m in self.markers if m.what == what)

    def exports(self) -> dict[str, list[ExportJob]]:
        """Every member's exports by role, once the worker has built them."""
        if not self.built:
            for job in await_jobs(self.asked):
                self.built.setdefault(_role_of(self, job.requested_by_id), []).append(job)
        return self.built


def sample_text() -> str:
    return "".join(SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)[:SAMPLE_LINES])


def _user(username: str, **extra: Any) -> User:
    # No password: the tests sign in with force_login, and hashing would cost ~0.3 s a user.
    return User.objects.create_user(
        username=username, email=f"{username}@example.org", display_name=username.title(), **extra
    )


def _words(document: Document, text: str) -> tuple[int, int]:
    assert document.current is not None
    start = document.current.text.index(text)
    return start, start + len(text)


def _plant(item: Annotation | Reply, text: str) -> None:
    """Put a marker back into something its author deleted.

    The delete service blanks the body (and tags); with the marker restored, any page, answer
    or file that forgets to leave deleted things out shows it.
    """
    if isinstance(item, Annotation):
        Annotation.objects.filter(pk=item.pk).update(body=f"{item.pk}: {text}", tags=[text])
    else:
        Reply.objects.filter(pk=item.pk).update(body=f"{item.pk}: {text}")


def build(*, worker: bool = True) -> World:
    """Make the world (committed), and, with `worker`, every member's exports through it."""
    since = timezone.now() - timedelta(minutes=5)
    users = {
        "nonmember": _user("sec-nadia"),
        "staff": _user("sec-stan", is_staff=True, is_superuser=True),
        "revoked": _user("sec-rex"),
        "observer": _user("sec-oscar"),
        "member": _user("sec-mark"),
        "author": _user("sec-aurel"),
        "moderator": _user("sec-mona"),
        "owner": _user("sec-olga"),
        "invitee": _user("sec-ivy"),
        "b_owner": _user("sec-bella"),
        "b_member": _user("sec-bob"),
    }
    tokens = {role: Token.objects.create(user=user).key for role, user in users.items()}
    markers = [
        Marker(key, f"API token of {role}", NOBODY)
        for role, key in tokens.items()
        if role in SIGNED_IN
    ]

    # Seminar A and its people.
    seminar = seminars.seminar_create(user=users["owner"], name="Seminar A")
    roles = {
        "moderator": Role.MODERATOR,
        "member": Role.MEMBER,
        "observer": Role.OBSERVER,
        "author": Role.MEMBER,
        "revoked": Role.MEMBER,
    }
    memberships = {
        role: Membership.objects.create(seminar=seminar, user=users[role], role=level)
        for role, level in roles.items()
    }
    title = marker()
    markers.append(Marker(title, "the title of A's text", MEMBERS, MEMBERS))
    document = documents.document_import(
        seminar=seminar,
        user=users["owner"],
        title=f"Reading {title}",
        source_text=sample_text(),
        format="ocr",
    )
    span = _words(document, "tacit agreement")
    other_span = _words(document, "status quo")
    author, member, moderator = users["author"], users["member"], users["moderator"]

    def note(
        who: User, what: str, sees: frozenset[str], exports: frozenset[str], **kw: Any
    ) -> Annotation:
        text = marker()
        markers.append(Marker(text, what, sees, exports))
        return notes.annotation_create(
            document=document,
            user=who,
            start=kw.pop("start", span[0]),
            end=kw.pop("end", span[1]),
            body=f"{what}: {text}",
            tags=[text],
            **kw,
        )

    made = {
        "shared": notes.annotation_create(
            document=document, user=author, start=span[0], end=span[1], body="A shared note."
        ),
        "claim": notes.annotation_create(
            document=document,
            user=author,
            start=other_span[0],
            end=other_span[1],
            kind="claim",
            body="The status quo was agreed.",
        ),
        "private": note(author, "a private note", AUTHOR, AUTHOR, visibility="private"),
        "private_claim": note(
            author, "a private claim", AUTHOR, AUTHOR, kind="claim", visibility="private"
        ),
        # Hidden content is shown (marked) to its author and the moderators, never exported.
        "hidden": note(author, "a hidden claim", AUTHOR | MODERATORS, NOBODY, kind="claim"),
        "deleted": note(author, "a deleted claim", NOBODY, NOBODY, kind="claim"),
    }
    moderation.content_set_hidden(
        moderator=moderator, hidden=True, reason="Off topic", annotation=made["hidden"]
    )
    notes.annotation_delete(annotation=made["deleted"], user=author)
    _plant(made["deleted"], world_marker(markers, "a deleted claim"))

    # Threads: a reply in the open, a hidden one, a deleted one.
    replies = {
        "shared": notes.reply_create(
            annotation=made["claim"], user=member, body="Agreed.", stance="supports"
        ),
    }
    hidden_reply = marker()
    markers.append(Marker(hidden_reply, "a hidden reply", AUTHOR | MODERATORS, NOBODY))
    replies["hidden"] = notes.reply_create(
        annotation=made["claim"], user=author, body=f"A hidden reply: {hidden_reply}"
    )
    moderation.content_set_hidden(
        moderator=moderator, hidden=True, reason="Rude", reply=replies["hidden"]
    )
    deleted_reply = marker()
    markers.append(Marker(deleted_reply, "a deleted reply", NOBODY, NOBODY))
    replies["deleted"] = notes.reply_create(
        annotation=made["shared"], user=author, body="A reply, soon deleted."
    )
    notes.reply_delete(reply=replies["deleted"], user=author)
    _plant(replies["deleted"], deleted_reply)
    notes.reply_create(annotation=made["shared"], user=member, body="A reply to the note.")
    replies["private"] = notes.reply_create(
        annotation=made["private"], user=author, body="A reply to my own private note."
    )

    # A claim argued over: a dispute ruled on, and one still open.
    ruled = moderation.claim_dispute(
        claim=made["claim"], user=member, grounds="other", statement="It was never agreed."
    )
    moderation.dispute_rule(
        dispute=ruled, moderator=moderator, decision="dismiss", text="It was.", claim_status="open"
    )
    ruled.refresh_from_db()
    disputes = {
        "ruled": ruled,
        "open": moderation.claim_dispute(
            claim=made["claim"], user=member, grounds="misreading", statement="Read it again."
        ),
    }
    flag_note = marker()
    markers.append(Marker(flag_note, "a flag's note", MODERATORS, NOBODY))
    flags = {
        "open": moderation.flag_create(
            user=member, annotation=made["shared"], reason="other", note=f"Note: {flag_note}"
        )
    }

    # Invitations: a live link (its token is a secret of the inviters), a revoked one, one
    # person invited by name, one by address, and the non-member invited.
    owner = users["owner"]
    links = {
        "active": invitations.invite_link_create(seminar=seminar, actor=owner),
        "revoked": invitations.invite_link_create(seminar=seminar, actor=owner),
    }
    invitations.invite_link_revoke(link=links["revoked"], actor=owner)
    markers.append(Marker(links["active"].token, "A's invitation link", MODERATORS))
    invites = {
        "named": invitations.invitation_create(
            seminar=seminar, actor=owner, username_or_email="sec-ivy"
        ),
        "email": invitations.invitation_create(
            seminar=seminar, actor=owner, username_or_email="someone@example.org"
        ),
        "nonmember": invitations.invitation_create(
            seminar=seminar, actor=owner, username_or_email="sec-nadia"
        ),
    }

    # The member about to be removed: a private note, a shared one with a reply, an export.
    rex = users["revoked"]
    made["revoked_private"] = note(
        rex, "the removed member's private note", NOBODY, NOBODY, visibility="private"
    )
    made["revoked_shared"] = notes.annotation_create(
        document=document, user=rex, start=span[0], end=span[1], body="Rex was here."
    )
    notes.reply_create(annotation=made["revoked_shared"], user=member, body="Hello Rex.")

    # A private note's address is private too: a list that links it has leaked it.
    for key, sees in (("private", AUTHOR), ("private_claim", AUTHOR), ("revoked_private", NOBODY)):
        pk = made[key].pk
        for path in (f"annotations/{pk}/", f"claims/{pk}/", f'"a-{pk}"'):
            markers.append(Marker(path, f"the address of {key}", sees, sees))

    # Seminar B, which none of the roles belongs to.
    other = seminars.seminar_create(user=users["b_owner"], name="Seminar B")
    memberships["foreign"] = Membership.objects.create(
        seminar=other, user=users["b_member"], role=Role.MEMBER
    )
    foreign = marker()
    markers.append(Marker(foreign, "seminar B's text and notes", NOBODY))
    other_document = documents.document_import(
        seminar=other,
        user=users["b_owner"],
        title=f"B's reading {foreign}",
        source_text=sample_text(),
        format="ocr",
    )
    bella, bob = users["b_owner"], users["b_member"]
    made["foreign"] = notes.annotation_create(
        document=other_document, user=bella, start=span[0], end=span[1], body=f"B: {foreign}"
    )
    made["foreign_claim"] = notes.annotation_create(
        document=other_document,
        user=bella,
        start=span[0],
        end=span[1],
        kind="claim",
        body=f"B's claim: {foreign}",
        tags=[foreign],
    )
    replies["foreign"] = notes.reply_create(
        annotation=made["foreign_claim"], user=bob, body=f"B's reply: {foreign}"
    )
    moderation.content_set_hidden(
        moderator=bella, hidden=True, reason=f"B's reason: {foreign}", reply=replies["foreign"]
    )
    disputes["foreign"] = moderation.claim_dispute(
        claim=made["foreign_claim"], user=bob, grounds="other", statement=f"B: {foreign}"
    )
    flags["foreign"] = moderation.flag_create(
        user=bob, annotation=made["foreign"], reason="other", note=f"B: {foreign}"
    )
    links["foreign"] = invitations.invite_link_create(seminar=other, actor=bella)
    invites["foreign"] = invitations.invitation_create(
        seminar=other, actor=bella, username_or_email="sec-ivy"
    )

    world = World(
        users=users,
        tokens=tokens,
        seminar=seminar,
        other=other,
        document=document,
        other_document=other_document,
        notes=made,
        replies=replies,
        disputes=disputes,
        flags=flags,
        links=links,
        invitations=invites,
        memberships=memberships,
        jobs={},
        markers=markers,
        since=since,
        span=span,
    )
    for key, who, where in (("base", "moderator", seminar), ("foreign", "b_owner", other)):
        world.imports[key] = ImportJob.objects.create(
            seminar=where, requested_by=users[who], kind="preview", source_text="Some words."
        )
    if worker:
        # Rex's export is built while Rex is still a member; then Rex is removed.
        world.jobs["revoked"] = await_jobs([request_export(world, "revoked", "edition", "jsonld")])[
            0
        ]
    seminars.membership_remove(membership=memberships.pop("revoked"), actor=owner)
    if worker:
        world.jobs["foreign"] = request_export(world, "b_owner", "edition", "jsonld")
        # Every export of every member at once: more than any member may have waiting
        # (tests/annotate/services/test_export_fairness.py holds them to EXPORT_MAX_ACTIVE).
        with override_settings(EXPORT_MAX_ACTIVE=len(EVERY_EXPORT)):
            world.asked = [
                request_export(world, role, kind, format_)
                for role in sorted(MEMBERS)
                for kind, format_ in EXPORTS[role]
            ]
        # All built before the first test: tests empty the cache after them, and the cache is
        # the Redis database the job queue lives in.
        world.jobs["foreign"] = await_jobs([world.jobs["foreign"]])[0]
        world.jobs["author"] = next(
            job for job in world.exports()["author"] if (job.kind, job.format) == JSONLD
        )
    return world


def world_marker(markers: list[Marker], what: str) -> str:
    return next(m.text for m in markers if m.what == what)


def _role_of(world: World, user_id: int) -> str:
    return next(role for role, user in world.users.items() if user.pk == user_id)


def _api(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def request_export(world: World, role: str, kind: str, format_: str) -> ExportJob:
    """Ask for an export through the API, as the role (its worker builds it)."""
    targets: dict[str, dict[str, Any]] = {
        "edition": {"document": (world.other_document if role == "b_owner" else world.document).pk},
        "claim": {"claim": world.notes["claim"].pk},
        "archive": {"seminar": world.seminar.slug},
    }
    target = targets[kind]
    response = _api(world.tokens[role]).post(
        "/api/v1/exports/", {"kind": kind, "format": format_, **target}, format="json"
    )
    assert response.status_code == 202, (role, kind, format_, response.content)
    return ExportJob.objects.get(pk=response.json()["id"])


def await_jobs(jobs: list[ExportJob], seconds: float = 240) -> list[ExportJob]:
    """The jobs, once the worker has finished every one of them (all must succeed)."""
    deadline = time.monotonic() + seconds
    pending = {job.pk for job in jobs}
    while pending and time.monotonic() < deadline:
        done = ExportJob.objects.filter(
            pk__in=pending, status__in=[ExportJob.Status.SUCCEEDED, ExportJob.Status.FAILED]
        ).values_list("pk", flat=True)
        pending -= set(done)
        if pending:
            time.sleep(0.2)
    finished = list(ExportJob.objects.filter(pk__in=[job.pk for job in jobs]).order_by("pk"))
    failed = [(job.pk, job.kind, job.format, job.status, job.error) for job in finished]
    assert not pending and all(job.status == ExportJob.Status.SUCCEEDED for job in finished), failed
    return finished
