"""The OCR sample (Hungarian Revolution 1956) imports as the printed article reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from annotate.ingest import Ingested, Options, consistency_problems, decode, ingest
from annotate.ingest.suspects import find_suspects

SAMPLE = (
    Path(__file__).resolve().parents[3]
    / "annotate/samples/hungarian-revolution-1956-superpowers.ocr.txt"
)

HEADING_1 = (
    "I. The Hungarian Revolution of 1956 and the Superpowers: "
    "Improvisations and Decisions of Historical Importance"
)
HEADING_2 = "II. The International Aftermath of the Revolution"

# What the text reads just before each footnote mark.
FOOTNOTES = {
    "2": "political interests.",
    "3": "28 October.",
    "4": "military allies.”",
    "5": "the same time.",
    "6": "send troops.”",
    "7": "the Cold War",
    "8": "that they failed.",
    "9": "Malin notes,",
    "10": "“conservatives,”",
    "11": "latter theory,",
    "12": "arrived in Moscow",
    "13": "the other hand.",
    "14": "liberal alternative,”",
    "15": "a long time.”",
    "16": "an intervention.",
    "17": "the new government.",
    "18": "Yugoslav authorities.",
    "19": "international politics.",
    "20": "“compelled coexistence.”",
    "21": "drawing much attention.",
    "22": "promising partner.",
    "23": "later in 1960-1962,",
    "24": "human lives.",
    "25": "obviously exhausted.",
}


@pytest.fixture(scope="module")
def result() -> Ingested:
    return ingest(decode(SAMPLE.read_bytes()))


def block_texts(result: Ingested) -> list[str]:
    return [result.text[b.start : b.end] for b in result.blocks]


def test_is_detected_as_ocr_and_consistent(result: Ingested) -> None:
    assert result.format == "ocr"
    assert consistency_problems(result) == []


@pytest.mark.parametrize(
    "expected",
    [
        "was determined by",  # hyphen-less break, no trailing space
        "the world’s largest military power",  # "larg-" ends a page, " est" begins the next
        "in the East-West relationship",  # a compound broken after its hyphen
        "national-Communism",  # hyphenless break inside a hyphenated word
        "It is well-known that Tito",
        "unlike Poland – after a certain point",  # spaced dash at a line end
        "bloc normal – i.e., the same recognition",
        "reinterpretation of Soviet policy",  # "reinter-" / "pretation"
        "of self-restraint contributed",
        "the subsequent “defeatist” US policy",  # "defeatist1'" was a misread closing quote
        "Hungary’s later role",
        "public opinion in Hungaiy regarded it",  # misreadings stay as printed
        "a cautious but finn tendency",
        "What makes it ail plausible",
        "another 10-15 days",  # ranges untouched
        "between 1953 and 1981, 23 October 1956",
        "Cold War – the uncomfortable",
    ],
)
def test_reads_as_printed(result: Ingested, expected: str) -> None:
    assert expected in result.text


def test_no_straight_quotes_or_spaced_hyphens_remain(result: Ingested) -> None:
    assert '"' not in result.text
    assert "'" not in result.text
    assert " - " not in result.text


def test_no_word_keeps_a_glued_number(result: Ingested) -> None:
    assert re.search(r"[^\W\d_]\d|[.,;:!?”’)]\d", result.text) is None
    assert not re.search(r"defeatist\W?\d", result.text)


def test_no_newline_inside_blocks(result: Ingested) -> None:
    assert all("\n" not in text for text in block_texts(result))
    assert result.text.count("\n\n") == len(result.blocks) - 1


def test_headings(result: Ingested) -> None:
    headings = [
        (b.level, result.text[b.start : b.end]) for b in result.blocks if b.kind == "heading"
    ]
    assert headings == [(1, HEADING_1), (1, HEADING_2)]
    assert all(b.number is None for b in result.blocks if b.kind == "heading")


def test_paragraphs_are_numbered_in_order(result: Ingested) -> None:
    paragraphs = [b for b in result.blocks if b.kind == "paragraph"]
    assert [b.number for b in paragraphs] == list(range(1, 22))
    texts = [result.text[b.start : b.end] for b in paragraphs]
    assert texts[0].startswith("The fate of East-Central Europe")
    assert texts[0].endswith("of the existing status quo.")
    assert texts[1].startswith("In this paper I intend")
    assert texts[-1].endswith("for decades after 1956.")


def test_page_top_after_a_short_last_line_starts_a_paragraph(result: Ingested) -> None:
    texts = block_texts(result)
    ends = [t for t in texts if t.endswith("“compelled coexistence.”")]
    assert len(ends) == 1
    assert texts[texts.index(ends[0]) + 1].startswith("The revolution influenced in a peculiar way")


def test_page_top_mid_sentence_continues_the_paragraph(result: Ingested) -> None:
    assert "a distinguished member of the leadership, Mikoyan" in result.text
    assert "and this in turn posed a genuine threat" in result.text


def test_pages(result: Ingested) -> None:
    assert [p.label for p in result.pages] == [str(n) for n in range(1, 12)]
    assert result.pages[0].start == 0
    starts = [result.text[p.start : p.start + 30] for p in result.pages]
    assert starts[1].startswith(HEADING_1[:30])
    assert starts[2].startswith("est military power")  # mid-word, where the page began
    assert starts[8].startswith(HEADING_2[:30])
    assert starts[9].startswith("The revolution influenced")
    block_starts = {b.start: b for b in result.blocks}
    assert block_starts[result.pages[9].start].page == "10"


def test_first_page_option_numbers_the_pages() -> None:
    result = ingest(decode(SAMPLE.read_bytes()), "ocr", Options(first_page=213))
    assert [p.label for p in result.pages] == [str(n) for n in range(213, 224)]
    assert result.blocks[0].page == "213"
    assert result.pages[0].start == 0


def test_footnote_refs_in_sequence_after_the_right_words(result: Ingested) -> None:
    labels = [ref.label for ref in result.footnote_refs]
    assert labels == [str(n) for n in range(2, 26)]
    for ref in result.footnote_refs:
        before = result.text[max(0, ref.offset - 40) : ref.offset]
        assert before.endswith(FOOTNOTES[ref.label]), (ref.label, before)


def test_footnote_ref_for_october(result: Ingested) -> None:
    ref = next(r for r in result.footnote_refs if r.label == "3")
    assert result.text[ref.offset - 8 : ref.offset] == "October."


def test_noise_is_reported(result: Ingested) -> None:
    assert any("defeatist" in warning for warning in result.warnings)


def test_suspects(result: Ingested) -> None:
    found = {(s.text, tuple(s.suggestions)) for s in result.suspects}
    assert found == {("Hungaiy", ("Hungary",)), ("finn", ("firm",)), ("ail", ("all",))}
    assert [s.text for s in result.suspects].count("Hungaiy") == 2
    for suspect in result.suspects:
        assert result.text[suspect.start : suspect.end] == suspect.text


def test_joins_record_each_line_break_decision(result: Ingested) -> None:
    kinds = {join.line: join.kind for join in result.joins}
    assert kinds[1] == "hyphenless"  # deter / mined
    assert kinds[5] == "compound"  # East- / West
    assert kinds[28] == "hyphen"  # larg- / est
    assert kinds[153] == "dash"  # Poland - / after
    assert kinds[162] == "hyphen"  # reinter- / pretation
    assert kinds[215] == "hyphenless"  # national-Commu / nism
    assert kinds[2] == "space"
    assert sorted({j.kind for j in result.joins}) == [
        "compound",
        "dash",
        "hyphen",
        "hyphenless",
        "space",
    ]
    join = next(j for j in result.joins if j.line == 1)
    assert result.text[join.offset - 5 : join.offset + 5] == "determined"


def test_line_map_points_at_each_line(result: Ingested) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    mapped = {entry.line: entry.start for entry in result.line_map}
    assert len(mapped) == sum(1 for line in lines if line.strip())
    assert mapped[1] == 0
    assert result.text[mapped[2] : mapped[2] + 5] == "mined"  # after "deter"
    assert result.text[mapped[29] : mapped[29] + 3] == "est"
    assert mapped[29] == result.pages[2].start
    assert result.text[mapped[18] : mapped[18] + 12] == "In this pape"
    assert [e.line for e in result.line_map] == sorted(mapped)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rnodern", ["modern"]),  # unknown lowercase word
        ("modem", ["modern"]),  # a rare word next to a much more common one
        ("lie", None),  # a common word is never suspect ("he" is not what was meant)
        ("wi1l", ["will"]),  # digits for letters
        ("Hungaiy", ["Hungary"]),  # a capitalised unknown word with a common variant
        ("elbowroom", None),  # two common words written as one
        ("Shepilov", None),  # names stay unflagged
        ("NATO", None),  # and acronyms
        ("1950s", None),
    ],
)
def test_suspect_rules(text: str, expected: list[str] | None) -> None:
    found = find_suspects(f"And {text} here.")
    assert (found[0].suggestions if found else None) == expected
