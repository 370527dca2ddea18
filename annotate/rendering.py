"""From a revision to what the reader shows: blocks split into pieces at every boundary.

A block's text is cut at every marker (page start, footnote reference, line join) and at
every edge of a range (a suspect word; later, annotations). Each text piece carries the set
of range keys covering it, so any number of overlapping ranges render correctly, and the
page grows with the number of pieces, not pieces × ranges.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Marker:
    offset: int
    kind: Literal["page", "ref", "join"]
    label: str


@dataclass(frozen=True)
class Range:
    start: int
    end: int
    key: str


@dataclass
class Piece:
    kind: Literal["text", "page", "ref", "join"]
    start: int
    text: str = ""
    label: str = ""
    keys: frozenset[str] = frozenset()
    depth: int = 0  # how many ranges cover the piece (ranges may share a key)
    css: str = ""  # classes for a covered piece (see block_views' classify)
    interactive: bool = False  # a highlight that opens its annotations

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass
class BlockView:
    kind: str
    start: int
    end: int
    page: str
    number: int | None
    level: int
    pieces: list[Piece] = field(default_factory=list)
    # Page starts printed before a heading: outside it, so they are not part of its name.
    before: list[Piece] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"p{self.number}" if self.number is not None else f"h{self.start}"

    @property
    def text(self) -> str:
        return "".join(piece.text for piece in self.pieces)


def segment(
    text: str,
    start: int,
    end: int,
    markers: Sequence[Marker],
    ranges: Sequence[Range],
    *,
    cap: int | None = None,
) -> list[Piece]:
    """Pieces of text[start:end], cut at every marker and range edge, markers in between.

    `markers` must be sorted by offset; `ranges` may overlap and come in any order. With
    `cap`, depth is counted up to `cap` and neighbours with the same keys and capped depth
    are one piece (they would look the same).
    """
    cuts = {start, end}
    for r in ranges:
        if r.start < end and r.end > start:
            cuts.update((max(r.start, start), min(r.end, end)))
    for m in markers:
        if start <= m.offset <= end:
            cuts.add(m.offset)
    edges = sorted(cuts)
    # Which ranges cover each elementary span: a sweep over sorted starts and ends.
    opening: dict[int, list[str]] = {}
    closing: dict[int, list[str]] = {}
    for r in ranges:
        if r.start < end and r.end > start and r.start < r.end:
            opening.setdefault(max(r.start, start), []).append(r.key)
            closing.setdefault(min(r.end, end), []).append(r.key)
    pieces: list[Piece] = []
    active: dict[str, int] = {}
    keys: frozenset[str] = frozenset()
    depth = 0
    m_index = bisect_left([m.offset for m in markers], start)
    last: Piece | None = None  # the text piece that may still grow
    for left, right in zip(edges, [*edges[1:], end], strict=True):
        changed = False
        for key in closing.get(left, ()):
            active[key] -= 1
            depth -= 1
            if not active[key]:
                del active[key]
                changed = True
        for key in opening.get(left, ()):
            if key not in active:
                changed = True
            active[key] = active.get(key, 0) + 1
            depth += 1
        if changed:
            keys = frozenset(active)
        while m_index < len(markers) and markers[m_index].offset == left:
            marker = markers[m_index]
            pieces.append(Piece(kind=marker.kind, start=left, label=marker.label))
            m_index += 1
            last = None
        if right > left:
            shown = depth if cap is None else min(depth, cap)
            if cap is not None and last is not None and last.keys is keys and last.depth == shown:
                last.text = text[last.start : right]
            else:
                last = Piece("text", left, text[left:right], keys=keys, depth=shown)
                pieces.append(last)
    return pieces


def merge_alike(pieces: list[Piece]) -> list[Piece]:
    """Join neighbouring text pieces that look the same.

    Under dense overlap most neighbours differ only in *which* annotations cover them, not in
    how they look; merged, the page stays small. What covers a point is asked of the server.
    """
    merged: list[Piece] = []
    for piece in pieces:
        last = merged[-1] if merged else None
        if (
            last is not None
            and piece.kind == last.kind == "text"
            and (piece.css, piece.interactive) == (last.css, last.interactive)
            and last.end == piece.start
        ):
            merged[-1] = Piece(
                "text",
                last.start,
                last.text + piece.text,
                keys=last.keys,
                css=last.css,
                interactive=last.interactive,
            )
        else:
            merged.append(piece)
    return merged


def revision_markers(revision: Any, *, joins: bool = False) -> list[Marker]:
    """Page starts and footnote references (and line joins, for the import preview)."""
    markers = [Marker(p["start"], "page", p["label"]) for p in revision.pages]
    markers += [Marker(r["offset"], "ref", r["label"]) for r in revision.footnote_refs]
    if joins:
        markers += [Marker(j["offset"], "join", j["kind"]) for j in revision.joins]
    order = {"page": 0, "join": 1, "ref": 2}
    return sorted(markers, key=lambda m: (m.offset, order[m.kind]))


def suspects_only(keys: frozenset[str], depth: int) -> tuple[str, bool]:
    return "suspect", False


def block_views(
    revision: Any,
    ranges: Iterable[Range] = (),
    *,
    joins: bool = False,
    classify: Callable[[frozenset[str], int], tuple[str, bool]] = suspects_only,
    within: tuple[int, int] | None = None,
) -> list[BlockView]:
    """Every block of the revision, segmented. A page that starts between blocks opens the next.

    `classify` turns the set of range keys covering a piece (and how many ranges) into its
    CSS classes and whether it opens annotations; it is called once per distinct answer.
    """
    ranges = sorted(ranges, key=lambda r: r.start)
    starts = [r.start for r in ranges]
    classes: dict[tuple[frozenset[str], int], tuple[str, bool]] = {}
    markers = revision_markers(revision, joins=joins)
    views = []
    previous_end = 0
    for block in revision.blocks:
        if within is not None and not (block["start"] <= within[1] and within[0] <= block["end"]):
            previous_end = block["end"]
            continue
        # Markers in the gap before this block (the "\n\n") belong to its start.
        lead = [
            Marker(block["start"], m.kind, m.label)
            for m in markers
            if previous_end < m.offset < block["start"]
        ]
        inside = [m for m in markers if block["start"] <= m.offset <= block["end"]]
        view = BlockView(
            kind=block["kind"],
            start=block["start"],
            end=block["end"],
            page=block.get("page", ""),
            number=block.get("number"),
            level=block.get("level", 0),
        )
        # Only the ranges that can touch this block: those starting before its end.
        nearby = [r for r in ranges[: bisect_left(starts, block["end"])] if r.end > block["start"]]
        view.pieces = segment(
            revision.text, block["start"], block["end"], lead + inside, nearby, cap=5
        )
        if view.kind == "heading":
            while view.pieces and view.pieces[0].kind == "page":
                view.before.append(view.pieces.pop(0))
        for piece in view.pieces:
            if piece.keys:
                shape = (piece.keys, piece.depth)
                if shape not in classes:
                    classes[shape] = classify(*shape)
                piece.css, piece.interactive = classes[shape]
        view.pieces = merge_alike(view.pieces)
        views.append(view)
        previous_end = block["end"]
    return views


def headings(revision: Any) -> list[dict[str, Any]]:
    """The table of contents."""
    return [
        {
            "text": revision.text[b["start"] : b["end"]],
            "anchor": f"h{b['start']}",
            "level": b.get("level", 1),
            "page": b.get("page", ""),
        }
        for b in revision.blocks
        if b["kind"] == "heading"
    ]


def page_html(label: str) -> str:
    label = escape(label)
    return (
        f'<span class="pb" id="page-{label}" data-nontext><span class="visually-hidden">'
        f'page </span><span aria-hidden="true">p. </span>{label}</span>'
    )


def pieces_html(pieces: Iterable[Piece]) -> SafeString:
    """A block's pieces as HTML. Written out in Python, not a template loop: a busy page has
    thousands of pieces. Every bit of text is escaped; markers carry data-nontext so the
    selection script leaves them out of the offsets."""
    out = []
    for piece in pieces:
        if piece.kind == "text":
            text = escape(piece.text)
            if piece.interactive:
                out.append(f'<mark class="{piece.css}">{text}</mark>')
            elif piece.css:
                out.append(f'<span class="{piece.css}">{text}</span>')
            else:
                out.append(text)
        elif piece.kind == "page":
            out.append(page_html(piece.label))
        elif piece.kind == "ref":
            label = escape(piece.label)
            out.append(
                f'<sup class="fn" data-nontext id="fnref-{label}-{piece.start}" '
                f'title="Footnote {label}">{label}</sup>'
            )
        elif piece.kind == "join":
            kind = escape(piece.label)
            out.append(
                f'<span class="join join-{kind}" data-nontext title="line joined: {kind}"'
                ' aria-hidden="true"></span>'
            )
    return mark_safe("".join(out))  # noqa: S308 - every piece of text above is escaped
