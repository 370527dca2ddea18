"""Reads with their joins: what a member sees of a text's annotations, filtered and counted."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Count, Exists, F, Func, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import QueryDict

from annotate import access
from annotate.models import (
    Annotation,
    ClaimStatus,
    Dispute,
    Document,
    Flag,
    ModerationEvent,
    Reply,
    Revision,
)


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

    def apply(
        self, annotations: QuerySet[Annotation], viewer: access.Viewer
    ) -> QuerySet[Annotation]:
        if self.member:
            annotations = annotations.filter(author__username=self.member)
        if self.kind:
            annotations = annotations.filter(kind=self.kind)
        if self.tag:
            annotations = annotations.filter(tags__contains=[self.tag])
        if self.mine:
            annotations = annotations.filter(author=viewer.user)
        if self.q:
            query = SearchQuery(self.q, config="english", search_type="websearch")
            # Words of replies the viewer reads whole (a hidden reply's only for its author
            # and the moderators).
            in_replies = access.replies_readable(viewer).filter(
                annotation=OuterRef("pk"), search=query
            )
            annotations = annotations.filter(Q(search=query) | Exists(in_replies))
        return annotations


def visible(viewer: access.Viewer, document: Document) -> QuerySet[Annotation]:
    """Every annotation of the document the viewer sees (access.annotations; deleted ones
    included)."""
    return access.annotations(viewer).filter(document=document)


def on_revision(
    viewer: access.Viewer,
    document: Document,
    revision: Revision,
    filters: Filters = Filters(),
) -> QuerySet[Annotation]:
    """The annotations shown as highlights: visible, alive, anchored on this revision."""
    found = access.alive(visible(viewer, document)).filter(revision=revision, start__isnull=False)
    return filters.apply(found, viewer)


def highlight_rows(
    viewer: access.Viewer,
    document: Document,
    revision: Revision,
    filters: Filters = Filters(),
    within: tuple[int, int] | None = None,
) -> list[tuple[int, int, int, str, bool]]:
    """(id, start, end, kind, mine) for each highlight (touching `within`, if given)."""
    found = on_revision(viewer, document, revision, filters)
    if within is not None:
        found = found.filter(start__lte=within[1], end__gte=within[0])
    query = found.values_list("pk", "start", "end", "kind", "author_id").order_by()
    # Thousands of rows: read them straight from the cursor, skipping the ORM's per-row work.
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        (pk, start or 0, end or 0, kind, author == viewer.pk)
        for pk, start, end, kind, author in rows
    ]


def orphans(viewer: access.Viewer, document: Document) -> QuerySet[Annotation]:
    return (
        access.alive(visible(viewer, document))
        .filter(anchor_status=Annotation.AnchorStatus.ORPHANED)
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
    viewer: access.Viewer,
    document: Document,
    revision: Revision,
    offset: int,
    filters: Filters = Filters(),
) -> QuerySet[Annotation]:
    """Every annotation covering a point of the text, with its thread."""
    found = on_revision(viewer, document, revision, filters).filter(
        start__lte=offset, end__gt=offset
    )
    return with_threads(found).order_by("start", "created_at")


def counts(viewer: access.Viewer, document: Document, revision: Revision) -> dict[str, Any]:
    """How many annotations each filter would show, counted by PostgreSQL (four queries)."""
    shown = access.alive(visible(viewer, document)).filter(revision=revision)
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
        "mine": sum(n for _, author, _, n in groups if author == viewer.pk),
        "kinds": [(kind, label, kinds.get(kind, 0)) for kind, label in Annotation.Kind.choices],
        "members": sorted(members.items()),
        "tags": list(tags),
    }


# --- Claims and moderation -----------------------------------------------------------------

# The stances a claim's consensus counts (every one but a plain comment).
STANCE_NAMES = tuple(s for s in Reply.Stance.values if s != Reply.Stance.COMMENT)


def _count(rows: QuerySet[Any], group: str, counted: str, *, distinct: bool = False) -> Coalesce:
    """A correlated count per row (a subquery, so several counts never multiply each other)."""
    numbers = rows.order_by().values(group).annotate(n=Count(counted, distinct=distinct))
    return Coalesce(Subquery(numbers.values("n")), 0)


def claims(viewer: access.Viewer) -> QuerySet[Annotation]:
    """The seminar's claims the viewer sees (access.claims), with their stances and open
    disputes counted: n_supports, n_disputes, n_asks (members, not replies; only the replies
    that take a stance, access.stances) and n_open_disputes. Pages and API alike."""
    answers = access.stances(Reply.objects.filter(annotation=OuterRef("pk")))
    counted = {
        f"n_{name}": _count(answers.filter(stance=name), "annotation", "author", distinct=True)
        for name in STANCE_NAMES
    }
    open_disputes = Dispute.objects.filter(claim=OuterRef("pk"), status=Dispute.Status.OPEN)
    return (
        access.claims(viewer)
        .select_related("author", "document", "seminar")
        .annotate(**counted, n_open_disputes=_count(open_disputes, "claim", "pk"))
    )


@dataclass(frozen=True)
class ClaimFilters:
    """The claims list's filters and order, for the page and the API (each parses its own
    query: the page leniently, the API with 400s)."""

    status: str = ""
    document: int | None = None
    member: str = ""
    sort: str = "activity"

    def apply(self, found: QuerySet[Annotation]) -> QuerySet[Annotation]:
        if self.status == ClaimStatus.OPEN:  # made before claims had a status: "" means open
            found = found.filter(claim_status__in=[ClaimStatus.OPEN, ""])
        elif self.status:
            found = found.filter(claim_status=self.status)
        if self.document is not None:
            found = found.filter(document_id=self.document)
        if self.member:
            found = found.filter(author__username=self.member)
        if self.sort == "contested":
            # Most contested: members disputing it, and each open formal dispute twice (a
            # dispute is argued, with grounds); then the most recently active.
            contested = F("n_disputes") + 2 * F("n_open_disputes")
            return found.order_by(contested.desc(), "-modified_at", "-pk")
        return found.order_by("-modified_at", "-pk")


def moderation_queue(viewer: access.Viewer) -> dict[str, QuerySet[Any]]:
    """What awaits the moderators, exactly what this moderator can act on: open flags on
    live content they see whole (access.flags_actionable), open disputes of claims they see
    (access.disputes), claims under review they see (access.claims). Oldest first."""
    flags = (
        access.flags_actionable(viewer)
        .filter(status=Flag.Status.OPEN)
        .select_related(
            "reporter",
            "annotation__author",
            "reply__author",
            "reply__annotation",
            "annotation__document",
            "reply__annotation__document",
        )
        .order_by("created_at", "pk")
    )
    disputes = (
        access.disputes(viewer)
        .filter(status=Dispute.Status.OPEN)
        .select_related("claim__author", "claim__document", "opened_by", "ruling__moderator")
        .order_by("created_at", "pk")
    )
    review = ClaimFilters(status=ClaimStatus.UNDER_REVIEW).apply(claims(viewer))
    return {"flags": flags, "disputes": disputes, "review": review.order_by("modified_at", "pk")}


def queue_count(viewer: access.Viewer) -> int:
    """How many things moderation_queue lists (the seminar page's badge)."""
    return sum(found.count() for found in moderation_queue(viewer).values())


@dataclass(frozen=True)
class LogFilters:
    """The moderation log's filters, for the page and the API (each parses its own query:
    the page leniently, the API with 400s): an action of ModerationEvent.Action, the
    moderator (username, or the name kept for a deleted account), a target type."""

    action: str = ""
    actor: str = ""
    target_type: str = ""

    def apply(self, events: QuerySet[ModerationEvent]) -> QuerySet[ModerationEvent]:
        if self.action:
            events = events.filter(action=self.action)
        if self.actor:
            events = events.filter(Q(actor__username=self.actor) | Q(actor_name=self.actor))
        if self.target_type:
            events = events.filter(target_type=self.target_type)
        return events.order_by("-created_at", "-pk")


def moderation_log(seminar: Any, filters: LogFilters = LogFilters()) -> QuerySet[ModerationEvent]:
    """The seminar's moderation log, newest first: every member reads all of it."""
    return filters.apply(ModerationEvent.objects.filter(seminar=seminar).select_related("actor"))


def changed_at_all(document: Document, since: Any) -> bool:
    """Whether any annotation of the document changed after `since`, anyone's: one index-only
    read, so that the many idle polls end there. It tells the viewer nothing (a poll answers
    from last_change, what they see, whenever this says yes)."""
    return Annotation.objects.filter(document=document, modified_at__gt=since).exists()


def last_change(viewer: access.Viewer, document: Document) -> Any:
    """When an annotation of the document last changed in a way the viewer sees
    (access.changes_seen): the stamp their reader is cached under and asks for changes since.
    """
    found = access.changes_seen(viewer).filter(document=document).order_by("-modified_at")
    # Newest first along the (document, modified_at) index, stopping at the first the viewer
    # sees: not an aggregate over every annotation of the text.
    return found.values_list("modified_at", flat=True).first()


def with_text(document: Document) -> Document:
    """The document with its current revision whole (text and structure), as the reader and
    corrections need it: access.access_document leaves them unread."""
    if document.current is not None:
        document.current = whole_revision(document.current)
    return document


def whole_revision(revision: Revision) -> Revision:
    """The revision with its text and structure loaded, from `revision` (which may have them
    deferred, as access.access_document leaves them).

    The reader's pages and fragments all need the text and its blocks, ~100 KB to read and
    decode each time. Revisions never change (the database refuses UPDATEs), so each process
    keeps the last few it read. The copy returned is the caller's own (to set .document on).
    """
    return copy.copy(_kept_revision(revision.pk, revision.created_at))


@functools.lru_cache(maxsize=16)
def _kept_revision(pk: int, created_at: datetime) -> Revision:
    # Keyed by creation time too: an id alone can come back once a (test) database is emptied.
    return Revision.objects.get(pk=pk)
