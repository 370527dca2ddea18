"""Markdown: headings, paragraphs, footnote references and page comments; markup reduced to text.

Footnote references `[^label]` are recorded and removed, their definitions dropped
from the reading text; `<!-- page N -->` starts printed page N; emphasis, code
spans, links and images are reduced to the words a reader sees.

Every step is linear in the source: a paragraph is one long line once joined, and a
source may be megabytes of unclosed markup, so nothing here may rescan from each start
position (markdown-it reads the inline markup; the block rules are anchored scans).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from markdown_it import MarkdownIt, rules_inline
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from .plain import Draft, JoinMark, LineMark, Mark, PageMark, Piece, RefMark, assemble, split_lines
from .types import Ingested, Options

# Stands for a mark while inline markup is reduced; every reduction keeps these in order.
MARK = "\uffff"
# Escaped and code characters are parked here so they are never read as markup.
_PARK = 0xE000
# MARK while markdown-it reads the line: a symbol, as the "[^1]" it replaces is punctuation
# to the emphasis rules ("*Ibid.*[^3]" closes); the text's own U+2BD2s are parked meanwhile.
_STAND_IN = "\u2bd2"
_PARKED_STAND_IN = chr(_PARK + 0x80)
_UNPARK = str.maketrans({chr(_PARK + code): chr(code) for code in range(0x80)}) | {
    ord(_PARKED_STAND_IN): _STAND_IN
}

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_THEMATIC = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_DEFINITION = re.compile(r"^ {0,3}\[\^[^\]\s]+\]:")
_PAGE_COMMENT = re.compile(r"<!--\s*page\s+(\S+?)\s*-->", re.I)
# No "[" in a label: from each "[^" of "[^a[^a[^a…" the scan stops at the next one.
_REFERENCE = re.compile(r"\[\^([^\[\]\s]+)\]")
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
        elif stripped.startswith("<!--") and _comment_opens(line):
            self.close()
            self.skipping = "comment"
        elif heading := _atx_heading(line):
            self.close()
            self.add(number, heading[1], "heading", heading[0])
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


def _comment_opens(line: str) -> bool:
    """Whether a comment opened on the line is still open at its end."""
    return line.find("-->", line.rfind("<!--") + 4) == -1


def _atx_heading(line: str) -> tuple[int, str] | None:
    """An ATX heading's level and text ("## Text ##" → (2, "Text")), else None."""
    opening = _ATX.match(line)
    if opening is None:
        return None
    text = line[opening.end() :].strip(" \t")
    closed = text.rstrip("#")
    if closed != text and closed[-1:] in (" ", "\t"):
        text = closed.rstrip(" \t")  # a closing run of #s, set off by a space
    return len(opening.group(1)), text


def _starts_block(line: str) -> bool:
    """Whether a line opens something new rather than continuing a footnote definition."""
    return bool(
        _atx_heading(line)
        or _DEFINITION.match(line)
        or _FENCE.match(line)
        or _PAGE_COMMENT.search(line)
    )


def _park(text: str) -> str:
    """Hide punctuation from the markup rules (escapes, code)."""
    return "".join(chr(_PARK + ord(ch)) if ord(ch) < 0x80 else ch for ch in text)


def _unpark(text: str) -> str:
    return text.translate(_UNPARK)


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


class _InlineParser(MarkdownIt):
    """CommonMark inline markup (with ~~strikethrough~~ and raw HTML), URLs left as written.

    The rules that drop source text (code spans, links, images) are wrapped to keep that
    text's raw form on a token, so that no mark or line break inside it is lost.
    """

    def __init__(self) -> None:
        # Deeper link or bracket nesting is read as text; each level multiplies the work of
        # probing a run of unclosed "[" or "![" (20, markdown-it's default, doubles it).
        super().__init__("zero", {"html": True, "maxNesting": 10})
        # Escapes are parked before parsing and entities decoded after it (as html.unescape
        # reads them, "&copy" included), so neither rule is wanted here.
        self.enable(
            [
                "newline",
                "backticks",
                "emphasis",
                "strikethrough",
                "link",
                "image",
                "autolink",
                "html_inline",
            ]
        )
        ruler = self.inline.ruler
        ruler.at("newline", _line_break)
        ruler.at("backticks", _code_span)
        ruler.at("link", _dropping(rules_inline.link, _link_text_end))
        ruler.at("image", _dropping(rules_inline.image, _image_alt_end))
        ruler.before("link", "reference_link", _reference_link)

    # The words are all that is kept: a URL is neither checked, encoded nor decoded.
    def validateLink(self, url: str) -> bool:
        return True

    def normalizeLink(self, url: str) -> str:
        return url

    def normalizeLinkText(self, link: str) -> str:
        return link


def _line_break(state: StateInline, silent: bool) -> bool:
    """A line break, the spaces around it left in the text (markdown-it's rule trims them)."""
    if state.src[state.pos] != "\n":
        return False
    if not silent:
        state.push("softbreak", "br", 0)
    state.pos += 1
    return True


def _code_span(state: StateInline, silent: bool) -> bool:
    """A code span, its content as written (markdown-it turns line breaks into spaces)."""
    start, count = state.pos, len(state.tokens)
    if not rules_inline.backtick(state, silent):
        return False
    if len(state.tokens) > count and state.tokens[-1].type == "code_inline":
        token = state.tokens[-1]
        token.content = state.src[start + len(token.markup) : state.pos - len(token.markup)]
    return True


def _link_text_end(state: StateInline, start: int) -> int:
    return state.md.helpers.parseLinkLabel(state, start, True)


def _image_alt_end(state: StateInline, start: int) -> int:
    return start + 2 + len(state.tokens[-1].content)


def _dropping(
    rule: Callable[[StateInline, bool], bool], text_end: Callable[[StateInline, int], int]
) -> Callable[[StateInline, bool], bool]:
    """A link or image rule that keeps on its last token what it drops: "](url "title")"."""

    def wrapped(state: StateInline, silent: bool) -> bool:
        start = state.pos
        if not rule(state, silent):
            return False
        if not silent:
            state.tokens[-1].meta["dropped"] = state.src[text_end(state, start) : state.pos]
        return True

    return wrapped


def _reference_link(state: StateInline, silent: bool) -> bool:
    """`[text][label]`, `[text][]` and their images: read whether or not the label is defined."""
    start = state.pos
    image = state.src.startswith("![", start)
    bracket = start + image
    if state.src[bracket] != "[":
        return False
    text_end = state.md.helpers.parseLinkLabel(state, bracket, not image)
    label_start = text_end + 1
    if text_end <= bracket + 1 or not state.src.startswith("[", label_start, state.posMax):
        return False
    label_end = state.md.helpers.parseLinkLabel(state, label_start)
    if label_end < 0:
        return False
    if not silent:
        if image:
            token = state.push("image", "img", 0)
            token.content = state.src[bracket + 1 : text_end]
            token.children = []
            state.md.inline.parse(token.content, state.md, state.env, token.children)
        else:
            maximum = state.posMax
            state.push("link_open", "a", 1)
            state.pos, state.posMax = start + 1, text_end
            state.linkLevel += 1
            state.md.inline.tokenize(state)
            state.linkLevel -= 1
            token = state.push("link_close", "a", -1)
            state.posMax = maximum
        token.meta["dropped"] = state.src[text_end : label_end + 1]
    state.pos = label_end + 1
    return True


_INLINE_PARSER = _InlineParser()
# A line break in the words: its join mark, the space, then the next line's marks.
_BREAK = MARK + " " + MARK
_DROPPED_MARKS = frozenset({"\n", _STAND_IN})


def reduce_inline(text: str) -> str:
    """Markdown inline markup reduced to the words a reader sees.

    `text` is one block, its lines separated by "\n". Each MARK in it comes out as a
    MARK, and each line break as two (with a space between unless markup dropped the
    break), all in their order in `text`.
    """
    source = text.replace(_STAND_IN, _PARKED_STAND_IN).replace(MARK, _STAND_IN)
    tokens: list[Token] = []
    # The inline parser alone: the core rules would rewrite the text (NUL → U+FFFD).
    _INLINE_PARSER.inline.parse(source, _INLINE_PARSER, {}, tokens)
    return _unpark("".join(_words(tokens)))


def _words(tokens: Sequence[Token]) -> Iterator[str]:
    """The text of inline tokens: link → its text, image → alt, code kept, HTML gone."""
    for token in tokens:
        if token.type == "text":
            yield _BREAK.join(_text(line) for line in token.content.split("\n"))
        elif token.type == "code_inline":
            kept = token.content.replace(_STAND_IN, MARK).replace("\n", _BREAK)
            yield _park(kept.strip())
        elif token.type == "softbreak":
            yield _BREAK
        elif token.type == "image":
            yield from _words(token.children or ())
        elif token.type == "html_inline":
            yield _kept_marks(token.content)
        if "dropped" in token.meta:
            yield _kept_marks(token.meta["dropped"])


def _text(words: str) -> str:
    """Plain text with entities decoded ("&amp;" → "&"); no entity may forge a MARK."""
    parts = words.split(_STAND_IN)
    return MARK.join(html.unescape(part).replace(_STAND_IN, _PARKED_STAND_IN) for part in parts)


def _kept_marks(dropped: str) -> str:
    """The marks and line breaks in source text that markup drops, so none is lost."""
    return "".join(MARK * (1 if ch == _STAND_IN else 2) for ch in dropped if ch in _DROPPED_MARKS)


def _draft(block: _Block) -> Draft:
    """A block's lines reduced to text as one paragraph, marks placed."""
    first = block.lines[0]
    groups: list[list[Mark]] = []  # the marks each MARK of the reduced text stands for
    for previous, line in pairwise(block.lines):
        groups += [[m] for m in previous.marks]
        groups += [[JoinMark("space", previous.number)], [*line.pages, LineMark(line.number)]]
    groups += [[m] for m in block.lines[-1].marks]
    reduced = reduce_inline("\n".join(line.text for line in block.lines)).split(MARK)
    pieces: list[Piece] = [*first.pages, LineMark(first.number), reduced[0]]
    for group, after in zip(groups, reduced[1:], strict=True):
        pieces += [*group, after]
    if block.kind == "heading":
        return Draft("heading", pieces, level=block.level)
    return Draft("paragraph", pieces)
