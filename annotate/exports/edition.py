"""The plain data every export format renders: a revision's text and structure, its notes.

`build_edition` reads the objects it is given and nothing else: the caller has already decided
which annotations (and replies) the requester may see. Renderers take the Edition only, so
they never touch the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from annotate.access import in_edition
from annotate.rendering import Range


@dataclass(frozen=True)
class ReplyNote:
    author: str
    stance: str
    body: str  # Markdown source, written by a member
    created_at: datetime
    depth: int = 0  # 0 answers the annotation, 1 answers a reply, …


@dataclass(frozen=True)
class RulingNote:
    moderator: str
    decision: str  # "accept" or "dismiss"
    text: str  # Markdown source, written by a moderator
    claim_status: str  # the claim's status the ruling set
    created_at: datetime


@dataclass(frozen=True)
class DisputeNote:
    opened_by: str
    grounds: str  # a Dispute.Grounds value
    statement: str  # Markdown source
    evidence: tuple[str, ...]  # each citation as one line of plain text
    status: str  # open, accepted, dismissed
    created_at: datetime
    ruling: RulingNote | None = None

    @property
    def grounds_label(self) -> str:
        return self.grounds.replace("_", " ").capitalize()


@dataclass(frozen=True)
class StatusNote:
    """One change of a claim's status (its history)."""

    old: str
    new: str
    actor: str
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class LogEntry:
    """One moderation action from the seminar's audit log."""

    created_at: datetime
    actor: str
    action: str
    target: str  # e.g. "annotation 12"
    old_state: str
    new_state: str
    reason: str


@dataclass(frozen=True)
class Note:
    number: int
    start: int
    end: int
    exact: str
    kind: str
    author: str
    created_at: datetime
    body: str  # Markdown source, written by a member
    tags: tuple[str, ...] = ()
    claim_status: str = ""
    replies: tuple[ReplyNote, ...] = ()
    disputes: tuple[DisputeNote, ...] = ()
    history: tuple[StatusNote, ...] = ()

    @property
    def key(self) -> str:
        return f"n{self.number}"

    @property
    def kind_label(self) -> str:
        return self.kind.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Correction:
    """An editor's correction, in this revision's offsets: replacement = text[start:end]."""

    start: int
    end: int
    original: str
    replacement: str
    reason: str = ""


@dataclass(frozen=True)
class Edition:
    title: str
    author: str
    citation: str
    seminar: str
    requester: str
    revision_number: int
    exported_at: datetime
    contributors: tuple[str, ...]
    threads: bool
    # The revision: block_views() and revision_markers() read these attributes directly.
    text: str
    blocks: list[dict[str, Any]]
    pages: list[dict[str, Any]]
    footnote_refs: list[dict[str, Any]]
    corrections: tuple[Correction, ...] = ()
    revision_reason: str = ""
    notes: tuple[Note, ...] = ()
    log: tuple[LogEntry, ...] = ()
    joins: list[dict[str, Any]] = field(default_factory=list)

    def ranges(self) -> list[Range]:
        """One range per note, keyed "n<number>", for rendering.segment / block_views."""
        return [Range(note.start, note.end, note.key) for note in self.notes]

    def note(self, key: str) -> Note:
        return self.notes[int(key[1:]) - 1]


def _name(user: Any) -> str:
    if user is None:
        return "(deleted account)"
    return str(getattr(user, "name", "") or user)


def _shown(item: Any) -> bool:
    return in_edition(item)  # the rule is annotate.access's


def corrections_of(revision: Any) -> list[Correction]:
    """The revision's edits (offsets in the previous revision) mapped onto its own text."""
    out = []
    shift = 0
    for edit in sorted(revision.edits, key=lambda e: (e["start"], e["end"])):
        replacement = edit.get("replacement", "")
        start = edit["start"] + shift
        out.append(
            Correction(
                start=start,
                end=start + len(replacement),
                original=edit.get("original", ""),
                replacement=replacement,
                reason=edit.get("reason", ""),
            )
        )
        shift += len(replacement) - (edit["end"] - edit["start"])
    return out


def _replies(annotation: Any) -> list[ReplyNote]:
    replies = [r for r in annotation.replies.all() if _shown(r)]
    by_parent: dict[int | None, list[Any]] = {}
    ids = {r.pk for r in replies}
    for reply in replies:
        parent = reply.parent_id if reply.parent_id in ids else None
        by_parent.setdefault(parent, []).append(reply)
    out: list[ReplyNote] = []

    def walk(parent: int | None, depth: int) -> None:
        for reply in sorted(by_parent.get(parent, []), key=lambda r: (r.created_at, r.pk)):
            out.append(
                ReplyNote(
                    author=_name(reply.author),
                    stance=reply.stance,
                    body=reply.body,
                    created_at=reply.created_at,
                    depth=depth,
                )
            )
            walk(reply.pk, depth + 1)

    walk(None, 0)
    return out


def evidence_line(item: dict[str, Any]) -> str:
    """A dispute's citation as one line of plain text."""
    kind = item.get("kind")
    if kind == "passage":
        where = f"characters {item.get('start')}–{item.get('end')}"
        return f"This text, “{item.get('exact', '')}” ({where})"
    if kind == "source":
        page = f", p. {item['page']}" if item.get("page") else ""
        return f"{item.get('citation', '')}{page}"
    if kind == "url":
        title = item.get("title") or item.get("url", "")
        return f"{title} <{item.get('url', '')}>" if item.get("url") != title else title
    return str(item.get("text") or item)


def _disputes(annotation: Any) -> list[DisputeNote]:
    out = []
    for dispute in annotation.disputes.all():
        ruling = getattr(dispute, "ruling", None)
        out.append(
            DisputeNote(
                opened_by=_name(dispute.opened_by),
                grounds=dispute.grounds,
                statement=dispute.statement,
                evidence=tuple(evidence_line(e) for e in dispute.evidence or ()),
                status=dispute.status,
                created_at=dispute.created_at,
                ruling=RulingNote(
                    moderator=_name(ruling.moderator),
                    decision=ruling.decision,
                    text=ruling.text,
                    claim_status=ruling.claim_status,
                    created_at=ruling.created_at,
                )
                if ruling is not None
                else None,
            )
        )
    return out


def _history(annotation: Any) -> list[StatusNote]:
    return [
        StatusNote(
            old=change.old,
            new=change.new,
            actor=_name(change.actor),
            reason=change.reason,
            created_at=change.created_at,
        )
        for change in annotation.status_changes.all()
    ]


def note_of(annotation: Any, number: int, text: str, *, threads: bool) -> Note:
    """One annotation as a numbered note; with `threads`, its replies and, for a claim, its
    disputes (with their rulings) and status history, as prefetched by the caller."""
    claim = annotation.kind == "claim"
    return Note(
        number=number,
        start=annotation.start,
        end=annotation.end,
        exact=text[annotation.start : annotation.end],
        kind=annotation.kind,
        author=_name(annotation.author),
        created_at=annotation.created_at,
        body=annotation.body,
        tags=tuple(annotation.tags or ()),
        claim_status=(annotation.claim_status or "open") if claim else "",
        replies=tuple(_replies(annotation)) if threads else (),
        disputes=tuple(_disputes(annotation)) if threads and claim else (),
        history=tuple(_history(annotation)) if threads and claim else (),
    )


def log_entry(event: Any) -> LogEntry:
    return LogEntry(
        created_at=event.created_at,
        actor=event.actor_name or "(system)",
        action=event.action.replace("_", " "),
        target=f"{event.target_type} {event.target_id}",
        old_state=event.old_state,
        new_state=event.new_state,
        reason=event.reason,
    )


def build_edition(
    document: Any,
    revision: Any,
    annotations: Iterable[Any],
    *,
    threads: bool,
    seminar_name: str,
    requester_name: str,
    exported_at: datetime,
    log: Sequence[LogEntry] = (),
) -> Edition:
    """The edition of `revision` with the given annotations as numbered notes.

    Annotations without a span on this revision (orphaned ones, or ones anchored on another
    revision) cannot be placed in the text and are left out; so are deleted or hidden ones.
    Notes are numbered 1, 2, 3… by start offset (then end, then creation).
    """
    length = len(revision.text)
    placed: list[Any] = [
        a
        for a in annotations
        if _shown(a)
        and a.start is not None
        and a.end is not None
        and a.revision_id == revision.pk
        and 0 <= a.start < a.end <= length
    ]
    placed.sort(key=lambda a: (a.start, a.end, a.created_at, a.pk))
    notes: list[Note] = []
    contributors: dict[str, None] = {}
    for number, annotation in enumerate(placed, start=1):
        note = note_of(annotation, number, revision.text, threads=threads)
        for name in (note.author, *(r.author for r in note.replies)):
            contributors[name] = None
        for dispute in note.disputes:
            contributors[dispute.opened_by] = None
        notes.append(note)
    return Edition(
        title=document.title,
        author=document.author,
        citation=document.citation,
        seminar=seminar_name,
        requester=requester_name,
        revision_number=revision.number,
        exported_at=exported_at,
        contributors=tuple(sorted(contributors, key=str.casefold)),
        threads=threads,
        text=revision.text,
        blocks=list(revision.blocks),
        pages=list(revision.pages),
        footnote_refs=list(revision.footnote_refs),
        corrections=tuple(corrections_of(revision)),
        revision_reason=revision.reason if revision.number > 1 else "",
        notes=tuple(notes),
        log=tuple(log),
    )


def note_calls(views: Sequence[Any]) -> dict[tuple[int, int], list[str]]:
    """Where each note's call goes: after the last text piece it covers, as (block, piece).

    Works on block_views()/segment() output whose pieces carry the note keys.
    """
    last: dict[str, tuple[int, int]] = {}
    for b, view in enumerate(views):
        for p, piece in enumerate(view.pieces):
            if piece.kind == "text":
                for key in piece.keys:
                    if key[0] == "n":  # notes; other ranges (corrections) have no call
                        last[key] = (b, p)
    calls: dict[tuple[int, int], list[str]] = {}
    for key, where in last.items():
        calls.setdefault(where, []).append(key)
    for keys in calls.values():
        keys.sort(key=lambda k: int(k[1:]))
    return calls
