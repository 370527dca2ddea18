"""Reads with their joins: what a member sees of a text's annotations, filtered and counted."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Count, Exists, F, Func, OuterRef, Prefetch, Q, QuerySet
from django.http import QueryDict

from annotate.models import Annotation, Document, Reply, Revision
from core import policy
from core.models import Membership, Role, User


@dataclass(frozen=True)
class Filters:
    member: str = ""
    kind: str = ""
    tag: str = ""
    mine: bool = False
    q: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> Filters:
        kind = query.get("kind", "")
        return cls(
            member=query.get("member", "")[:150],
            kind=kind if kind in Annotation.Kind.values else "",
            tag=query.get("tag", "").strip().lower()[:50],
            mine=query.get("mine") == "1",
            q=query.get("q", "").strip()[:200],
        )

    @property
    def active(self) -> bool:
        return bool(self.member or self.kind or self.tag or self.mine or self.q)

    def apply(self, annotations: QuerySet[Annotation], user: User) -> QuerySet[Annotation]:
        if self.member:
            annotations = annotations.filter(author__username=self.member)
        if self.kind:
            annotations = annotations.filter(kind=self.kind)
        if self.tag:
            annotations = annotations.filter(tags__contains=[self.tag])
        if self.mine:
            annotations = annotations.filter(author=user)
        if self.q:
            query = SearchQuery(self.q, config="english", search_type="websearch")
            # A hidden reply's words find its thread only for its author and the moderators.
            moderates = Membership.objects.filter(
                seminar=OuterRef("annotation__seminar"),
                user=user,
                role__in=[Role.OWNER, Role.MODERATOR],
            )
            in_replies = Reply.objects.filter(
                annotation=OuterRef("pk"), deleted_at__isnull=True, search=query
            ).filter(Q(hidden=False) | Q(author=user) | Exists(moderates))
            annotations = annotations.filter(Q(search=query) | Exists(in_replies))
        return annotations


def visible(
    user: User, document: Document, membership: Membership | None = None
) -> QuerySet[Annotation]:
    """Every annotation of the document this member may see (deleted ones included).

    Content a moderator hid is left out, except for its author and the moderators (who see
    it marked as hidden). A view that has the user's membership of the seminar passes it
    (one query fewer).
    """
    found = Annotation.objects.filter(document=document).filter(
        Q(visibility=Annotation.Visibility.SEMINAR) | Q(author=user)
    )
    if membership is None:
        membership = policy.membership_of(user, document.seminar)
    else:  # the caller's: this user's, in this seminar
        assert (membership.user_id, membership.seminar_id) == (user.pk, document.seminar_id)
    if not policy.role_allows(membership.role if membership else None, policy.Action.MODERATE):
        found = found.exclude(Q(hidden=True) & ~Q(author=user))
    return found


def on_revision(
    user: User,
    document: Document,
    revision: Revision,
    filters: Filters = Filters(),
    membership: Membership | None = None,
) -> QuerySet[Annotation]:
    """The annotations shown as highlights: visible, alive, anchored on this revision."""
    found = visible(user, document, membership).filter(
        revision=revision, deleted_at__isnull=True, start__isnull=False
    )
    return filters.apply(found, user)


def highlight_rows(
    user: User,
    document: Document,
    revision: Revision,
    filters: Filters = Filters(),
    within: tuple[int, int] | None = None,
    membership: Membership | None = None,
) -> list[tuple[int, int, int, str, bool]]:
    """(id, start, end, kind, mine) for each highlight (touching `within`, if given)."""
    found = on_revision(user, document, revision, filters, membership)
    if within is not None:
        found = found.filter(start__lte=within[1], end__gte=within[0])
    query = found.values_list("pk", "start", "end", "kind", "author_id").order_by()
    # Thousands of rows: read them straight from the cursor, skipping the ORM's per-row work.
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        (pk, start or 0, end or 0, kind, author == user.pk) for pk, start, end, kind, author in rows
    ]


def orphans(
    user: User, document: Document, membership: Membership | None = None
) -> QuerySet[Annotation]:
    return (
        visible(user, document, membership)
        .filter(anchor_status=Annotation.AnchorStatus.ORPHANED, deleted_at__isnull=True)
        .select_related("author")
    )


def with_threads(annotations: QuerySet[Annotation]) -> QuerySet[Annotation]:
    replies = Reply.objects.select_related("author").order_by("created_at", "pk")
    # Not the revision: each row would carry the whole text and its JSON (~100 KB to decode),
    # and a card does not show it.
    return annotations.select_related("author").prefetch_related(
        Prefetch("replies", queryset=replies)
    )


def covering(
    user: User,
    document: Document,
    revision: Revision,
    offset: int,
    filters: Filters = Filters(),
    membership: Membership | None = None,
) -> QuerySet[Annotation]:
    """Every annotation covering a point of the text, with its thread."""
    found = on_revision(user, document, revision, filters, membership).filter(
        start__lte=offset, end__gt=offset
    )
    return with_threads(found).order_by("start", "created_at")


def counts(
    user: User, document: Document, revision: Revision, membership: Membership | None = None
) -> dict[str, Any]:
    """How many annotations each filter would show, counted by PostgreSQL (four queries)."""
    shown = visible(user, document, membership).filter(revision=revision, deleted_at__isnull=True)
    groups = list(
        shown.order_by()
        .values_list("kind", "author_id", "author__username")
        .annotate(n=Count("pk"))
    )
    kinds: dict[str, int] = {}
    members: dict[str, int] = {}
    for kind, _, username, n in groups:
        kinds[kind] = kinds.get(kind, 0) + n
        members[username] = members.get(username, 0) + n
    tags = (
        shown.order_by()
        .annotate(tag=Func(F("tags"), function="jsonb_array_elements_text"))
        .values_list("tag")
        .annotate(n=Count("pk"))
        .order_by("-n", "tag")[:30]
    )
    return {
        "total": sum(n for *_, n in groups),
        "mine": sum(n for _, author, _, n in groups if author == user.pk),
        "kinds": [(kind, label, kinds.get(kind, 0)) for kind, label in Annotation.Kind.choices],
        "members": sorted(members.items()),
        "tags": list(tags),
    }


def thread_tree(annotation: Annotation) -> list[tuple[Reply, int]]:
    """The thread's replies in reading order with their depth (replies to replies indent)."""
    replies = list(annotation.replies.all())
    children: dict[int | None, list[Reply]] = {}
    for reply in replies:
        children.setdefault(reply.parent_id, []).append(reply)
    ordered: list[tuple[Reply, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for reply in children.get(parent, []):
            ordered.append((reply, depth))
            walk(reply.pk, min(depth + 1, 4))

    walk(None, 0)
    return ordered


# --- Claims and moderation -----------------------------------------------------------------


def claims(
    user: User,
    seminar: Any,
    *,
    status: str = "",
    document: int | None = None,
    member: str = "",
    sort: str = "activity",
) -> QuerySet[Annotation]:
    """The seminar's claims this member may see, with their stance and dispute counts."""
    from annotate.models import Dispute

    found = (
        Annotation.objects.filter(
            seminar=seminar, kind=Annotation.Kind.CLAIM, deleted_at__isnull=True
        )
        .filter(Q(visibility=Annotation.Visibility.SEMINAR) | Q(author=user))
        .select_related("author", "document")
        .annotate(
            supports=Count(
                "replies__author",
                distinct=True,
                filter=Q(replies__stance="supports", replies__deleted_at=None),
            ),
            disputes_n=Count(
                "replies__author",
                distinct=True,
                filter=Q(replies__stance="disputes", replies__deleted_at=None),
            ),
            asks=Count(
                "replies__author",
                distinct=True,
                filter=Q(replies__stance="asks", replies__deleted_at=None),
            ),
            open_disputes=Count(
                "disputes", distinct=True, filter=Q(disputes__status=Dispute.Status.OPEN)
            ),
        )
    )
    if status == "open":
        found = found.filter(claim_status__in=["open", ""])
    elif status:
        found = found.filter(claim_status=status)
    if document:
        found = found.filter(document_id=document)
    if member:
        found = found.filter(author__username=member)
    if sort == "contested":
        return found.order_by(F("disputes_n") + F("open_disputes") * 2, "-modified_at").reverse()
    return found.order_by("-modified_at", "-pk")


def moderation_queue(seminar: Any) -> dict[str, Any]:
    from annotate.models import ClaimStatus, Dispute, Flag

    flags = Flag.objects.filter(seminar=seminar, status=Flag.Status.OPEN).select_related(
        "reporter",
        "annotation__author",
        "reply__author",
        "reply__annotation",
        "annotation__document",
        "reply__annotation__document",
    )
    disputes = Dispute.objects.filter(
        claim__seminar=seminar, status=Dispute.Status.OPEN
    ).select_related("claim__author", "claim__document", "opened_by")
    review = Annotation.objects.filter(
        seminar=seminar,
        kind=Annotation.Kind.CLAIM,
        claim_status=ClaimStatus.UNDER_REVIEW,
        deleted_at__isnull=True,
    ).select_related("author", "document")
    return {"flags": list(flags), "disputes": list(disputes), "review": list(review)}


def queue_count(seminar: Any) -> int:
    from annotate.models import ClaimStatus, Dispute, Flag

    return (
        Flag.objects.filter(seminar=seminar, status=Flag.Status.OPEN).count()
        + Dispute.objects.filter(claim__seminar=seminar, status=Dispute.Status.OPEN).count()
        + Annotation.objects.filter(
            seminar=seminar, claim_status=ClaimStatus.UNDER_REVIEW, deleted_at__isnull=True
        ).count()
    )


def notifications_for(user: User) -> QuerySet[Any]:
    """A member's notifications about annotations they can still see (in their seminars,
    shared or their own), and about their exports from seminars they still belong to."""
    from annotate.models import Notification

    about_annotation = Q(annotation__seminar__memberships__user=user) & (
        Q(annotation__visibility=Annotation.Visibility.SEMINAR) | Q(annotation__author=user)
    )
    about_export = Q(export__requested_by=user, export__seminar__memberships__user=user)
    return Notification.objects.filter(recipient=user).filter(about_annotation | about_export)


def last_change(document: Document) -> Any:
    """When any annotation of the document last changed (visible to anyone or not): the stamp
    under which readers are cached and live updates are asked for."""
    from django.db.models import Max

    return Annotation.objects.filter(document=document).aggregate(newest=Max("modified_at"))[
        "newest"
    ]


def whole_revision(revision: Revision) -> Revision:
    """The revision with its text and structure loaded, from `revision` (which may have them
    deferred, as policy.access_document leaves them).

    The reader's pages and fragments all need the text and its blocks, ~100 KB to read and
    decode each time. Revisions never change (the database refuses UPDATEs), so each process
    keeps the last few it read. The copy returned is the caller's own (to set .document on).
    """
    return copy.copy(_kept_revision(revision.pk, revision.created_at))


@functools.lru_cache(maxsize=16)
def _kept_revision(pk: int, created_at: datetime) -> Revision:
    # Keyed by creation time too: an id alone can come back once a (test) database is emptied.
    return Revision.objects.get(pk=pk)
