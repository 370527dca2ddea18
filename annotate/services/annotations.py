"""Annotations and their threads: create, edit, delete, reply, notify, re-anchor."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from annotate import access, anchoring, markdown
from annotate.models import (
    BODY_MAX,
    Annotation,
    ClaimStatus,
    Document,
    Notification,
    Reply,
    Revision,
)
from core import policy, ratelimit
from core.errors import Conflict, Unprocessable
from core.models import Membership, User
from core.policy import Action
from core.text import one_line

MAX_TAGS = 20
MAX_TAG_LENGTH = 50
MAX_QUOTE = 5000


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags on one line (core.text.one_line), lower-cased, without '#', duplicates or blanks;
    a bounded list."""
    cleaned = []
    for tag in tags:
        if not isinstance(tag, str):
            raise ValidationError({"tags": "Tags are words."})
        tag = one_line(tag).lstrip("#").strip().lower()
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValidationError({"tags": f"A tag can be at most {MAX_TAG_LENGTH} characters."})
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": f"At most {MAX_TAGS} tags."})
    return cleaned


def _check_body(kind: str, body: str) -> None:
    if kind not in Annotation.Kind.values:
        raise ValidationError({"kind": "Choose highlight, comment, question or claim."})
    if kind != Annotation.Kind.HIGHLIGHT and not body.strip():
        raise ValidationError({"body": f"Write your {kind}."})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": f"At most {BODY_MAX:,} characters."})


def _span(revision: Revision, start: int, end: int) -> None:
    length = len(revision.text)
    if not (0 <= start < end <= length):
        raise Unprocessable(
            f"The selection {start}–{end} is not inside the text (0–{length}, start < end)."
        )
    if end - start > MAX_QUOTE:
        raise Unprocessable(f"Select at most {MAX_QUOTE} characters.")
    if not revision.text[start:end].strip():
        raise Unprocessable("Select some words, not only spaces.")


@transaction.atomic
def annotation_create(
    *,
    document: Document,
    user: User,
    start: int,
    end: int,
    kind: str = Annotation.Kind.COMMENT,
    body: str = "",
    tags: Sequence[str] = (),
    visibility: str = Annotation.Visibility.SEMINAR,
    revision: Revision | None = None,
    canonical: str = "",
    provenance: dict[str, Any] | None = None,
    anchor_status: str = Annotation.AnchorStatus.ANCHORED,
) -> Annotation:
    """Annotate text[start:end] of the document's current revision (or the given one)."""
    policy.require(policy.membership_of(user, document.seminar), Action.PARTICIPATE)
    revision = revision or document.current
    assert revision is not None
    if revision.document_id != document.pk:
        raise Unprocessable("That revision belongs to another text.")
    if revision.pk != document.current_id:
        raise Conflict(
            f"The text has been corrected since revision {revision.number}; reload it and "
            "select again."
        )
    _span(revision, start, end)
    _check_body(kind, body)
    ratelimit.check(user.pk, "annotate")
    if visibility not in Annotation.Visibility.values:
        raise ValidationError({"visibility": "Choose private or seminar."})
    quote = anchoring.quote_at(revision.text, start, end)
    annotation = Annotation.objects.create(
        seminar=document.seminar,
        document=document,
        revision=revision,
        made_on=revision,
        start=start,
        end=end,
        exact=quote.exact,
        prefix=quote.prefix,
        suffix=quote.suffix,
        anchor_status=anchor_status,
        kind=kind,
        visibility=visibility,
        body=body,
        tags=clean_tags(tags),
        author=user,
        claim_status=ClaimStatus.OPEN if kind == Annotation.Kind.CLAIM else "",
        canonical=canonical,
        provenance=provenance or {},
    )
    _notify_mentions(annotation, None, user, body)
    return annotation


def _own(annotation: Annotation, user: User) -> None:
    """Only the author changes an annotation, and only while still taking part in the seminar."""
    if annotation.author_id != user.pk:
        raise PermissionDenied("You can change only your own annotations.")
    policy.require(policy.membership_of(user, annotation.seminar), Action.PARTICIPATE)


def _lock(annotation: Annotation) -> Annotation:
    return (
        Annotation.objects.select_for_update(of=("self",))
        .select_related("document", "seminar")
        .get(pk=annotation.pk)
    )


@transaction.atomic
def annotation_update(
    *,
    annotation: Annotation,
    user: User,
    version: int,
    body: str | None = None,
    tags: Sequence[str] | None = None,
    visibility: str | None = None,
    kind: str | None = None,
) -> Annotation:
    """Edit your own annotation; `version` is the one you edited (409 if it is stale)."""
    annotation = _lock(annotation)
    _own(annotation, user)
    ratelimit.check(user.pk, "edit")
    if annotation.is_deleted:
        raise Conflict("This annotation has been deleted.")
    if version != annotation.version:
        raise StaleEdit(annotation)
    new_kind = kind if kind is not None else annotation.kind
    new_body = body if body is not None else annotation.body
    argued = annotation.kind == Annotation.Kind.CLAIM and (
        annotation.claim_status not in ("", ClaimStatus.OPEN) or annotation.disputes.exists()
    )
    if argued and (new_kind != annotation.kind or visibility == Annotation.Visibility.PRIVATE):
        raise Conflict(
            "This claim is being argued over: it stays a claim, visible to the "
            "seminar. Withdraw it instead, while it is open."
        )
    _check_body(new_kind, new_body)
    if visibility is not None and visibility not in Annotation.Visibility.values:
        raise ValidationError({"visibility": "Choose private or seminar."})
    annotation.kind, annotation.body = new_kind, new_body
    if tags is not None:
        annotation.tags = clean_tags(tags)
    withdrawn = visibility is not None and access.withdraws(annotation, visibility)
    if visibility is not None:
        annotation.visibility = visibility
    annotation.version += 1
    annotation.modified_at = timezone.now()
    if withdrawn:  # the seminar's readers drop it (annotate.access.change_seen)
        annotation.withdrawn_at = annotation.modified_at
    annotation.save()
    return annotation


class StaleEdit(Conflict):
    """An edit made on an older version: carries the current one so both can be shown."""

    def __init__(self, current: Annotation | Reply) -> None:
        super().__init__(
            "Someone changed this since you started editing (it is now at version "
            f"{current.version}). Both versions are shown: copy what you need and try again."
        )
        self.current = current


@transaction.atomic
def annotation_delete(*, annotation: Annotation, user: User) -> Annotation:
    """Delete your own annotation; with replies it stays as a 'deleted' placeholder."""
    annotation = _lock(annotation)
    _own(annotation, user)
    ratelimit.check(user.pk, "edit")
    if not annotation.is_deleted:
        annotation.deleted_at = annotation.modified_at = timezone.now()
        annotation.body, annotation.tags = "", []
        annotation.version += 1
        annotation.save()
    return annotation


# --- Threads -------------------------------------------------------------------------------


@transaction.atomic
def reply_create(
    *,
    annotation: Annotation,
    user: User,
    body: str,
    parent: Reply | None = None,
    stance: str = Reply.Stance.COMMENT,
) -> Reply:
    access.participant(user, annotation, parent)  # 404 for what they cannot see whole
    annotation = _lock(annotation)  # a moderator may be locking the thread right now
    if annotation.locked:
        raise Conflict("A moderator has locked this thread.")
    if stance not in Reply.Stance.values:
        raise ValidationError({"stance": "Supports, disputes, asks for clarification or comment."})
    if stance != Reply.Stance.COMMENT and annotation.kind != Annotation.Kind.CLAIM:
        raise ValidationError({"stance": "Only replies to a claim take a stance."})
    if annotation.is_deleted and not annotation.replies.exists():
        raise Conflict("This annotation has been deleted.")
    if not body.strip():
        raise ValidationError({"body": "Write your reply."})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": f"At most {BODY_MAX:,} characters."})
    ratelimit.check(user.pk, "reply")
    if parent is not None and parent.annotation_id != annotation.pk:
        raise Unprocessable("That reply belongs to another thread.")
    reply = Reply.objects.create(
        annotation=annotation, parent=parent, author=user, body=body, stance=stance
    )
    Annotation.objects.filter(pk=annotation.pk).update(modified_at=timezone.now())
    told = set()
    for recipient in (annotation.author, parent.author if parent else None):
        if recipient is not None and recipient.pk != user.pk and recipient.pk not in told:
            Notification.objects.create(
                recipient=recipient,
                actor=user,
                annotation=annotation,
                reply=reply,
                kind=Notification.Kind.REPLY,
            )
            told.add(recipient.pk)
    _notify_mentions(annotation, reply, user, body, skip=told)
    return reply


@transaction.atomic
def reply_update(*, reply: Reply, user: User, body: str, version: int) -> Reply:
    reply = Reply.objects.select_for_update().select_related("annotation__seminar").get(pk=reply.pk)
    if reply.author_id != user.pk:
        raise PermissionDenied("You can change only your own replies.")
    policy.require(policy.membership_of(user, reply.annotation.seminar), Action.PARTICIPATE)
    ratelimit.check(user.pk, "edit")
    if reply.deleted_at:
        raise Conflict("This reply has been deleted.")
    if version != reply.version:
        raise StaleEdit(reply)
    if not body.strip():
        raise ValidationError({"body": "Write your reply."})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": f"At most {BODY_MAX:,} characters."})
    reply.body, reply.version, reply.modified_at = body, reply.version + 1, timezone.now()
    reply.save()
    Annotation.objects.filter(pk=reply.annotation_id).update(modified_at=reply.modified_at)
    return reply


@transaction.atomic
def reply_delete(*, reply: Reply, user: User) -> Reply:
    reply = Reply.objects.select_for_update().select_related("annotation__seminar").get(pk=reply.pk)
    if reply.author_id != user.pk:
        raise PermissionDenied("You can delete only your own replies.")
    policy.require(policy.membership_of(user, reply.annotation.seminar), Action.PARTICIPATE)
    ratelimit.check(user.pk, "edit")
    if reply.deleted_at is None:
        reply.deleted_at = reply.modified_at = timezone.now()
        reply.body = ""
        reply.version += 1
        reply.save()
        Annotation.objects.filter(pk=reply.annotation_id).update(modified_at=reply.modified_at)
    return reply


def _notify_mentions(
    annotation: Annotation, reply: Reply | None, actor: User, body: str, skip: Iterable[int] = ()
) -> None:
    """Tell members mentioned as @username (only those who can see the annotation)."""
    names = markdown.mentions(body)
    if not names:
        return
    members = Membership.objects.filter(seminar_id=annotation.seminar_id).select_related("user")
    skipped = set(skip) | {actor.pk}
    Notification.objects.bulk_create(
        Notification(
            recipient=m.user,
            actor=actor,
            annotation=annotation,
            reply=reply,
            kind=Notification.Kind.MENTION,
        )
        for m in members
        if m.user.username.lower() in names
        and m.user_id not in skipped
        and access.annotation_visible(access.Viewer(m.user, m), annotation)
    )


def notifications_mark_read(*, user: User, ids: Sequence[int] | None = None) -> int:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


# --- Re-anchoring --------------------------------------------------------------------------


def annotations_reanchor(*, document: Document, old: Revision, new: Revision) -> dict[str, int]:
    """Move every annotation of `old` onto `new` (called inside the correction's transaction).

    Nothing is deleted: annotations whose words are gone become orphans, kept and listed.
    """
    on_old = list(
        Annotation.objects.filter(document=document, revision=old).exclude(
            anchor_status=Annotation.AnchorStatus.ORPHANED
        )
    )
    targets = [
        anchoring.Target(
            a.pk, a.start or 0, a.end or 0, anchoring.Quote(a.exact, a.prefix, a.suffix)
        )
        for a in on_old
    ]
    anchors = anchoring.reanchor(old.text, new.text, new.edits, targets)
    counts = {"anchored": 0, "relocated": 0, "orphaned": 0}
    now = timezone.now()
    for annotation, anchor in zip(on_old, anchors, strict=True):
        annotation.revision = new
        annotation.modified_at = now
        if anchor.status == "orphaned":
            annotation.start = annotation.end = None
            annotation.anchor_status = Annotation.AnchorStatus.ORPHANED
        else:
            annotation.start, annotation.end = anchor.start, anchor.end
            annotation.anchor_status = (
                Annotation.AnchorStatus.RELOCATED
                if anchor.status == "relocated"
                or annotation.anchor_status == Annotation.AnchorStatus.RELOCATED
                else Annotation.AnchorStatus.ANCHORED
            )
        counts[annotation.anchor_status] += 1
    Annotation.objects.bulk_update(
        on_old, ["revision", "start", "end", "anchor_status", "modified_at"], batch_size=1000
    )
    Annotation.objects.filter(document=document, revision=old).update(revision=new)
    return counts


@transaction.atomic
def annotation_reattach(*, annotation: Annotation, user: User, start: int, end: int) -> Annotation:
    """Attach an orphan (or any annotation) to a new selection on the current revision."""
    annotation = _lock(annotation)
    membership = policy.membership_of(user, annotation.seminar)
    role = membership.role if membership else None
    if not policy.role_allows(role, Action.EDIT_TEXTS):
        if annotation.author_id != user.pk:
            raise PermissionDenied("Only its author or an editor can re-attach an annotation.")
        policy.require(membership, Action.PARTICIPATE)  # an author who is now an observer
    ratelimit.check(user.pk, "edit")
    revision = annotation.document.current
    assert revision is not None
    _span(revision, start, end)
    quote = anchoring.quote_at(revision.text, start, end)
    annotation.revision = revision
    annotation.start, annotation.end = start, end
    annotation.exact, annotation.prefix, annotation.suffix = quote.exact, quote.prefix, quote.suffix
    annotation.anchor_status = Annotation.AnchorStatus.ANCHORED
    annotation.version += 1
    annotation.modified_at = timezone.now()
    annotation.save()
    return annotation


# --- Import --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedAnnotation:
    """One annotation made elsewhere, anchored by the caller: a span, or none (an orphan)."""

    exact: str
    prefix: str = ""
    suffix: str = ""
    start: int | None = None
    end: int | None = None
    relocated: bool = False  # found only approximately: the words differ from the quote
    kind: str = Annotation.Kind.COMMENT
    body: str = ""
    tags: Sequence[str] = ()
    visibility: str = Annotation.Visibility.SEMINAR
    canonical: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)


@transaction.atomic
def annotation_import(
    *, document: Document, user: User, revision: Revision, items: Sequence[ImportedAnnotation]
) -> list[Annotation | str]:
    """Import annotations onto the current revision, all in one insert; `user` owns them.

    Each item gives its new annotation, or in its place the reason it was refused (the others
    are imported all the same). Items without a span are kept as orphans, with their quote.
    Imports tell no one: an @mention in an imported body notifies nobody.
    """
    policy.require(policy.membership_of(user, document.seminar), Action.PARTICIPATE)
    ratelimit.check(user.pk, "import")
    if revision.document_id != document.pk:
        raise Unprocessable("That revision belongs to another text.")
    current = Document.objects.filter(pk=document.pk).values_list("current_id", flat=True).get()
    if revision.pk != current:
        raise Conflict(
            f"The text has been corrected since revision {revision.number}; import again."
        )
    results: list[Annotation | str] = []
    for item in items:
        try:
            results.append(_imported(document, user, revision, item))
        except ValidationError as error:
            results.append(" ".join(error.messages))
        except Unprocessable as error:
            results.append(error.message)
    Annotation.objects.bulk_create([r for r in results if isinstance(r, Annotation)])
    return results


def _imported(
    document: Document, user: User, revision: Revision, item: ImportedAnnotation
) -> Annotation:
    _check_body(item.kind, item.body)
    if item.visibility not in Annotation.Visibility.values:
        raise ValidationError({"visibility": "Choose private or seminar."})
    tags = clean_tags(item.tags)
    if item.start is None or item.end is None:
        if not item.exact.strip():
            raise ValidationError({"exact": "An annotation needs the words it quotes."})
        if len(item.exact) > MAX_QUOTE:
            raise Unprocessable(f"A quote can be at most {MAX_QUOTE} characters.")
        quote = anchoring.Quote(
            item.exact, item.prefix[-anchoring.CONTEXT :], item.suffix[: anchoring.CONTEXT]
        )
        status = Annotation.AnchorStatus.ORPHANED
    else:
        _span(revision, item.start, item.end)
        quote = anchoring.quote_at(revision.text, item.start, item.end)
        status = (
            Annotation.AnchorStatus.RELOCATED
            if item.relocated
            else Annotation.AnchorStatus.ANCHORED
        )
    return Annotation(
        seminar=document.seminar,
        document=document,
        revision=revision,
        made_on=revision,
        start=item.start if status != Annotation.AnchorStatus.ORPHANED else None,
        end=item.end if status != Annotation.AnchorStatus.ORPHANED else None,
        exact=quote.exact,
        prefix=quote.prefix,
        suffix=quote.suffix,
        anchor_status=status,
        kind=item.kind,
        visibility=item.visibility,
        body=item.body,
        tags=tags,
        author=user,
        canonical=item.canonical,
        provenance=dict(item.provenance),
    )
