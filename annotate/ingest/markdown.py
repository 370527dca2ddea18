"""Markdown: headings, paragraphs, footnote references and page comments; markup reduced to text.

Footnote references `[^label]` are recorded and removed, their definitions dropped
from the reading text; `<!-- page N -->` starts printed page N; emphasis, code
spans, links and images are reduced to the words a reader sees.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from .plain import Draft, JoinMark, LineMark, Mark, PageMark, Piece, RefMark, assemble, split_lines
from .types import Ingested, Options

# Stands for a mark while inline markup is reduced; every reduction keeps these in order.
MARK = "\uffff"
# Escaped and code characters are parked here so they are never read as markup.
_PARK = 0xE000

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_THEMATIC = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_DEFINITION = re.compile(r"^ {0,3}\[\^[^\]\s]+\]:")
_COMMENT_OPEN = re.compile(r"<!--(?!.*-->)")
_PAGE_COMMENT = re.compile(r"<!--\s*page\s+(\S+?)\s*-->", re.I)
_REFERENCE = re.compile(r"\[\^([^\]\s]+)\]")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_INLINE_MARK = re.compile(rf"{_REFERENCE.pattern}|{_PAGE_COMMENT.pattern}", re.I)


@dataclass
class _Line:
    number: int
    text: str  # with a MARK for each inline mark
    pages: list[Mark]  # page comments on lines of their own just before this line
    marks: list[Mark]  # the inline marks, in order


@dataclass
class _Block:
    kind: str = "paragraph"
    level: int = 0
    lines: list[_Line] = field(default_factory=list)


@dataclass
class _Reader:
    """Walks the lines, closing a block at every blank line or block-level construct."""

    blocks: list[_Block] = field(default_factory=list)
    current: _Block | None = None
    pages: list[Mark] = field(default_factory=list)  # page comments waiting for a line
    fence: str | None = None  # the open code fence
    skipping: str | None = None  # "definition" or "comment" while their lines are dropped
    blank_in_definition: bool = False

    def close(self) -> None:
        if self.current and self.current.lines:
            self.blocks.append(self.current)
        self.current = None

    def add(self, number: int, content: str, kind: str = "paragraph", level: int = 0) -> None:
        """Add a line to the open block (or open one), with any page marks waiting."""
        if self.current is None:
            self.current = _Block(kind, level)
        text, marks = _line_marks(content)
        self.current.lines.append(_Line(number, text, self.pages, marks))
        self.pages = []

    def read(self, number: int, line: str) -> None:
        """Take one source line."""
        if self.fence is not None:
            if line.strip().startswith(self.fence):
                self.fence = None
                self.close()
            elif line.strip():
                self.add(number, line)
        elif self.skipping == "comment":
            self.skipping = None if "-->" in line else "comment"
        elif self.skipping == "definition" and self._continues_definition(line):
            pass
        else:
            self.skipping = None
            self._read_block_line(number, line)

    def _continues_definition(self, line: str) -> bool:
        """Footnote definitions run on over indented lines and, lazily, to a blank line."""
        if not line.strip():
            self.blank_in_definition = True
            return True
        if line[:1].isspace():
            return True
        return not self.blank_in_definition and not _starts_block(line)

    def _read_block_line(self, number: int, line: str) -> None:
        """A line outside fences, comments and definitions."""
        stripped = line.strip()
        page = _PAGE_COMMENT.fullmatch(stripped)
        if page:
            self.pages.append(PageMark(page.group(1)))
        elif fence := _FENCE.match(line):
            self.close()
            self.fence = fence.group(1)
        elif _DEFINITION.match(line):
            self.close()
            self.skipping, self.blank_in_definition = "definition", False
        elif stripped.startswith("<!--") and _COMMENT_OPEN.search(line):
            self.close()
            self.skipping = "comment"
        elif heading := _ATX.match(line):
            self.close()
            self.add(number, heading.group(2) or "", "heading", len(heading.group(1)))
            self.close()
        elif (setext := _SETEXT.match(line)) and self.current and self.current.kind == "paragraph":
            self.current.kind = "heading"
            self.current.level = 1 if setext.group(1)[0] == "=" else 2
            self.close()
        elif not stripped or _THEMATIC.match(line):
            self.close()
        else:
            self._read_text(number, _QUOTE.sub("", line))

    def _read_text(self, number: int, content: str) -> None:
        """Paragraph text; a list item starts a paragraph of its own."""
        if not content.strip():
            self.close()
            return
        if item := _LIST_ITEM.match(content):
            self.close()
            content = content[item.end() :]
        self.add(number, content.rstrip().removesuffix("\\"))


def parse_markdown(text: str, options: Options) -> Ingested:
    """Headings and paragraphs of a Markdown text, as reading text."""
    reader = _Reader()
    for number, line in enumerate(split_lines(text.replace(MARK, "\ufffd")), start=1):
        reader.read(number, line)
    reader.close()
    return assemble((_draft(block) for block in reader.blocks), "markdown")


def _starts_block(line: str) -> bool:
    """Whether a line opens something new rather than continuing a footnote definition."""
    return bool(
        _ATX.match(line)
        or _DEFINITION.match(line)
        or _FENCE.match(line)
        or _PAGE_COMMENT.search(line)
    )


def _park(text: str) -> str:
    """Hide punctuation from the markup rules (escapes, code)."""
    return "".join(chr(_PARK + ord(ch)) if ord(ch) < 0x80 else ch for ch in text)


def _unpark(text: str) -> str:
    return re.sub("[\ue000-\ue07f]", lambda m: chr(ord(m.group()) - _PARK), text)


def _line_marks(content: str) -> tuple[str, list[Mark]]:
    """Replace footnote references and inline page comments in a line by MARK, in order."""
    marks: list[Mark] = []
    content = _ESCAPE.sub(lambda m: _park(m.group(1)), content)

    def replace(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            marks.append(RefMark(match.group(1)))
        else:
            marks.append(PageMark(match.group(2)))
        return MARK

    return _INLINE_MARK.sub(replace, content), marks


def _keep_marks(dropped: str) -> str:
    """The marks inside text a rule drops, so none is lost."""
    return MARK * dropped.count(MARK)


_INLINE: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"!\[([^\]]*)\]\(((?:[^()]|\([^)]*\))*)\)"), 1),  # image → alt text
    (re.compile(r"\[([^\]]+)\]\(((?:[^()]|\([^)]*\))*)\)"), 1),  # link → its text
    (re.compile(r"\[([^\]]+)\]\[([^\]]*)\]"), 1),  # reference link → its text
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>()"), 1),  # autolink → the address
    (re.compile(r"<!--(.*?)-->()"), 0),  # other comments vanish
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), 2),
    (re.compile(r"\*(?=[^\s*])(.+?)(?<=[^\s*])\*()"), 1),
    (re.compile(r"(?<!\w)_(?=[^\s_])(.+?)(?<=[^\s_])_(?!\w)()"), 1),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~()"), 1),
    (re.compile(r"</?[A-Za-z][^>]*>()"), 0),  # inline HTML tags vanish
)
_CODE = re.compile(r"(`+)(.+?)\1")


def reduce_inline(text: str) -> str:
    """Markdown inline markup reduced to the words a reader sees; MARKs stay in order."""
    text = _CODE.sub(lambda m: _park(m.group(2).strip()), text)
    for pattern, keep in _INLINE:

        def replace(match: re.Match[str], keep: int = keep) -> str:
            kept = match.group(keep) if keep else ""
            return kept + _keep_marks(match.group(0).replace(kept, "", 1))

        text = pattern.sub(replace, text)
    return _unpark(html.unescape(text))


def _draft(block: _Block) -> Draft:
    """A block's lines joined with spaces and reduced to text, marks placed."""
    parts: list[str] = []
    marks: list[Mark] = []
    for index, line in enumerate(block.lines):
        if index:
            parts.append(MARK + " ")
            marks.append(JoinMark("space", block.lines[index - 1].number))
        parts.append(MARK * (len(line.pages) + 1) + line.text)
        marks += [*line.pages, LineMark(line.number), *line.marks]
    reduced = reduce_inline("".join(parts)).split(MARK)
    pieces: list[Piece] = [reduced[0]]
    for mark, after in zip(marks, reduced[1:], strict=True):
        pieces += [mark, after]
    if block.kind == "heading":
        return Draft("heading", pieces, level=block.level)
    return Draft("paragraph", pieces)
