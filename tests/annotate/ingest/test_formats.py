"""Markdown, plain text, other OCR layouts, and telling them apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate.ingest import Ingested, Options, consistency_problems, detect_format, ingest
from annotate.ingest.markdown import reduce_inline

SAMPLE = (
    Path(__file__).resolve().parents[3]
    / "annotate/samples/hungarian-revolution-1956-superpowers.ocr.txt"
)

MARKDOWN = """\
# The Superpowers and 1956

<!-- page 213 -->
The fate of *East-Central Europe* was **determined** by the status quo.[^1] See
[the archive](https://example.org/a_(b)) and `code *kept*` here.[^note]

## The _aftermath_

A paragraph with "quotes", an ![image](x.png) and it's fine - really.
It goes on <!-- page 214 --> across the page.

[^1]: The note itself,
continued lazily.

    And an indented paragraph of the same note.

[^note]: Another note.

- first item
- second item

Setext Heading
--------------

Last \\*not emphasis\\*.
"""

PLAIN = """\
A Plain Title

The first paragraph is wrapped
over two lines.

The second one is not.
"""


def texts(result: Ingested) -> list[tuple[str, int, str]]:
    return [(b.kind, b.level, result.text[b.start : b.end]) for b in result.blocks]


@pytest.fixture(scope="module")
def markdown() -> Ingested:
    return ingest(MARKDOWN, "markdown")


def test_markdown_blocks(markdown: Ingested) -> None:
    assert texts(markdown) == [
        ("heading", 1, "The Superpowers and 1956"),
        (
            "paragraph",
            0,
            "The fate of East-Central Europe was determined by the status quo. "
            "See the archive and code *kept* here.",
        ),
        ("heading", 2, "The aftermath"),
        (
            "paragraph",
            0,
            "A paragraph with “quotes”, an image and it’s fine – really. "
            "It goes on across the page.",
        ),
        ("paragraph", 0, "first item"),
        ("paragraph", 0, "second item"),
        ("heading", 2, "Setext Heading"),
        ("paragraph", 0, "Last *not emphasis*."),
    ]
    assert [b.number for b in markdown.blocks if b.kind == "paragraph"] == [1, 2, 3, 4, 5]
    assert consistency_problems(markdown) == []


def test_markdown_footnotes_are_recorded_and_definitions_dropped(markdown: Ingested) -> None:
    refs = [(r.label, markdown.text[r.offset - 11 : r.offset]) for r in markdown.footnote_refs]
    assert refs == [("1", "status quo."), ("note", "kept* here.")]
    assert "note itself" not in markdown.text
    assert "indented paragraph" not in markdown.text
    assert "Another note" not in markdown.text


def test_markdown_page_comments(markdown: Ingested) -> None:
    pages = [(p.label, markdown.text[p.start : p.start + 8]) for p in markdown.pages]
    assert pages == [("213", "The fate"), ("214", "across t")]
    assert [b.page for b in markdown.blocks][:4] == ["", "213", "213", "213"]


def test_markdown_line_map_and_joins(markdown: Ingested) -> None:
    mapped = {m.line: m.start for m in markdown.line_map}
    assert mapped[1] == 0
    assert markdown.text[mapped[5] : mapped[5] + 3] == "the"
    assert all(j.kind == "space" for j in markdown.joins)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("**bold** and __bold__", "bold and bold"),
        ("*it* and _it_ but snake_case_name", "it and it but snake_case_name"),
        ("[text](http://x) and [ref][1] and <https://x.org>", "text and ref and https://x.org"),
        ("~~gone~~ <em>html</em> &amp; entities", "gone html & entities"),
        ("`a *b* [c](d)`", "a *b* [c](d)"),
    ],
)
def test_reduce_inline(source: str, expected: str) -> None:
    assert reduce_inline(source) == expected


def test_plain_text() -> None:
    result = ingest(PLAIN, "plain")
    assert texts(result) == [
        ("heading", 1, "A Plain Title"),
        ("paragraph", 0, "The first paragraph is wrapped over two lines."),
        ("paragraph", 0, "The second one is not."),
    ]
    assert result.pages == []
    assert [j.kind for j in result.joins] == ["space"]
    assert consistency_problems(result) == []


def test_plain_text_first_line_with_punctuation_is_a_paragraph() -> None:
    result = ingest("It begins here.\n\nAnd goes on.\n", "plain")
    assert [b.kind for b in result.blocks] == ["paragraph", "paragraph"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (MARKDOWN, "markdown"),
        ("Intro\n\n## Part two\n\nText.", "markdown"),
        ("A claim.[^1]\n\n[^1]: Source.", "markdown"),
        (PLAIN, "plain"),
        ("One paragraph only.", "plain"),
        ("Line one of a hard-wrapped\nplain letter, with no traces\nof a scanner.\n", "plain"),
        ("text\f\nmore text\non the next page\n", "ocr"),
    ],
)
def test_detect_format(text: str, expected: str) -> None:
    assert detect_format(text) == expected


def test_detect_format_sample() -> None:
    assert detect_format(SAMPLE.read_text(encoding="utf-8")) == "ocr"


HYPHENATED = """\
THE JOURNAL OF COLD WAR HISTORY 212

The United States, the world's larg-
est military power, had no firm plan.3 A well-
known fact is that the East-
West relationship was tense - and
the pre- and post-war years differed.
Moscow4 decided on 23 October 1956.

— 212 —

THE JOURNAL OF COLD WAR HISTORY 213

Cold War7 reflexes were strong; the Soviets de-
cided against it (10-15 days).

— 213 —
"""


@pytest.fixture(scope="module")
def hyphenated() -> Ingested:
    return ingest(HYPHENATED)


def test_hyphenated_ocr_is_detected(hyphenated: Ingested) -> None:
    assert hyphenated.format == "ocr"
    assert consistency_problems(hyphenated) == []


def test_hyphenated_ocr_joins(hyphenated: Ingested) -> None:
    text = hyphenated.text
    assert "the world’s largest military power" in text
    assert "A well-known fact" in text
    assert "the East-West relationship was tense – and the pre- and post-war years" in text
    assert "the Soviets decided against it (10-15 days)." in text
    assert "JOURNAL" not in text
    assert "212" not in text and "213" not in text


def test_hyphenated_ocr_pages_from_printed_numbers(hyphenated: Ingested) -> None:
    pages = [(p.label, hyphenated.text[p.start : p.start + 8]) for p in hyphenated.pages]
    assert pages == [("212", "The Unit"), ("213", "Cold War")]


def test_hyphenated_ocr_footnotes_in_sequence(hyphenated: Ingested) -> None:
    refs = [(r.label, hyphenated.text[r.offset - 6 : r.offset]) for r in hyphenated.footnote_refs]
    assert refs == [("3", " plan."), ("4", "Moscow"), ("7", "ld War")]


FORM_FEEDS = """\
First page text that runs on for a while and
then ends mid-sentence on this first page, to
\fgo on for a few words on the second page and
end there, early.

Page 3

A new paragraph on page three.
"""


def test_form_feeds_and_page_lines() -> None:
    result = ingest(FORM_FEEDS, "ocr", Options(first_page=9))
    pages = [(p.label, result.text[p.start : p.start + 6]) for p in result.pages]
    # printed numbers win over first_page; the unnumbered pages are counted back from them
    assert pages == [("1", "First "), ("2", "go on "), ("3", "A new ")]
    assert [b.kind for b in result.blocks] == ["paragraph", "paragraph"]
    assert consistency_problems(result) == []


def test_form_feeds_without_numbers_count_from_first_page() -> None:
    result = ingest("One page of text.\n\fAnother page of text.\n", "ocr", Options(first_page=9))
    assert [p.label for p in result.pages] == ["9", "10"]


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown format"):
        ingest("text", "docx")


def test_indented_paragraphs_without_blank_lines() -> None:
    text = (
        "The first paragraph runs over\n"
        "two lines and ends here.\n"
        "    The second one starts with an\n"
        "indent, as typed pages do.\n"
        "And this line goes on with it.\n"
    )
    result = ingest(text, "ocr")
    assert [result.text[b.start : b.end] for b in result.blocks] == [
        "The first paragraph runs over two lines and ends here.",
        "The second one starts with an indent, as typed pages do. And this line goes on with it.",
    ]


def test_soft_hyphen_and_not_sign_always_rejoin() -> None:
    text = "A well-known inter¬\nnational agree\u00ad\nment was signed, sof\u00adtly.\n"
    result = ingest(text, "ocr")
    assert result.text == "A well-known international agreement was signed, softly."
    assert [j.kind for j in result.joins] == ["hyphen", "hyphen"]


def test_text_is_nfc() -> None:
    result = ingest("Cafe\u0301 society.\n", "plain")
    assert result.text == "Café society."


def test_ocr_suspects_follow_the_language() -> None:
    text = "The modem world was a finn place for all of us.\n"
    english = ingest(text, "ocr")
    assert {s.text: s.suggestions for s in english.suspects} == {
        "modem": ["modern"],
        "finn": ["firm"],
    }
    assert ingest(text, "ocr", Options(language="xx")).suspects == []
