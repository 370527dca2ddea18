"""What the linear rewrites of ingestion keep: the readings the old rules gave ordinary texts.

Markdown inline markup is read by markdown-it (CommonMark) instead of regexes; block rules,
format detection, OCR footnote and page-number rules and the suspect checks were rewritten
so that none rescans from each start position. These tests pin down the contract where the
rewrite had to take care: marks and line breaks inside markup that vanishes, footnote marks
next to emphasis, headings, comments, numbers and long words.
"""

from __future__ import annotations

from annotate.ingest import consistency_problems, detect_format, ingest
from annotate.ingest.markdown import reduce_inline
from annotate.ingest.suspects import MAX_WORD, suggestions_for, variants


def test_emphasis_closes_before_a_footnote_reference() -> None:
    result = ingest("As argued in *Ibid.*[^3] and _so_.[^4]\n\n[^3]: A.\n[^4]: B.\n", "markdown")
    assert result.text == "As argued in Ibid. and so."
    refs = [(r.label, result.text[: r.offset]) for r in result.footnote_refs]
    assert refs == [("3", "As argued in Ibid."), ("4", "As argued in Ibid. and so.")]


def test_line_breaks_inside_vanishing_markup_keep_their_lines() -> None:
    source = (
        'Text <span\nclass="x">inside</span> and [a link](https://example.org\n"a title") end.\n'
    )
    result = ingest(source, "markdown")
    assert result.text == "Text inside and a link end."
    assert [(m.line, m.start) for m in result.line_map] == [(1, 0), (2, 5), (3, 22)]
    assert [(j.line, j.offset) for j in result.joins] == [(1, 5), (2, 22)]
    assert consistency_problems(result) == []


def test_code_span_across_lines() -> None:
    result = ingest("Code `a *b*\nc` here.\n", "markdown")
    assert result.text == "Code a *b* c here."
    assert result.text[result.line_map[1].start :] == "c here."


def test_links_images_and_autolinks_become_what_a_reader_sees() -> None:
    assert reduce_inline("[![Build status][badge]][ci] and ![alt *text*](x.png)") == (
        "Build status and alt text"
    )
    assert reduce_inline("[text][] [ref][1] [sic] [a](<b c> 'title')") == "text ref [sic] a"
    # An e-mail autolink is an address; angle brackets that are no HTML tag stay.
    assert reduce_inline("<rosa@example.org> <any user's token>") == (
        "rosa@example.org <any user's token>"
    )


def test_no_character_of_the_source_can_forge_a_mark() -> None:
    result = ingest(
        "a &#x2bd2; \u2bd2 \uffff [^1] b &copy; &copy 2020\n\n[^1]: Note.\n", "markdown"
    )
    assert result.text == "a \u2bd2 \u2bd2 \ufffd b © © 2020"
    assert [(r.label, r.offset) for r in result.footnote_refs] == [("1", 8)]


def test_atx_headings_and_their_closing_hashes() -> None:
    def first_block(line: str) -> tuple[str, int, str]:
        result = ingest(f"{line}\n\nText.\n", "markdown")
        block = result.blocks[0]
        return block.kind, block.level, result.text[block.start : block.end]

    assert first_block("# Title ##") == ("heading", 1, "Title")
    assert first_block("## A #b") == ("heading", 2, "A #b")
    assert first_block("### C ###   ") == ("heading", 3, "C")
    assert first_block("#\tTabbed #") == ("heading", 1, "Tabbed")
    assert first_block("####### seven") == ("paragraph", 0, "####### seven")
    assert first_block("#nospace") == ("paragraph", 0, "#nospace")


def test_a_comment_left_open_at_a_line_end_hides_the_lines_up_to_its_end() -> None:
    assert ingest("<!-- a --> <!-- b\nstill hidden\n-->\nText\n", "markdown").text == "Text"
    assert ingest("<!-- a -->\nText\n", "markdown").text == "Text"


def test_footnote_labels_hold_no_bracket() -> None:
    result = ingest("Word[^a[^1] here.\n\n[^1]: Note.\n", "markdown")
    assert [r.label for r in result.footnote_refs] == ["1"]


def test_digits_after_a_separator_continue_a_number() -> None:
    result = ingest("Some 123456.7 and 1,500 and 10:30, then Moscow,2 said it.\n", "ocr")
    assert "123456.7 and 1,500 and 10:30" in result.text
    assert [r.label for r in result.footnote_refs] == ["2"]


def test_page_number_lines_with_spaces_around_still_mark_a_scan() -> None:
    text = "Some text of a scan \nthat runs on here \n  12  \nMore text here \n\n  - 13 -  \nEnd \n"
    assert detect_format(text) == "ocr"


def test_words_longer_than_any_in_the_lists_are_unknown_without_lookups() -> None:
    long_word = "rn" * MAX_WORD
    assert variants(long_word) == ()
    assert suggestions_for(long_word) == ()  # suspect: unknown, with nothing to suggest
    assert suggestions_for(long_word.capitalize()) is None  # a name, as before
    assert "modern" in variants("rnodern")
