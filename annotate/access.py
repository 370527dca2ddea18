"""What a viewer may see of a seminar, and what answers when they may not: the one place.

Every rule is written twice, side by side, and each docstring names its twin: once for one
object (templates, serializers, exports, fetchers) and once as a queryset (lists, counts,
search, the moderation queue). tests/annotate/test_access.py checks that the two forms agree
on every state the permission table (tests/security/) uses. What a *role* may do is
core/policy.py's table; this module says what each viewer sees of the things in a seminar.

The rules, decided once:

- **Annotations** are seen by the members of their seminar: shared ones by all, private ones
  by their author. Content a moderator hid is seen whole by its author and the moderators;
  the reader, search and the W3C API leave it out for everyone else (`annotations`).
- **Claims** are listed while alive, hidden ones included: a claim's record (status, disputes,
  rulings) stays public to the seminar, and others see "Hidden by a moderator" instead of its
  body (`body_shown`).
- **Replies** are listed with their thread. A deleted reply stays, as a placeholder, only while
  a live or placeholder reply answers it (it holds up the thread), on every surface; a hidden
  one is a notice for all but its author and the moderators (the W3C API, which has no
  notices, leaves it out).
- **Stances**: only live, unhidden replies take a stance, counted per member.
- **Acting** (replying, flagging, disputing, moderating) needs the thing to be seen whole:
  what a viewer cannot see, or sees only as a notice or placeholder they cannot act on,
  answers 404 exactly like what does not exist, for every verb; then the role is checked
  (403). `access_*` fetchers implement that order.
"""

from dataclasses import dataclass
from typing import Any, NamedTuple

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from annotate.models import (
    Annotation,
    Dispute,
    Document,
    ExportJob,
    Flag,
    ImportJob,
    Notification,
    Reply,
)
from core import policy
from core.models import Membership, Role, Seminar, User
from core.policy import Action

SHARED = Annotation.Visibility.SEMINAR


# --- Who is asking ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """A member of one seminar, as they ask: built once per request from the membership."""

    user: User
    membership: Membership

    @classmethod
    def of(cls, user: User | AnonymousUser, seminar: Seminar) -> "Viewer":
        """The user as a viewer of the seminar; 404 if they are not a member of it."""
        membership = policy.membership_of(user, seminar)
        if membership is None:
            raise Http404("No such seminar.")
        assert isinstance(user, User)
        return cls(user, membership)

    @classmethod
    def at(cls, user: User | AnonymousUser, slug: str, action: Action = Action.VIEW) -> "Viewer":
        """The user as a viewer of the seminar `slug` (core.policy.access_seminar: 404 for
        non-members, 403 without the role for `action`)."""
        _, membership = policy.access_seminar(user, slug, action)
        assert isinstance(user, User)
        return cls(user, membership)

    @property
    def seminar(self) -> Seminar:
        return self.membership.seminar

    @property
    def pk(self) -> int:
        return self.user.pk

    @property
    def seminar_id(self) -> int:
        return self.membership.seminar_id

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def moderates(self) -> bool:
        return policy.role_allows(self.role, Action.MODERATE)

    @property
    def participates(self) -> bool:
        return policy.role_allows(self.role, Action.PARTICIPATE)

    def may(self, action: Action) -> bool:
        return policy.role_allows(self.role, action)

    def require(self, action: Action) -> None:
        """403 unless the viewer's role allows `action` (core.policy's table)."""
        policy.require(self.membership, action)


def moderator_roles() -> list[str]:
    """The roles that moderate, from core.policy's table (never spelled out again)."""
    return [role for role in Role.values if policy.role_allows(role, Action.MODERATE)]


def _moderates_seminar(user: User, seminar: Any) -> Exists:
    """SQL: the user moderates the seminar `seminar` (an OuterRef) names."""
    mine = Membership.objects.filter(seminar=seminar, user=user, role__in=moderator_roles())
    return Exists(mine)


# --- Annotations -----------------------------------------------------------------------------


def annotation_visible(viewer: Viewer, annotation: Annotation) -> bool:
    """In the viewer's seminar, shared or theirs, and not hidden unless theirs or they
    moderate. Deleted ones included (the caller decides: see annotation_listed).
    Twin: annotations."""
    mine = annotation.author_id == viewer.pk
    return (
        annotation.seminar_id == viewer.seminar_id
        and (annotation.visibility == SHARED or mine)
        and (not annotation.hidden or mine or viewer.moderates)
    )


def _sees(viewer: Viewer) -> Q:
    """annotation_visible's condition in SQL, within the viewer's seminar."""
    sees = Q(visibility=SHARED) | Q(author=viewer.user)
    if not viewer.moderates:
        sees &= Q(hidden=False) | Q(author=viewer.user)
    return sees


def annotations(viewer: Viewer) -> QuerySet[Annotation]:
    """The seminar's annotations the viewer sees. Twin: annotation_visible."""
    return Annotation.objects.filter(seminar_id=viewer.seminar_id).filter(_sees(viewer))


def change_seen(viewer: Viewer, annotation: Annotation) -> bool:
    """Whether the annotation's latest change reaches the viewer's reader (its stamp, its
    paragraph re-rendered, its card): if they see it now, or if that change was its
    withdrawal (made private, hidden), which their reader must show by dropping it. A change
    to what the viewer never saw tells them nothing, not even that it happened.
    Twin: changes_seen."""
    withdrawn = annotation.withdrawn_at is not None and (
        annotation.withdrawn_at == annotation.modified_at
    )
    return annotation.seminar_id == viewer.seminar_id and (
        annotation_visible(viewer, annotation) or withdrawn
    )


def withdraws(annotation: Annotation, visibility: str) -> bool:
    """Whether making the annotation `visibility` takes it from members who saw it (shared
    made private): the service then stamps withdrawn_at, for change_seen."""
    return annotation.visibility == SHARED and visibility != SHARED


def changes_seen(viewer: Viewer) -> QuerySet[Annotation]:
    """The annotations whose latest change reaches the viewer. Twin: change_seen."""
    withdrawn = Q(withdrawn_at__isnull=False, withdrawn_at=F("modified_at"))
    return Annotation.objects.filter(seminar_id=viewer.seminar_id).filter(_sees(viewer) | withdrawn)


def annotations_of_user(user: User | AnonymousUser) -> QuerySet[Annotation]:
    """annotations() across every seminar the user belongs to (the W3C API's search over
    seminars; one viewer per seminar in SQL). Twin: annotation_visible, per seminar."""
    if not user.is_authenticated:
        return Annotation.objects.none()
    return (
        Annotation.objects.filter(seminar__memberships__user=user)
        .filter(Q(visibility=SHARED) | Q(author=user))
        .filter(Q(hidden=False) | Q(author=user) | _moderates_seminar(user, OuterRef("seminar")))
    )


def is_alive(item: Annotation | Reply) -> bool:
    """Not deleted by its author. Twin: alive."""
    return item.deleted_at is None


def alive[M: (Annotation, Reply)](found: QuerySet[M]) -> QuerySet[M]:
    """`found` without what its authors deleted (the reader's highlights, counts, lists).
    Twin: is_alive."""
    return found.filter(deleted_at__isnull=True)


def holds_up_thread(annotation: Annotation) -> bool:
    """A deleted annotation stays, as its thread's placeholder, while it has replies."""
    return annotation.deleted_at is None or _has(annotation, "replies")


def annotation_listed(viewer: Viewer, annotation: Annotation) -> bool:
    """Visible, and alive or holding up a thread (then a placeholder).
    Twin: annotations_listed."""
    return annotation_visible(viewer, annotation) and holds_up_thread(annotation)


def annotations_listed(viewer: Viewer) -> QuerySet[Annotation]:
    """The annotations the viewer can address, placeholders included.
    Twin: annotation_listed."""
    threaded = Exists(Reply.objects.filter(annotation=OuterRef("pk")))
    return annotations(viewer).filter(Q(deleted_at__isnull=True) | threaded)


# --- Claims ----------------------------------------------------------------------------------


def claim_listed(viewer: Viewer, claim: Annotation) -> bool:
    """A live claim of the seminar, shared or the viewer's: hidden ones too, whose record
    (status, disputes, rulings) stays the seminar's; their body is body_shown's.
    Twin: claims."""
    return (
        claim.kind == Annotation.Kind.CLAIM
        and claim.deleted_at is None
        and claim.seminar_id == viewer.seminar_id
        and (claim.visibility == SHARED or claim.author_id == viewer.pk)
    )


def claims(viewer: Viewer) -> QuerySet[Annotation]:
    """The seminar's claims the viewer sees listed. Twin: claim_listed."""
    return Annotation.objects.filter(
        seminar_id=viewer.seminar_id, kind=Annotation.Kind.CLAIM, deleted_at__isnull=True
    ).filter(Q(visibility=SHARED) | Q(author=viewer.user))


# --- Bodies: what hiding keeps from whom ------------------------------------------------------


def body_shown(viewer: Viewer, item: Annotation | Reply) -> bool:
    """Hidden content is shown whole to its author and the moderators; others see a notice
    ("Hidden by a moderator") and cannot act on it. Twin: bodies_shown."""
    return not item.hidden or item.author_id == viewer.pk or viewer.moderates


def bodies_shown[M: (Annotation, Reply)](viewer: Viewer, found: QuerySet[M]) -> QuerySet[M]:
    """`found` (annotations or replies) narrowed to those whose body the viewer sees.
    Twin: body_shown."""
    if viewer.moderates:
        return found
    return found.filter(Q(hidden=False) | Q(author=viewer.user))


# --- Replies ---------------------------------------------------------------------------------


def thread_open_to(viewer: Viewer, annotation: Annotation) -> bool:
    """The thread under an annotation is the viewer's to read: in their seminar, shared or
    theirs (a hidden claim's thread stays, under its notice). Twin: replies."""
    return annotation.seminar_id == viewer.seminar_id and (
        annotation.visibility == SHARED or annotation.author_id == viewer.pk
    )


def holds_up_replies(reply: Reply) -> bool:
    """A deleted reply stays, as a placeholder, while another reply answers it."""
    return reply.deleted_at is None or _has(reply, "children")


def reply_listed(viewer: Viewer, reply: Reply) -> bool:
    """In a thread the viewer reads (thread_open_to), alive or holding up replies
    (a placeholder); hidden ones included (a notice: body_shown). Twin: replies."""
    return thread_open_to(viewer, reply.annotation) and holds_up_replies(reply)


def replies(viewer: Viewer) -> QuerySet[Reply]:
    """The replies the viewer sees listed, placeholders and notices included.
    Twin: reply_listed."""
    answered = Exists(Reply.objects.filter(parent=OuterRef("pk")))
    return (
        Reply.objects.filter(annotation__seminar_id=viewer.seminar_id)
        .filter(Q(annotation__visibility=SHARED) | Q(annotation__author=viewer.user))
        .filter(Q(deleted_at__isnull=True) | answered)
    )


def reply_whole(viewer: Viewer, reply: Reply) -> bool:
    """Listed and shown whole, placeholders included: what the W3C API lists (it has no
    notice for a hidden reply). Twin: replies_whole."""
    return reply_listed(viewer, reply) and body_shown(viewer, reply)


def replies_whole(viewer: Viewer) -> QuerySet[Reply]:
    """Twin: reply_whole."""
    return bodies_shown(viewer, replies(viewer))


def reply_readable(viewer: Viewer, reply: Reply) -> bool:
    """Listed, alive and shown whole: what search finds and the W3C API lists.
    Twin: replies_readable."""
    return reply_listed(viewer, reply) and reply.deleted_at is None and body_shown(viewer, reply)


def replies_readable(viewer: Viewer) -> QuerySet[Reply]:
    """Twin: reply_readable."""
    return bodies_shown(viewer, replies(viewer).filter(deleted_at__isnull=True))


def takes_stance(reply: Reply) -> bool:
    """Only a live reply that no moderator hid takes a stance (for every viewer: a count
    must not tell members what was hidden). Twin: stances."""
    return reply.deleted_at is None and not reply.hidden and bool(reply.stance)


def stances(found: QuerySet[Reply]) -> QuerySet[Reply]:
    """`found` narrowed to the replies that take a stance. Twin: takes_stance."""
    return found.filter(deleted_at__isnull=True, hidden=False).exclude(stance="")


class Post(NamedTuple):
    """One reply of a thread as the viewer sees it: where it sits, and whether its body is
    shown (body_shown; else "Hidden by a moderator")."""

    reply: Reply
    depth: int
    shown: bool


def thread(viewer: Viewer, annotation: Annotation) -> list[Post]:
    """The thread's listed replies (reply_listed) in reading order with their depth (replies
    to replies indent, to 4 levels): the one walker for cards, the claim page, both APIs and
    exports. Reads annotation.replies.all() (prefetch it, with authors)."""
    if not thread_open_to(viewer, annotation):
        return []
    found = list(annotation.replies.all())
    answered = {reply.parent_id for reply in found}
    children: dict[int | None, list[Reply]] = {}
    for reply in found:
        reply.annotation = annotation  # no query per reply for the rules below
        if reply.deleted_at is None or reply.pk in answered:
            children.setdefault(reply.parent_id, []).append(reply)
    ordered: list[Post] = []

    def walk(parent: int | None, depth: int) -> None:
        for reply in children.get(parent, []):
            ordered.append(Post(reply, depth, body_shown(viewer, reply)))
            walk(reply.pk, min(depth + 1, 4))

    walk(None, 0)
    return ordered


# --- Acting: what may be replied to, flagged, disputed, moderated ------------------------------


def annotation_actionable(viewer: Viewer, annotation: Annotation) -> bool:
    """Listed and shown whole (moderators see hidden content; its author too): anything less
    answers 404 to every verb. Twin: annotations_actionable."""
    return annotation_listed(viewer, annotation) and body_shown(viewer, annotation)


def annotations_actionable(viewer: Viewer) -> QuerySet[Annotation]:
    """Twin: annotation_actionable."""
    return bodies_shown(viewer, annotations_listed(viewer))


def claim_actionable(viewer: Viewer, claim: Annotation) -> bool:
    """A listed claim shown whole (a hidden claim is only a notice to its readers).
    Twin: claims_actionable."""
    return claim_listed(viewer, claim) and body_shown(viewer, claim)


def claims_actionable(viewer: Viewer) -> QuerySet[Annotation]:
    """Twin: claim_actionable."""
    return bodies_shown(viewer, claims(viewer))


def reply_actionable(viewer: Viewer, reply: Reply) -> bool:
    """A listed reply shown whole, in a thread whose annotation the viewer may act on.
    Twin: replies_actionable."""
    return (
        reply_listed(viewer, reply)
        and body_shown(viewer, reply)
        and body_shown(viewer, reply.annotation)
    )


def replies_actionable(viewer: Viewer) -> QuerySet[Reply]:
    """Twin: reply_actionable."""
    found = bodies_shown(viewer, replies(viewer))
    if viewer.moderates:
        return found
    return found.filter(Q(annotation__hidden=False) | Q(annotation__author=viewer.user))


# --- Disputes and flags ----------------------------------------------------------------------


def dispute_visible(viewer: Viewer, dispute: Dispute) -> bool:
    """A dispute of a claim the viewer sees listed. Twin: disputes."""
    return claim_listed(viewer, dispute.claim)


def disputes(viewer: Viewer) -> QuerySet[Dispute]:
    """Twin: dispute_visible."""
    return Dispute.objects.filter(claim__in=claims(viewer))


def flag_actionable(viewer: Viewer, flag: Flag) -> bool:
    """A flag is a moderator's to act on while what it flags is alive and theirs to see
    whole: the queue lists exactly these. Twin: flags_actionable."""
    if flag.seminar_id != viewer.seminar_id:
        return False
    if flag.reply_id is not None:
        reply = flag.reply
        assert reply is not None
        return reply.deleted_at is None and reply_actionable(viewer, reply)
    annotation = flag.annotation
    return (
        annotation is not None
        and annotation.deleted_at is None
        and annotation_actionable(viewer, annotation)
    )


def flags_actionable(viewer: Viewer) -> QuerySet[Flag]:
    """Twin: flag_actionable."""
    live_replies = replies_actionable(viewer).filter(deleted_at__isnull=True)
    live_annotations = annotations_actionable(viewer).filter(deleted_at__isnull=True)
    return Flag.objects.filter(seminar_id=viewer.seminar_id).filter(
        Q(reply__in=live_replies) | Q(reply__isnull=True, annotation__in=live_annotations)
    )


# --- Texts -------------------------------------------------------------------------------------

# What access_document leaves unread: a revision's text and structure are ~100 KB each time;
# callers that need them ask annotate.selectors.with_text (a process keeps the last few).
LIGHT_DEFER = (
    "source_text",
    "current__text",
    "current__blocks",
    "current__pages",
    "current__footnote_refs",
    "current__suspects",
    "current__joins",
    "current__line_map",
    "current__edits",
)


def access_document(
    user: User | AnonymousUser,
    document_id: int,
    action: Action = Action.VIEW,
    *,
    seminar_slug: str | None = None,
) -> tuple[Document, Membership]:
    """A text and the user's membership of its seminar: 404 for non-members (and under
    another seminar's address), 403 without the role. Its source and its current revision's
    text and structure are deferred (selectors.with_text loads the revision)."""
    documents = Document.objects.select_related("seminar", "current", "created_by")
    document = documents.defer(*LIGHT_DEFER).filter(pk=document_id).first()
    membership = policy.membership_of(user, document.seminar) if document else None
    wrong_seminar = document is not None and seminar_slug not in (None, document.seminar.slug)
    if document is None or membership is None or wrong_seminar:
        raise Http404("No such text.")
    policy.require(membership, action)
    return document, membership


# --- Fetchers: 404 for what the viewer may not see (or act on), then 403 without the role ----


def _viewer(user: User | AnonymousUser, seminar: Seminar, what: str) -> Viewer:
    membership = policy.membership_of(user, seminar)
    if membership is None:
        raise Http404(f"No such {what}.")
    assert isinstance(user, User)
    return Viewer(user, membership)


def _in(item_seminar: Seminar, seminar: Seminar | None, what: str) -> None:
    if seminar is not None and item_seminar.pk != seminar.pk:
        raise Http404(f"No such {what}.")


def access_annotation(
    user: User | AnonymousUser,
    pk: int,
    action: Action = Action.VIEW,
    *,
    seminar: Seminar | None = None,
) -> tuple[Annotation, Viewer]:
    """The annotation `pk` and its viewer: 404 unless annotation_listed (to look) or
    annotation_actionable (to act), or if it is not in `seminar`; 403 without the role."""
    annotation = Annotation.objects.select_related("seminar").filter(pk=pk).first()
    if annotation is None:
        raise Http404("No such annotation.")
    _in(annotation.seminar, seminar, "annotation")
    viewer = _viewer(user, annotation.seminar, "annotation")
    sees = annotation_listed if action == Action.VIEW else annotation_actionable
    if not sees(viewer, annotation):
        raise Http404("No such annotation.")
    viewer.require(action)
    return annotation, viewer


def access_claim(
    user: User | AnonymousUser,
    pk: int,
    action: Action = Action.VIEW,
    *,
    seminar: Seminar | None = None,
    whole: bool = False,
) -> tuple[Annotation, Viewer]:
    """The claim `pk` and its viewer: 404 unless claim_listed (to look) or claim_actionable
    (to act, or to take it `whole`: its record), or if it is not in `seminar`; 403 without the
    role."""
    claim = (
        Annotation.objects.select_related("seminar", "author", "document", "revision")
        .filter(pk=pk, kind=Annotation.Kind.CLAIM)
        .first()
    )
    if claim is None:
        raise Http404("No such claim.")
    _in(claim.seminar, seminar, "claim")
    viewer = _viewer(user, claim.seminar, "claim")
    sees = claim_listed if action == Action.VIEW and not whole else claim_actionable
    if not sees(viewer, claim):
        raise Http404("No such claim.")
    viewer.require(action)
    return claim, viewer


def access_reply(
    user: User | AnonymousUser,
    pk: int,
    action: Action = Action.VIEW,
    *,
    seminar: Seminar | None = None,
) -> tuple[Reply, Viewer]:
    """The reply `pk` and its viewer: 404 unless reply_listed (to look) or reply_actionable
    (to act), or if it is not in `seminar`; 403 without the role."""
    reply = Reply.objects.select_related("annotation__seminar").filter(pk=pk).first()
    if reply is None:
        raise Http404("No such reply.")
    _in(reply.annotation.seminar, seminar, "reply")
    viewer = _viewer(user, reply.annotation.seminar, "reply")
    sees = reply_listed if action == Action.VIEW else reply_actionable
    if not sees(viewer, reply):
        raise Http404("No such reply.")
    viewer.require(action)
    return reply, viewer


def access_dispute(
    user: User | AnonymousUser,
    pk: int,
    action: Action = Action.VIEW,
    *,
    seminar: Seminar | None = None,
) -> tuple[Dispute, Viewer]:
    """The dispute `pk` and its viewer: 404 unless dispute_visible; 403 without the role."""
    dispute = Dispute.objects.select_related("claim__seminar").filter(pk=pk).first()
    if dispute is None:
        raise Http404("No such dispute.")
    _in(dispute.claim.seminar, seminar, "dispute")
    viewer = _viewer(user, dispute.claim.seminar, "dispute")
    if not dispute_visible(viewer, dispute):
        raise Http404("No such dispute.")
    viewer.require(action)
    return dispute, viewer


def access_flag(
    user: User | AnonymousUser, pk: int, action: Action = Action.VIEW
) -> tuple[Flag, Viewer]:
    """The flag `pk` and its viewer (any member of its seminar); 403 without the role."""
    flag = Flag.objects.select_related("seminar").filter(pk=pk).first()
    if flag is None:
        raise Http404("No such flag.")
    viewer = _viewer(user, flag.seminar, "flag")
    viewer.require(action)
    return flag, viewer


def participant(user: User, annotation: Annotation, reply: Reply | None = None) -> Viewer:
    """The services' check before a member acts on an annotation, or a reply in its thread
    (replying, flagging, disputing): 404 unless they see it whole (annotation_visible, and the
    reply's body_shown), exactly as if it did not exist; then 403 unless they take part."""
    viewer = _viewer(user, annotation.seminar, "annotation")
    if not annotation_visible(viewer, annotation):
        raise Http404("No such annotation.")
    if reply is not None and not body_shown(viewer, reply):
        raise Http404("No such reply.")
    viewer.require(Action.PARTICIPATE)
    return viewer


def access_export(user: User | AnonymousUser, pk: int) -> ExportJob:
    """The user's own export `pk`, while they still belong to its seminar and may still see
    what it holds (export_visible: the claim of a claim's record, re-checked at every
    download); else 404."""
    job = ExportJob.objects.select_related("seminar", "claim").filter(pk=pk).first()
    if job is None or not isinstance(user, User) or not export_visible(user, job):
        raise Http404("No such export.")
    return job


def export_visible(user: User, job: ExportJob) -> bool:
    """Its requester sees an export while a member of its seminar, and a claim's record while
    the claim is theirs to take whole (claim_actionable: not made private or hidden since, not
    deleted). Twin: exports_visible."""
    if job.requested_by_id != user.pk:
        return False
    membership = policy.membership_of(user, job.seminar)
    if membership is None:
        return False
    if job.claim_id is None:
        return True
    return job.claim is not None and claim_actionable(Viewer(user, membership), job.claim)


def exports_visible(user: User) -> QuerySet[ExportJob]:
    """Twin: export_visible."""
    mine = ExportJob.objects.filter(requested_by=user, seminar__memberships__user=user)
    moderates = _moderates_seminar(user, OuterRef("seminar"))
    claim_whole = (
        Q(claim__kind=Annotation.Kind.CLAIM, claim__deleted_at__isnull=True)
        & (Q(claim__visibility=SHARED) | Q(claim__author=user))
        & (Q(claim__hidden=False) | Q(claim__author=user) | moderates)
    )
    return mine.filter(Q(claim__isnull=True) | claim_whole)


# --- Editions: what an exported edition holds ------------------------------------------------


def in_edition(item: Annotation | Reply) -> bool:
    """An edition is for reading: it holds what its requester sees (edition_annotations), alive,
    and never hidden content, not even for moderators or the author; a deleted reply's answers
    move up to its parent. Twin: edition_annotations, edition_replies."""
    return item.deleted_at is None and not item.hidden


def edition_annotations(viewer: Viewer, *, private: bool = True) -> QuerySet[Annotation]:
    """What an edition for the viewer holds: their private notes too unless `private` is
    False (an export's option). Twin: in_edition."""
    found = annotations(viewer).filter(deleted_at__isnull=True, hidden=False)
    return found if private else found.filter(visibility=SHARED)


def edition_replies() -> QuerySet[Reply]:
    """The replies an edition holds of the annotations it holds. Twin: in_edition."""
    return Reply.objects.filter(deleted_at__isnull=True, hidden=False)


# --- Notifications ---------------------------------------------------------------------------


def notification_shown(user: User, notification: Notification) -> bool:
    """A member's notification while they may still see what it is about: an annotation in a
    seminar they belong to, shared or theirs; their export, while still a member of its
    seminar. Twin: notifications."""
    if notification.recipient_id != user.pk:
        return False
    if notification.annotation_id is not None:
        annotation = notification.annotation
        assert annotation is not None
        return policy.membership_of(user, annotation.seminar) is not None and (
            annotation.visibility == SHARED or annotation.author_id == user.pk
        )
    if notification.export_id is not None:
        export = notification.export
        assert export is not None
        return export.requested_by_id == user.pk and (
            policy.membership_of(user, export.seminar) is not None
        )
    return False


def notifications(user: User) -> QuerySet[Notification]:
    """The notifications the member sees. Twin: notification_shown."""
    about_annotation = Q(annotation__seminar__memberships__user=user) & (
        Q(annotation__visibility=SHARED) | Q(annotation__author=user)
    )
    about_export = Q(export__requested_by=user, export__seminar__memberships__user=user)
    return Notification.objects.filter(recipient=user).filter(about_annotation | about_export)


# --- Helpers ---------------------------------------------------------------------------------


def _has(item: Annotation | Reply, relation: str) -> bool:
    """Whether item.<relation> has any row: from a prefetch if there is one, else one query."""
    cache = getattr(item, "_prefetched_objects_cache", {})
    if relation in cache:
        return bool(cache[relation])
    return bool(getattr(item, relation).exists())


# --- Import jobs -----------------------------------------------------------------------------


def _import_action(kind: str) -> Action:
    """A W3C import needs the right to take part; a text import, to edit the seminar's texts."""
    return Action.PARTICIPATE if kind == ImportJob.Kind.ANNOTATIONS else Action.EDIT_TEXTS


def import_visible(viewer: User | AnonymousUser, job: ImportJob) -> bool:
    """Its requester sees an import job while they may still do what it does in its seminar.
    Twin: imports_visible."""
    if not viewer.is_authenticated or job.requested_by_id != viewer.pk:
        return False
    membership = policy.membership_of(viewer, job.seminar)
    return policy.role_allows(membership.role if membership else None, _import_action(job.kind))


def imports_visible(viewer: User | AnonymousUser) -> QuerySet[ImportJob]:
    """The import jobs the viewer sees. Twin: import_visible."""
    if not viewer.is_authenticated:
        return ImportJob.objects.none()

    def member_as(action: Action) -> Exists:
        roles = [role for role in Role.values if policy.role_allows(role, action)]
        mine = Membership.objects.filter(seminar=OuterRef("seminar"), user=viewer, role__in=roles)
        return Exists(mine)

    annotations = Q(kind=ImportJob.Kind.ANNOTATIONS)
    return ImportJob.objects.filter(requested_by=viewer).filter(
        (annotations & member_as(Action.PARTICIPATE))
        | (~annotations & member_as(Action.EDIT_TEXTS))
    )


def access_import(viewer: User | AnonymousUser, pk: int) -> ImportJob:
    """The import job `pk` if the viewer sees it (import_visible); else 404."""
    job = ImportJob.objects.select_related("seminar", "document").filter(pk=pk).first()
    if job is None or not import_visible(viewer, job):
        raise Http404("No such import.")
    return job
