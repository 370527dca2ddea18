"""Reads with their joins: what a member sees of a text's annotations, filtered and counted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import QueryDict

from annotate.models import Annotation, Document, Reply, Revision
from core.models import User


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
            in_replies = Reply.objects.filter(
                annotation=OuterRef("pk"), deleted_at__isnull=True, search=query
            )
            annotations = annotations.filter(Q(search=query) | Exists(in_replies))
        return annotations


def visible(user: User, document: Document) -> QuerySet[Annotation]:
    """Every annotation of the document this member may see (deleted ones included)."""
    return Annotation.objects.filter(document=document).filter(
        Q(visibility=Annotation.Visibility.SEMINAR) | Q(author=user)
    )


def on_revision(
    user: User, document: Document, revision: Revision, filters: Filters = Filters()
) -> QuerySet[Annotation]:
    """The annotations shown as highlights: visible, alive, anchored on this revision."""
    found = visible(user, document).filter(
        revision=revision, deleted_at__isnull=True, start__isnull=False
    )
    return filters.apply(found, user)


def highlight_rows(
    user: User, document: Document, revision: Revision, filters: Filters = Filters()
) -> list[tuple[int, int, int, str, bool]]:
    """(id, start, end, kind, mine) for each highlight: only the columns rendering needs."""
    rows = on_revision(user, document, revision, filters).values_list(
        "pk", "start", "end", "kind", "author_id"
    )
    return [
        (pk, start or 0, end or 0, kind, author == user.pk) for pk, start, end, kind, author in rows
    ]


def orphans(user: User, document: Document) -> QuerySet[Annotation]:
    return (
        visible(user, document)
        .filter(anchor_status=Annotation.AnchorStatus.ORPHANED, deleted_at__isnull=True)
        .select_related("author")
    )


def with_threads(annotations: QuerySet[Annotation]) -> QuerySet[Annotation]:
    replies = Reply.objects.select_related("author").order_by("created_at", "pk")
    return annotations.select_related("author", "revision").prefetch_related(
        Prefetch("replies", queryset=replies)
    )


def covering(
    user: User, document: Document, revision: Revision, offset: int, filters: Filters = Filters()
) -> QuerySet[Annotation]:
    """Every annotation covering a point of the text, with its thread."""
    found = on_revision(user, document, revision, filters).filter(start__lte=offset, end__gt=offset)
    return with_threads(found).order_by("start", "created_at")


def counts(user: User, document: Document, revision: Revision) -> dict[str, Any]:
    """How many annotations each filter would show (one query)."""
    rows = list(
        visible(user, document)
        .filter(revision=revision, deleted_at__isnull=True)
        .values_list("kind", "author__username", "tags", "author_id")
    )
    kinds: Counter[str] = Counter(kind for kind, _, _, _ in rows)
    members: Counter[str] = Counter(name for _, name, _, _ in rows)
    tags: Counter[str] = Counter(tag for _, _, tag_list, _ in rows for tag in tag_list)
    return {
        "total": len(rows),
        "mine": sum(1 for *_, author in rows if author == user.pk),
        "kinds": [(kind, label, kinds[kind]) for kind, label in Annotation.Kind.choices],
        "members": sorted(members.items()),
        "tags": tags.most_common(30),
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
