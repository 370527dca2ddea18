"""Plain text, and the block assembly every format shares.

Plain text is the base layer: paragraphs separated by blank lines, lines joined
with a space. The OCR and Markdown parsers describe their blocks the same way,
as `Draft`s (strings interleaved with marks), and `assemble` turns drafts into
an `Ingested` with offsets that cannot drift, whatever whitespace the drafts hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .types import Block, FootnoteRef, Format, Ingested, Join, LineMap, Options, Page

JoinKind = Literal["hyphenless", "hyphen", "compound", "dash", "space"]

# Text that ends a sentence, once closing quotes and brackets are set aside.
SENTENCE_END = ".!?…"
CLOSERS = "\"'”’)]»"
TITLE_MAX = 80


@dataclass(frozen=True)
class RefMark:
    label: str


@dataclass(frozen=True)
class PageMark:
    label: str


@dataclass(frozen=True)
class LineMark:
    line: int


@dataclass(frozen=True)
class JoinMark:
    kind: JoinKind
    line: int


Mark = RefMark | PageMark | LineMark | JoinMark
Piece = str | Mark


@dataclass
class Draft:
    """One block before assembly: its text as strings interleaved with marks."""

    kind: Literal["heading", "paragraph"]
    pieces: list[Piece] = field(default_factory=list)
    level: int = 0


@dataclass
class _Collected:
    refs: list[FootnoteRef] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    joins: list[Join] = field(default_factory=list)
    line_map: list[LineMap] = field(default_factory=list)

    def add(self, mark: Mark, offset: int) -> None:
        """File a mark at its final text offset."""
        if isinstance(mark, RefMark):
            self.refs.append(FootnoteRef(mark.label, offset))
        elif isinstance(mark, PageMark):
            self.pages.append(Page(mark.label, offset))
        elif isinstance(mark, LineMark):
            self.line_map.append(LineMap(mark.line, offset))
        else:
            self.joins.append(Join(offset, mark.kind, mark.line))


# Only what needs changing: edge runs, runs of two or more, and single non-space whitespace.
_SPACE = re.compile(r"^\s+|\s+$|\s{2,}|[^\S ]")
_KEPT_SPACES = " \u00a0\u2007\u202f"


def squeeze(raw: str, offsets: Sequence[int]) -> tuple[str, list[int]]:
    """Collapse whitespace runs to one space and strip the ends, moving `offsets` along.

    `offsets` must be ascending. An offset at the start of a run stays before the
    space; one inside or at the end of it lands after the space.
    """
    parts: list[str] = []
    runs: list[tuple[int, int, int, int]] = []  # old start, old end, new start, kept length
    last = new_len = 0
    for match in _SPACE.finditer(raw):
        start, end = match.span()
        parts.append(raw[last:start])
        new_len += start - last
        keep = 0 if start == 0 or end == len(raw) else 1
        run = match.group()
        parts.append((run if run in _KEPT_SPACES else " ") if keep else "")
        runs.append((start, end, new_len, keep))
        new_len += keep
        last = end
    parts.append(raw[last:])
    mapped: list[int] = []
    index = removed = 0
    for offset in offsets:
        while index < len(runs) and runs[index][1] <= offset:
            start, end, _, keep = runs[index]
            if end == offset:
                break
            removed += end - start - keep
            index += 1
        if index < len(runs) and runs[index][0] < offset <= runs[index][1]:
            mapped.append(runs[index][2] + runs[index][3])
        else:
            mapped.append(offset - removed)
    return "".join(parts), mapped


_DOUBLE = re.compile(r"[\"']")
_SPACED_HYPHEN = re.compile(r"(?<=\s)-(?=\s)")
_OPENING_CONTEXT = "([{‘“—–-/«\u00a0"


def _curl(match: re.Match[str]) -> str:
    """Pick the typographic quote a straight one stands for, from its neighbours."""
    text, at = match.string, match.start()
    before = text[at - 1] if at else " "
    after = text[at + 1] if at + 1 < len(text) else " "
    opens = before.isspace() or before in _OPENING_CONTEXT
    if match.group() == '"':
        return "“" if opens and not after.isspace() else "”"
    if opens and not after.isspace() and not after.isdigit():
        return "‘"
    return "’"  # closing quote or apostrophe (it's, States', ’56)


def typography(text: str) -> str:
    """Straight quotes to typographic ones, a spaced hyphen to an en dash; same length."""
    return _SPACED_HYPHEN.sub("–", _DOUBLE.sub(_curl, text))


def assemble(drafts: Iterable[Draft], fmt: Format, warnings: list[str] | None = None) -> Ingested:
    """Join drafts into one text with blocks separated by a blank line, placing every mark."""
    chunks: list[str] = []
    blocks: list[tuple[Draft, int, int]] = []
    got = _Collected()
    pending: list[Mark] = []
    length = 0
    for draft in drafts:
        strings: list[str] = []
        marks: list[tuple[int, Mark]] = []
        size = 0
        for piece in draft.pieces:
            if isinstance(piece, str):
                strings.append(piece)
                size += len(piece)
            else:
                marks.append((size, piece))
        body, offsets = squeeze("".join(strings), [offset for offset, _ in marks])
        if not body:
            pending.extend(mark for _, mark in marks)
            continue
        start = length + 2 if chunks else 0
        for mark in pending:
            got.add(mark, start)
        pending.clear()
        for offset, (_, mark) in zip(offsets, marks, strict=True):
            got.add(mark, start + offset)
        chunks.append(typography(body))
        blocks.append((draft, start, start + len(body)))
        length = start + len(body)
    for mark in pending:
        got.add(mark, length)
    return Ingested(
        text="\n\n".join(chunks),
        format=fmt,
        blocks=_number(blocks, got.pages),
        pages=got.pages,
        footnote_refs=got.refs,
        suspects=[],
        joins=got.joins,
        line_map=got.line_map,
        warnings=list(warnings or []),
    )


def _number(placed: list[tuple[Draft, int, int]], pages: list[Page]) -> list[Block]:
    """Number paragraphs in order and give every block the page it starts on."""
    blocks: list[Block] = []
    number = 0
    page_index = -1
    for draft, start, end in placed:
        while page_index + 1 < len(pages) and pages[page_index + 1].start <= start:
            page_index += 1
        label = pages[page_index].label if page_index >= 0 else ""
        if draft.kind == "heading":
            blocks.append(Block("heading", start, end, label, None, max(draft.level, 1)))
        else:
            number += 1
            blocks.append(Block("paragraph", start, end, label, number, 0))
    return blocks


def split_lines(text: str) -> list[str]:
    """Source lines, whatever the line-ending convention."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def ends_sentence(line: str) -> bool:
    """Whether a line ends a sentence, looking past closing quotes and brackets."""
    stripped = line.rstrip().rstrip(CLOSERS)
    return bool(stripped) and stripped[-1] in SENTENCE_END


def looks_like_title(line: str) -> bool:
    """A short line without final punctuation: how a plain-text title reads."""
    stripped = line.strip()
    return (
        0 < len(stripped) <= TITLE_MAX
        and stripped[-1] not in ".,;:!?…"
        and (stripped[0].isupper() or stripped[0].isdigit())
    )


def joined_lines(lines: Sequence[tuple[int, str]]) -> list[Piece]:
    """Pieces for lines joined with a space, with line starts and joins marked."""
    pieces: list[Piece] = []
    for index, (number, content) in enumerate(lines):
        if index:
            pieces += [JoinMark("space", lines[index - 1][0]), " "]
        pieces += [LineMark(number), content]
    return pieces


def paragraphs(lines: Sequence[str]) -> list[list[tuple[int, str]]]:
    """Runs of non-blank lines (1-based line number, content), split at blank lines."""
    found: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            current.append((number, line.strip()))
        elif current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def parse_plain(text: str, options: Options) -> Ingested:
    """Blank-line paragraphs; a short first line on its own may be the title."""
    groups = paragraphs(split_lines(text))
    drafts: list[Draft] = []
    for index, group in enumerate(groups):
        is_title = index == 0 and len(groups) > 1 and len(group) == 1
        if is_title and looks_like_title(group[0][1]):
            drafts.append(Draft("heading", joined_lines(group), level=1))
        else:
            drafts.append(Draft("paragraph", joined_lines(group)))
    return assemble(drafts, "plain")
