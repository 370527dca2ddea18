"""Properties: a clean text, printed as OCR would print it, imports back exactly.

The generator writes paragraphs of real English words (wordfreq's top 5000,
alphabetic, 3+ letters) and numbered headings, then lays them out as a scanner
would: lines wrapped at a width, words broken across lines (hyphen lost and
trailing spaces kept, or hyphen kept and no trailing spaces), pages marked by a
leading space, form feeds, page-number footers and/or running heads, and
footnote marks glued after words in sequence. Importing must give back the clean
text, its blocks, the marks at the right offsets, the pages and the line map.

Constraints, each a case where the printed page itself is ambiguous:

- a word is never broken with a hyphen where both halves are common words
  (zipf >= 3, "an-" / "other"), since "an-other" might be a real compound;
- hyphen-less breaks stay a minority of line ends (<= 40%): the break mode is
  read from the majority of lines, as in real scans;
- a page break between paragraphs (without a blank line, as markers hide it)
  comes only after a short last line (< half the width) that ends a sentence,
  never right after a heading, and a page break inside a paragraph never follows
  a short line that ends a sentence (either would read as the other);
- a running head needs at least two pages to be recognised as repeating;
- every document has at least two blocks (so blank lines mark paragraphs and a
  leading space can only mean a page).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wordfreq import top_n_list

from annotate.ingest import IngestError, Options, consistency_problems, ingest
from annotate.ingest.suspects import zipf

WORDS = tuple(w for w in top_n_list("en", 5000) if w.isascii() and w.isalpha() and len(w) >= 3)
ROMANS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
HEAD = "GLOSSA REVIEW OF HISTORY"
NUMBER_LINES = ("{n}", "- {n} -", "— {n} —", "Page {n}")
PAGE_STYLES = ("none", "indent", "feeds", "footers", "heads")
HYPHENLESS_SHARE = 0.4


@dataclass
class Token:
    word: str
    tail: str = ""  # punctuation printed after the word
    ref: str | None = None  # footnote mark printed after the punctuation

    @property
    def clean(self) -> str:
        return self.word + self.tail

    @property
    def printed(self) -> str:
        return self.clean + (self.ref or "")


@dataclass
class CleanBlock:
    kind: str  # "heading" or "paragraph"
    tokens: list[Token]


@dataclass
class Line:
    printed: str
    clean_start: int
    clean_end: int
    block: int
    first: bool  # first line of its block
    broken: bool  # ends inside a word


@dataclass
class Layout:
    width: int
    breaks: str  # "hyphenless" or "hyphen"
    pages: str
    page_length: int
    first_page: int
    pass_first_page: bool
    heads_too: bool  # footers style: a running head on every page as well
    rng: random.Random
    broken: int = 0
    inner: int = 0


@dataclass
class Document:
    ocr: str
    options: Options
    text: str
    blocks: list[tuple[str, int, int, int]]
    refs: list[tuple[str, int]]
    pages: list[tuple[str, int]]
    line_map: list[tuple[int, int]] = field(default_factory=list)


@st.composite
def sentences(draw: st.DrawFn, counter: list[int]) -> list[Token]:
    """One sentence: capitalised, commas here and there, footnote marks counting up."""
    picks = draw(
        st.lists(st.tuples(st.sampled_from(WORDS), st.integers(0, 14)), min_size=4, max_size=16)
    )
    tokens: list[Token] = []
    for index, (word, luck) in enumerate(picks):
        last = index == len(picks) - 1
        token = Token(word.capitalize() if index == 0 else word, "." if last else "")
        if luck == 0 and not last:
            token.tail = ","
        if luck == 1 or (luck == 2 and last):
            counter[0] += draw(st.sampled_from((1, 1, 1, 2)))
            token.ref = str(counter[0])
        tokens.append(token)
    return tokens


@st.composite
def clean_documents(draw: st.DrawFn) -> list[CleanBlock]:
    """Paragraphs and numbered headings (never two headings in a row, none last)."""
    counter = [0]
    count = draw(st.integers(2, 9))
    blocks: list[CleanBlock] = []
    headings = 0
    for index in range(count):
        can_head = 0 < index < count - 1 and blocks[-1].kind == "paragraph"
        if can_head and draw(st.integers(0, 2)) == 0:
            words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4))
            title = [Token(ROMANS[headings], ".")] + [Token(w.capitalize()) for w in words]
            blocks.append(CleanBlock("heading", title))
            headings += 1
        else:
            paragraph = [
                t for s in draw(st.lists(sentences(counter), min_size=2, max_size=6)) for t in s
            ]
            blocks.append(CleanBlock("paragraph", paragraph))
    return blocks


def splits(word: str, room: int, layout: Layout) -> list[int]:
    """Where `word` may break so its first part fits in `room` (see the module's constraints)."""
    hyphen = layout.breaks == "hyphen"
    found = []
    for cut in range(2, len(word) - 1):
        if cut + hyphen > room:
            break
        both_words = zipf(word[:cut].lower()) >= 3 and zipf(word[cut:]) >= 3
        if not (hyphen and both_words):
            found.append(cut)
    return found


def may_break(layout: Layout) -> bool:
    """Break a word here? Hyphen-less breaks must stay a minority of line ends."""
    if layout.rng.random() > 0.5:
        return False
    if layout.breaks == "hyphen":
        return True
    return layout.broken + 1 <= HYPHENLESS_SHARE * (layout.inner + 1)


def wrap(block: CleanBlock, index: int, start: int, layout: Layout) -> list[Line]:
    """Lay a block out in lines of the layout's width, breaking some words."""
    lines: list[Line] = []
    text, line_start, line_end = "", start, start
    position = start
    for token in block.tokens:
        token_start, position = position, position + len(token.clean) + 1
        if not text:
            text, line_start, line_end = token.printed, token_start, token_start + len(token.clean)
            continue
        if len(text) + 1 + len(token.printed) <= layout.width:
            text, line_end = f"{text} {token.printed}", token_start + len(token.clean)
            continue
        room = layout.width - len(text) - 1
        cuts = splits(token.word, room, layout) if block.kind == "paragraph" else []
        if cuts and may_break(layout):
            cut = layout.rng.choice(cuts)
            hyphen = "-" if layout.breaks == "hyphen" else ""
            printed = f"{text} {token.word[:cut]}{hyphen}"
            lines.append(Line(printed, line_start, token_start + cut, index, not lines, True))
            layout.broken += 1
            text, line_start = token.printed[cut:], token_start + cut
        else:
            lines.append(Line(text, line_start, line_end, index, not lines, False))
            text, line_start = token.printed, token_start
        line_end = token_start + len(token.clean)
        layout.inner += 1
    lines.append(Line(text, line_start, line_end, index, not lines, False))
    return lines


def page_starts(
    lines: list[Line], clean: str, blocks: list[CleanBlock], layout: Layout
) -> list[int]:
    """Indexes of the lines that begin printed pages (see the module's constraints)."""

    def allowed(k: int) -> bool:
        before = clean[lines[k - 1].clean_start : lines[k - 1].clean_end]
        sentence_end = before.endswith(".")
        if lines[k].first:
            if layout.pages == "indent":
                return True
            short = len(before) < 0.5 * layout.width
            return blocks[lines[k - 1].block].kind == "paragraph" and sentence_end and short
        return not (sentence_end and len(before) < 0.85 * layout.width)

    starts, since = [0], 0
    if layout.pages == "none":
        return starts
    for k in range(1, len(lines)):
        since += 1
        if since >= layout.page_length and allowed(k):
            starts.append(k)
            since = 0
    return starts


@st.composite
def documents(draw: st.DrawFn) -> Document:
    """A clean document and the OCR text a scanner would have made of it."""
    blocks = draw(clean_documents())
    rng = draw(st.randoms(use_true_random=False))
    style = draw(st.sampled_from(PAGE_STYLES))
    layout = Layout(
        width=draw(st.integers(40, 72)),
        breaks=draw(st.sampled_from(("hyphenless", "hyphen"))),
        pages=style,
        page_length=draw(st.integers(8 if style == "indent" else 5, 14)),
        first_page=draw(st.integers(1, 400)),
        pass_first_page=draw(st.booleans()),
        heads_too=draw(st.booleans()),
        rng=rng,
    )
    texts = [" ".join(t.clean for t in b.tokens) for b in blocks]
    clean = "\n\n".join(texts)
    lines: list[Line] = []
    expected_blocks: list[tuple[str, int, int, int]] = []
    refs: list[tuple[str, int]] = []
    start = 0
    for index, (block, text) in enumerate(zip(blocks, texts, strict=True)):
        lines += wrap(block, index, start, layout)
        level = 1 if block.kind == "heading" else 0
        expected_blocks.append((block.kind, start, start + len(text), level))
        position = start
        for token in block.tokens:
            if token.ref:
                refs.append((token.ref, position + len(token.clean)))
            position += len(token.clean) + 1
        start += len(text) + 2
    starts = page_starts(lines, clean, blocks, layout)
    if style in {"heads", "footers"} and len(starts) < 2:
        layout.pages = style = "none"
        starts = [0]
    return render(blocks, lines, starts, clean, layout, expected_blocks, refs)


def render(
    blocks: list[CleanBlock],
    lines: list[Line],
    starts: list[int],
    clean: str,
    layout: Layout,
    expected_blocks: list[tuple[str, int, int, int]],
    refs: list[tuple[str, int]],
) -> Document:
    """Print the lines with the layout's page furniture; say what import must return."""
    printed = layout.pages in {"footers", "heads"}
    base = layout.first_page if (printed or layout.pass_first_page) else 1
    out: list[str] = []
    line_map: list[tuple[int, int]] = []
    alternate = layout.pages == "heads" and len(starts) >= 4 and layout.rng.random() < 0.5
    number_line = layout.rng.choice(NUMBER_LINES)
    heads = (f"{{n}} {HEAD}", f"{HEAD} {{n}}")

    def header(page: int) -> None:
        if layout.pages == "heads":
            form = heads[page % 2] if alternate else heads[0]
            out.extend([form.format(n=base + page), ""])
        elif layout.pages == "footers" and layout.heads_too:
            out.extend([HEAD, ""])

    def footer(page: int) -> None:
        if layout.pages == "footers":
            out.extend(["", number_line.format(n=base + page), ""])

    header(0)
    page = 0
    for k, line in enumerate(lines):
        if line.first and k:
            out.append("")
        prefix = ""
        if k in starts and k:
            footer(page)
            page += 1
            header(page)
            if layout.pages == "feeds":
                if layout.rng.random() < 0.5:
                    out.append("\f")
                else:
                    prefix = "\f"
        if k in starts and layout.pages == "indent":
            prefix = " "
        trailing = " " if layout.breaks == "hyphenless" and not line.broken else ""
        out.append(prefix + line.printed + trailing)
        line_map.append((len(out), line.clean_start))
    footer(page)
    pages = [(str(base + p), lines[k].clean_start) for p, k in enumerate(starts)]
    if layout.pass_first_page:
        # printed numbers win over the option; without them the option numbers the pages
        options = Options(first_page=layout.first_page + (100 if printed else 0))
    else:
        options = Options()
    return Document("\n".join(out) + "\n", options, clean, expected_blocks, refs, pages, line_map)


@given(doc=documents())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_ocr_layout_round_trip(doc: Document) -> None:
    result = ingest(doc.ocr, "ocr", doc.options)
    assert consistency_problems(result) == []
    assert result.text == doc.text
    assert [(b.kind, b.start, b.end, b.level) for b in result.blocks] == doc.blocks
    numbers = [b.number for b in result.blocks if b.kind == "paragraph"]
    assert numbers == list(range(1, len(numbers) + 1))
    assert [(r.label, r.offset) for r in result.footnote_refs] == doc.refs
    assert [(p.label, p.start) for p in result.pages] == doc.pages
    assert [(m.line, m.start) for m in result.line_map] == doc.line_map


TRICKY = st.sampled_from(
    [*"ab AZ-–\n\n\f\t\"'.,:;12#*_[]^()<>!`~é\u0301\u00a0", "<!-- page 2 -->", "[^1]", "\r\n"]
)


@given(
    text=st.lists(TRICKY | st.characters(), max_size=80).map("".join),
    fmt=st.sampled_from(("ocr", "markdown", "plain", "auto")),
)
@settings(max_examples=300, deadline=None)
def test_any_text_gives_consistent_offsets(text: str, fmt: str) -> None:
    try:
        result = ingest(text, fmt)
    except IngestError as error:
        assert error.code == "empty"
        return
    assert consistency_problems(result) == []
