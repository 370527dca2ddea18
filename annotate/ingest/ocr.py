"""OCR text: rejoin broken words, find printed pages, paragraphs, headings and footnote marks.

The rules read the layout the scan left behind, decided per document:

- line breaks: when most lines end with a space, a line that does not ends inside a
  word whose hyphen was lost ("deter" / "mined"); otherwise a final hyphen marks the
  break ("larg-" / "est"), kept for real compounds ("East-West", "well-known");
- pages: form feeds, lines that are only a page number, short running heads repeated
  at page boundaries, or (with none of those) a line that starts with a space;
- paragraphs: blank lines, or a page that starts after a short line that ends a sentence;
- footnote marks: digits glued to a word or punctuation, kept only when they count up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

from .plain import (
    Draft,
    JoinKind,
    JoinMark,
    LineMark,
    PageMark,
    Piece,
    RefMark,
    assemble,
    ends_sentence,
    split_lines,
)
from .suspects import find_suspects, zipf
from .types import Ingested, Options

# A mark counts up by one; this many numbers may be missing in between.
FOOTNOTE_STEP = 3
PAGE_STEP = 5
HEAD_STEP = 4
HEAD_MAX = 70
HEAD_MIN_SPACING = 5
# Share of lines ending with a space above which a bare line end means "inside a word".
TRAILING_SHARE = 0.5
# Lines starting with a space mark pages only if they are this rare.
INDENT_PAGE_SHARE = 0.25
# A line shorter than this share of a full line ends its paragraph.
SHORT_LINE = 0.75
HEADING_MAX = 200
HEADING_LINES = 3
# Both halves this frequent and the joined form unknown: a lost space, not a lost hyphen.
WORD_FLOOR = 3.0
# "pre- and post-war": a hyphen before these words is a suspended one.
SUSPENDERS = frozenset({"and", "or", "nor", "to"})

ItemKind = Literal["text", "blank", "feed", "number", "head"]


@dataclass
class _Item:
    """A source line (or the part of it on one side of a form feed)."""

    number: int
    raw: str
    kind: ItemKind
    value: int | None = None  # the printed page number on a number line or running head


@dataclass
class _Line:
    """A line of reading text, with what its layout says."""

    number: int
    raw: str
    blank_before: bool
    cluster: list[_Item] | None  # page markers between the previous line and this one
    pieces: list[Piece] = field(default_factory=list)
    text: str = ""  # what the reader sees: stripped, footnote marks removed
    page: str | None = None  # label of the printed page starting here

    @property
    def content(self) -> str:
        """The printed line without its edge spaces or soft hyphens inside it."""
        content = self.raw.strip()
        if "\u00ad" in content[:-1]:
            content = content[:-1].replace("\u00ad", "") + content[-1]
        return content

    @property
    def indented(self) -> bool:
        return self.raw[:1].isspace()

    @property
    def trailing(self) -> bool:
        return self.raw[-1:].isspace()

    @property
    def ends_with_text(self) -> bool:
        """Whether the line's last piece is text (a footnote mark would sit in a join)."""
        return bool(self.pieces) and isinstance(self.pieces[-1], str)


def parse_ocr(text: str, options: Options) -> Ingested:
    """Clean OCR text into blocks, pages, footnote references and suspects."""
    warnings: list[str] = []
    items = _items(text)
    _mark_page_lines(items)
    lines = _lines(items)
    if not lines:
        return assemble([], "ocr", warnings)
    by_indent = _pages_by_indent(lines, items)
    _label_pages(lines, items, by_indent, options, warnings)
    _strip_footnotes(lines, warnings)
    trailing_mode = _trailing_mode(lines)
    groups = _paragraphs(lines, _full_width(lines), by_indent)
    drafts = [_draft(group, trailing_mode, options.language) for group in groups]
    result = assemble(drafts, "ocr", warnings)
    result.suspects = find_suspects(result.text, options.language)
    return result


# --- Lines and page markers -------------------------------------------------------

# Possessive runs: "\s*[-–—]?\s*" would try every split of a long run of spaces.
_NUMBER_LINE = re.compile(
    r"^\s*+(?:[-–—]\s*+)?(?:(?:page|p\.)\s*+)?(\d{1,4})(?:\s+of\s+\d{1,4})?\s*+(?:[-–—]\s*+)?$",
    re.I,
)
_DIGITS = re.compile(r"\d+")


def _items(text: str) -> list[_Item]:
    """Source lines, split at form feeds, classified as text or blank."""
    items: list[_Item] = []
    for number, line in enumerate(split_lines(text), start=1):
        for index, part in enumerate(line.split("\f")):
            if index:
                items.append(_Item(number, "", "feed"))
            items.append(_Item(number, part, "text" if part.strip() else "blank"))
    return items


def _mark_page_lines(items: list[_Item]) -> None:
    """Turn page-number lines and running heads into page markers."""
    numbers = [i for i, item in enumerate(items) if item.kind == "text" and _page_number(item)]
    chain = [numbers[i] for i in _chain([_page_number(items[i]) or 0 for i in numbers], PAGE_STEP)]
    if len(chain) == 1 and not _lone_number_is_page(items, chain[0]):
        chain = []
    for index in chain:
        items[index].kind = "number"
        items[index].value = _page_number(items[index])
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        if item.kind == "text" and _head_shaped(item.raw):
            groups.setdefault(_head_key(item.raw), []).append(index)
    spaced = [g for g in groups.values() if len(g) >= 2 and _spaced(items, g)]
    for group in spaced:
        _mark_numbered_heads(items, group)
    for group in spaced:
        if items[group[0]].kind == "text":
            _mark_plain_heads(items, group)


def _page_number(item: _Item) -> int | None:
    """The number on a line that holds only a page number ("12", "- 12 -", "Page 12")."""
    match = _NUMBER_LINE.match(item.raw)
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


def _lone_number_is_page(items: Sequence[_Item], index: int) -> bool:
    """A single number line is a page number if it says so, or sits at an edge or a form feed."""
    explicit = re.match(r"\s*(?:page|p\.)", items[index].raw, re.I) is not None
    return explicit or _at_edge(items, index) or _near_feed(items, index)


def _at_edge(items: Sequence[_Item], index: int) -> bool:
    """Whether nothing but blank lines precedes or follows the item."""
    before = all(item.kind == "blank" for item in items[:index])
    return before or all(item.kind == "blank" for item in items[index + 1 :])


def _neighbours(items: Sequence[_Item], index: int) -> list[_Item | None]:
    """The nearest non-blank item on each side (None at the document's edge)."""
    found: list[_Item | None] = []
    for step in (-1, 1):
        at = index + step
        while 0 <= at < len(items) and items[at].kind == "blank":
            at += step
        found.append(items[at] if 0 <= at < len(items) else None)
    return found


def _near_feed(items: Sequence[_Item], index: int) -> bool:
    """Whether a form feed sits next to the item, blank lines aside."""
    return any(n is not None and n.kind == "feed" for n in _neighbours(items, index))


def _head_shaped(raw: str) -> bool:
    """Running heads are short, in title case or capitals, and do not end like a sentence."""
    stripped = raw.strip()
    if not 0 < len(stripped) <= HEAD_MAX or ends_sentence(stripped) or stripped[-1] in ",;-":
        return False
    words = [w for w in stripped.split() if len(w) >= 4 and w[0].isalpha()]
    return 2 * sum(w[0].isupper() for w in words) >= len(words)


def _head_key(raw: str) -> str:
    """The form a running head repeats in, page numbers aside."""
    return _DIGITS.sub("#", " ".join(raw.split()).casefold())


def _spaced(items: Sequence[_Item], group: Sequence[int]) -> bool:
    """Repeats of a running head are pages apart."""
    lines = [items[i].number for i in group]
    return all(b - a >= HEAD_MIN_SPACING for a, b in pairwise(lines))


def _mark_numbered_heads(items: list[_Item], group: list[int]) -> None:
    """Heads whose number, at the start or the end, counts up page by page ("212 JOURNAL")."""
    runs = [items[i].raw.split() for i in group]
    for position in (0, -1):
        printed = [words[position] for words in runs]
        if not all(p.isdigit() for p in printed):
            continue
        values = [int(p) for p in printed]
        if all(1 <= b - a <= HEAD_STEP for a, b in pairwise(values)):
            for index, value in zip(group, values, strict=True):
                items[index].kind = "head"
                items[index].value = value
            return


def _mark_plain_heads(items: list[_Item], group: list[int]) -> None:
    """Heads without a number, accepted when every one sits at a page boundary found otherwise."""
    markers = {"feed", "number", "head"}

    def at_boundary(index: int) -> bool:
        return any(n is None or n.kind in markers for n in _neighbours(items, index))

    if all(at_boundary(i) for i in group):
        for index in group:
            items[index].kind = "head"


def _lines(items: Sequence[_Item]) -> list[_Line]:
    """The reading lines, each knowing the blank lines and page markers before it."""
    lines: list[_Line] = []
    blank = False
    cluster: list[_Item] = []
    for item in items:
        if item.kind == "blank":
            blank = True
        elif item.kind != "text":
            cluster.append(item)
        else:
            lines.append(_Line(item.number, item.raw, blank and not cluster, cluster or None))
            blank, cluster = False, []
    return lines


# --- Page labels --------------------------------------------------------------------


def _closing_cluster(items: Sequence[_Item]) -> list[_Item]:
    """Page markers after the last reading line (a footer on the last page)."""
    found: list[_Item] = []
    for item in reversed(items):
        if item.kind == "text":
            break
        if item.kind != "blank":
            found.append(item)
    return found[::-1]


def _pages_by_indent(lines: Sequence[_Line], items: Sequence[_Item]) -> bool:
    """Whether a leading space marks each printed page (the first line too)."""
    if any(item.kind in {"feed", "number", "head"} for item in items):
        return False
    if not lines[0].indented:
        return False
    later = [i for i in range(1, len(lines)) if lines[i].indented]
    if not later:
        return True
    if len(later) + 1 > INDENT_PAGE_SHARE * len(lines):
        return False
    if any(line.blank_before for line in lines):
        return True  # paragraphs are marked by blank lines, so indents mean something else
    mid_sentence = sum(not ends_sentence(lines[i - 1].raw) for i in later)
    return 3 * mid_sentence >= len(later)


def _label_pages(
    lines: list[_Line],
    items: Sequence[_Item],
    by_indent: bool,
    options: Options,
    warnings: list[str],
) -> None:
    """Find where printed pages start and give each its printed number."""
    starts = [0]
    starts += [
        i
        for i in range(1, len(lines))
        if (lines[i].indented if by_indent else lines[i].cluster is not None)
    ]
    printed: dict[int, int] = {}
    closing = _closing_cluster(items)
    opening = lines[0].cluster or []
    footers = not _has_number_line(opening) and _has_number_line(closing)

    def note(page: int, value: int | None) -> None:
        if value is None or not 0 <= page < len(starts):
            return
        if page in printed and printed[page] != value:
            warnings.append(f"page {printed[page]}: also printed as {value}; kept the first")
            return
        printed.setdefault(page, value)

    for value in _numbers(opening):
        note(0, value)
    for value in _numbers(closing):
        note(len(starts) - 1, value)
    if not by_indent:
        for page, start in enumerate(starts[1:], start=1):
            before, after = _split_cluster(lines[start].cluster or [], footers)
            for value in before:
                note(page - 1, value)
            for value in after:
                note(page, value)
    for page, label in enumerate(_fill_labels(len(starts), printed, options)):
        lines[starts[page]].page = label


def _has_number_line(cluster: Sequence[_Item]) -> bool:
    return any(item.kind == "number" for item in cluster)


def _numbers(cluster: Sequence[_Item]) -> list[int]:
    return [item.value for item in cluster if item.value is not None]


def _split_cluster(cluster: Sequence[_Item], footers: bool) -> tuple[list[int], list[int]]:
    """Numbers in markers between two pages: (the page before's, the page after's)."""
    if any(item.kind == "feed" for item in cluster):
        cut = next(i for i, item in enumerate(cluster) if item.kind == "feed")
        return _numbers(cluster[:cut]), _numbers(cluster[cut:])
    numbered = [item for item in cluster if item.value is not None]
    if len(numbered) >= 2:
        return _numbers(numbered[:1]), _numbers(numbered[-1:])
    if numbered and numbered[0].kind == "number" and footers:
        return _numbers(numbered), []
    return [], _numbers(numbered)


def _fill_labels(count: int, printed: dict[int, int], options: Options) -> list[str]:
    """Labels for every page: printed numbers, counted on from them where missing."""
    if not printed:
        first = options.first_page if options.first_page is not None else 1
        return [str(first + page) for page in range(count)]
    anchor = min(printed)  # pages before the first printed number count back from it
    labels: list[str] = []
    for page in range(count):
        if page in printed:
            anchor = page
        labels.append(str(printed[anchor] + page - anchor))
    return labels


# --- Footnote marks -------------------------------------------------------------------

_REF = re.compile(r"(?<=[^\W\d_]|[.,;:!?)\]\"'”’])\d{1,3}(?=[\s.,;:!?)\]\"'”’\-–—]|$)")
_QUOTES = "\"'”’"


@dataclass
class _Candidate:
    line: int
    start: int
    end: int
    value: int
    noise: bool  # followed by a quote: a misread closing quote, never a mark


def _candidates(lines: Sequence[_Line]) -> list[_Candidate]:
    """Digits glued to the word or punctuation before them, in text order."""
    found: list[_Candidate] = []
    for index, line in enumerate(lines):
        content = line.content
        for match in _REF.finditer(content):
            start, end = match.span()
            digits = match.group()
            before = content[start - 1]
            after = content[end : end + 2]
            if before in ".,:" and _inside_number(content, start, digits):
                continue
            if digits.startswith("0") or re.match(r"[.,]\d", after):
                continue
            noise = after[:1] != "" and after[:1] in _QUOTES and before.isalpha()
            found.append(_Candidate(index, start, end, int(digits), noise))
    return found


class _Quotes:
    """Whether a double quote is open at a point of a line, for points that move forward.

    Counting from the line's start for each point would be quadratic in a long line.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.counted = 0
        self.straight = self.opening = self.closing = 0

    def open_at(self, end: int) -> bool:
        chunk = self.text[self.counted : end]
        self.counted = max(self.counted, end)
        self.straight += chunk.count('"')
        self.opening += chunk.count("“")
        self.closing += chunk.count("”")
        return self.straight % 2 == 1 or self.opening > self.closing


def _inside_number(content: str, start: int, digits: str) -> bool:
    """Digits after '.', ',' or ':' that continue a number: 12.5, 10:30, 1,500 (not 1962,23)."""
    head = 0  # digits before the separator; more than 4 never changes the answer
    while head < 4 and head < start - 1 and content[start - 2 - head].isdecimal():
        head += 1
    if head == 0:
        return False
    if content[start - 1] != ",":
        return True
    return len(digits) == 3 and head <= 3


def _chain(values: Sequence[int], step: int) -> list[int]:
    """Indexes of the longest subsequence rising by 1..step each time (fewest gaps on ties)."""
    best: dict[int, tuple[int, int, int]] = {}  # value -> (length, -gaps, index) of best chain
    parents: list[int] = []
    scores: list[tuple[int, int]] = []
    for index, value in enumerate(values):
        score, parent = (1, 0), -1
        for previous in range(value - step, value):
            if previous in best:
                length, gaps, at = best[previous]
                option = (length + 1, gaps - (value - previous - 1))
                if option > score:
                    score, parent = option, at
        parents.append(parent)
        scores.append(score)
        if value not in best or score > best[value][:2]:
            best[value] = (*score, index)
    if not values:
        return []
    at = max(range(len(values)), key=lambda i: scores[i])
    chain: list[int] = []
    while at != -1:
        chain.append(at)
        at = parents[at]
    return chain[::-1]


def _strip_footnotes(lines: list[_Line], warnings: list[str]) -> None:
    """Record footnote marks that count up, drop OCR noise, and fill each line's pieces."""
    candidates = _candidates(lines)
    real = [c for c in candidates if not c.noise]
    chain = [real[i] for i in _chain([c.value for c in real], FOOTNOTE_STEP)]
    if len(chain) == 1 and chain[0].value > FOOTNOTE_STEP:
        chain = []
    accepted = {(c.line, c.start) for c in chain}
    by_line: dict[int, list[_Candidate]] = {}
    for candidate in candidates:
        by_line.setdefault(candidate.line, []).append(candidate)
    for index, line in enumerate(lines):
        content = line.content
        quotes = _Quotes(content)
        pieces: list[Piece] = []
        last = 0
        for c in by_line.get(index, []):
            if (c.line, c.start) in accepted:
                pieces += [content[last : c.start], RefMark(str(c.value))]
                last = c.end
            elif c.noise:
                pieces.append(content[last : c.start])
                last = c.end
                if content[c.end] in "'’" and quotes.open_at(c.start):
                    pieces.append('"')  # the digit and quote were a misread closing ”
                    last += 1
                word = content[max(0, c.start - 12) : c.end + 1].split()[-1]
                warnings.append(f"line {line.number}: dropped {c.value} from {word!r} (OCR noise)")
            elif content[c.start - 1].isalpha():
                word = content[max(0, c.start - 12) : c.end].split()[-1]
                warnings.append(
                    f"line {line.number}: {word!r} ends in a number out of footnote sequence"
                )
        pieces.append(content[last:])
        line.pieces = [p for p in pieces if p != ""]
        line.text = "".join(p for p in line.pieces if isinstance(p, str))


# --- Paragraphs and headings -------------------------------------------------------------

_NUMBERED_HEADING = re.compile(
    r"^(?:(?P<roman>[IVXLC]{1,6})\.|(?P<arabic>\d{1,2}(?:\.\d{1,2}){0,3})\.?|(?P<letter>[A-Z])\.)"
    r"\s+[\"“‘']?[A-Z]"
)


def _trailing_mode(lines: Sequence[_Line]) -> bool:
    """Whether most lines end with a space (then a bare line end is inside a word)."""
    inner = [line for line, after in pairwise(lines) if not after.blank_before]
    if not inner:
        return False
    return sum(line.trailing for line in inner) > TRAILING_SHARE * len(inner)


def _full_width(lines: Sequence[_Line]) -> int:
    """The length of a full line (80th percentile), to tell a paragraph's short last line."""
    lengths = sorted(len(line.text) for line in lines)
    return lengths[min(len(lengths) - 1, int(0.8 * len(lengths)))]


def _paragraphs(lines: list[_Line], width: int, by_indent: bool) -> list[list[_Line]]:
    """Group lines into paragraphs: blank lines, page tops after a short last line, indents."""
    groups: list[list[_Line]] = []
    for index, line in enumerate(lines):
        if index == 0 or _starts_paragraph(lines[index - 1], line, width, by_indent):
            groups.append([line])
        else:
            groups[-1].append(line)
    return groups


def _starts_paragraph(previous: _Line, line: _Line, width: int, by_indent: bool) -> bool:
    """Whether `line` begins a new paragraph although no blank line may precede it."""
    if line.blank_before:
        return True
    closed = ends_sentence(previous.text) and len(previous.text) < SHORT_LINE * width
    if line.page is not None or _NUMBERED_HEADING.match(line.text):
        return closed
    if line.indented and not by_indent:
        return ends_sentence(previous.text)
    return False


def _heading_level(group: Sequence[_Line]) -> int:
    """The heading level of a paragraph that is really a heading, else 0."""
    text = " ".join(line.text for line in group)
    if len(group) > HEADING_LINES or len(text) > HEADING_MAX or text[-1] in ".,;":
        return 0
    match = _NUMBERED_HEADING.match(text)
    if match:
        if match.group("roman"):
            return 1
        if match.group("arabic"):
            return 1 + match.group("arabic").count(".")
        return 2
    if len(group) == 1 and _title_shaped(text):
        return 1
    return 0


def _title_shaped(text: str) -> bool:
    """A short line in title case or capitals, without final punctuation."""
    words = [w for w in text.split() if len(w) >= 4]
    if len(text) > 80 or text[-1] in ".,;:!?" or not text[0].isupper() or not words:
        return False
    return text.isupper() or 2 * sum(w[0].isupper() for w in words) > len(words)


def _draft(group: list[_Line], trailing_mode: bool, language: str) -> Draft:
    """One block: the group's lines rejoined, with line starts, joins and pages marked."""
    level = _heading_level(group)
    draft = Draft("heading" if level else "paragraph", level=level)
    for index, line in enumerate(group):
        if index:
            previous = group[index - 1]
            kind, separator, drop = _join(previous, line, trailing_mode, language)
            if drop:
                tail = draft.pieces[-1]
                assert isinstance(tail, str)
                draft.pieces[-1] = tail[:-1]
            draft.pieces += [JoinMark(kind, previous.number), separator]
        if line.page is not None:
            draft.pieces.append(PageMark(line.page))
        draft.pieces.append(LineMark(line.number))
        draft.pieces += line.pieces
    return draft


# --- Line joins -------------------------------------------------------------------------

_FIRST_WORD = re.compile(r"^[^\W\d_]+")


def _last_word(text: str) -> str:
    """The letters that end `text`, before a final hyphen if there is one."""
    end = len(text) - 1 if text[-1:] in "-‐‑" else len(text)
    start = end
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    return text[start:end]


_DASHES = "-–—"


def _join(
    previous: _Line, line: _Line, trailing_mode: bool, language: str
) -> tuple[JoinKind, str, bool]:
    """How two lines of a paragraph meet: (kind, separator, drop the final hyphen)."""
    before, after = previous.text, line.text
    if (after[:1] in _DASHES and after[1:2].isspace()) or (
        before[-1:] in _DASHES and (len(before) == 1 or before[-2].isspace())
    ):
        return "dash", " ", False
    if not previous.ends_with_text:
        return "space", " ", False
    if before.endswith("--"):
        return "dash", " " if before[-3:-2].isspace() else "", False
    if before[-1] in "–—" and before[-2:-1].isalpha():
        return "dash", "", False
    if before[-1] in "¬\u00ad":
        return "hyphen", "", True
    left, right = _last_word(before), _FIRST_WORD.match(after)
    if before[-1] in "-‐‑":
        if left and right:
            kind = _hyphen_kind(left, right.group(), language)
            return kind, " " if kind == "space" else "", kind == "hyphen"
        return "compound", "", False
    bare_end = trailing_mode and not previous.trailing and before[-1].isalpha()
    if bare_end and left and right and _lost_hyphen(left, right.group(), language):
        return "hyphenless", "", False
    return "space", " ", False


def _hyphen_kind(left: str, right: str, language: str) -> JoinKind:
    """A word broken with a hyphen: rejoin it, or keep a real compound's hyphen."""
    joined = (left + right).lower()
    if right[0].isupper():
        both_caps = left.isupper() and right.isupper()
        return "hyphen" if both_caps and zipf(joined, language) > 0 else "compound"
    as_one = zipf(joined, language)
    as_two = zipf(f"{left}-{right}".lower(), language)
    if right.lower() in SUSPENDERS and as_one == 0:
        return "space"
    if as_one > 0 and as_one >= as_two:
        return "hyphen"
    return "compound" if as_two > 0 else "hyphen"


def _lost_hyphen(left: str, right: str, language: str) -> bool:
    """Whether a bare line end lies inside a word (else a space was lost)."""
    if right[0].isupper() and not (left.isupper() and right.isupper()):
        return False
    if zipf((left + right).lower(), language) > 0:
        return True
    return not (
        zipf(left.lower(), language) >= WORD_FLOOR and zipf(right.lower(), language) >= WORD_FLOOR
    )
