"""Ingestion stays linear in its input on pathological sources (security probe H1).

The old parsers rescanned the rest of a line from every start position (Markdown inline
regexes, footnote-number look-behinds, page-number lines with long runs of spaces) or looked
up every cut of an arbitrarily long word, so one preview of a few hundred KB held the GIL
for minutes. Each case here ingests the same shape at n and 4n characters (4n is at least
100 KB, or 64 KB for format detection, which reads no more) and compares CPU times measured
in the same test: linear work takes about 4 times as long, quadratic work 16 times; the
bound of 8 leaves room for noise without letting a quadratic path through. No wall-clock
threshold: only the ratio is asserted. The smaller input is timed 3 times and the larger
one again only if the first run looks too slow (best of each), which keeps the file fast;
tests/bench/test_ingest_pathological.py runs more shapes up to 1 MB.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from annotate.ingest import SNIFF_CHARS, Ingested, consistency_problems, ingest
from tests.annotate.ingest.shapes import cpu_time, lines, nested, repeat

RATIO = 8


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[int], str]
    format: str
    size: int = 25_000  # n; the larger run is 4n

    @property
    def id(self) -> str:
        return f"{self.name}-{self.format}"


CASES = [
    # Markdown inline markup: the probe's shapes, then unclosed brackets, comments and tags.
    Case("star-a", repeat("*a "), "markdown"),
    Case("underscore-a", repeat("_a "), "markdown"),
    Case("tildes-a", repeat("~~a "), "markdown"),
    Case("link-open", repeat("[a]("), "markdown"),
    Case("nested-brackets", nested("[", "a", "]"), "markdown"),
    Case("footnote-open", repeat("[^a"), "markdown"),
    Case("html-open", repeat("<a "), "markdown"),
    Case("comments-open", lambda n: "x " + "<!-- " * (n // 5), "markdown"),
    Case("code-and-escapes", repeat("`a ``b \\* &amp; "), "markdown"),
    Case("emphasis-lines", repeat("*a\n"), "markdown"),
    Case("heading-spaces", lambda n: "# a" + " " * n + "b", "markdown", 100_000),
    Case("deep-list", lambda n: "- " * (n // 2) + "x", "markdown"),
    # Format detection reads at most SNIFF_CHARS (64,000), so it can only grow below that.
    Case("blank-lines", repeat("\n"), "auto", SNIFF_CHARS // 4),
    Case("link-open", repeat("[a]("), "auto", SNIFF_CHARS // 4),
    Case("footnote-open", repeat("[^a"), "auto", SNIFF_CHARS // 4),
    # OCR: long words (suspects), footnote candidates, quotes, page-number lines.
    Case("one-word", repeat("a"), "ocr", 100_000),
    Case("one-word-of-i", repeat("i"), "ocr", 100_000),
    Case("soft-hyphens", repeat("a\u00ad"), "ocr", 100_000),
    Case("a-dot-1", repeat("a.1 "), "ocr"),
    Case("dotted-number", repeat("1."), "ocr"),
    Case("quote-noise", repeat("a1' "), "ocr"),
    Case("number-then-spaces", lambda n: "12" + " " * n + "x", "ocr", 100_000),
    Case("spaces-then-word", lambda n: " " * n + "x", "ocr", 100_000),
    Case("hyphenated-lines", lines(lambda i: "The exam- ple of a long broken compo-"), "ocr"),
    Case("page-numbers", lines(lambda i: str(i // 2 + 1) if i % 2 else "Text."), "ocr"),
    Case("short-lines", repeat("a\n"), "plain"),
]


def _timed(text: str, fmt: str, rounds: int) -> tuple[float, Ingested | None]:
    """The best CPU time of a few runs, and the result (None when nothing is left to read)."""
    best = float("inf")
    result: Ingested | None = None
    for _ in range(rounds):
        elapsed, result = cpu_time(text, fmt)
        best = min(best, elapsed)
    return best, result


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    ingest("Word lists load once per process.", "ocr")


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_ingestion_grows_linearly(case: Case) -> None:
    small_text, big_text = case.make(case.size), case.make(4 * case.size)
    assert len(big_text) >= (SNIFF_CHARS if case.format == "auto" else 100_000)
    small, _ = _timed(small_text, case.format, rounds=3)
    big, result = _timed(big_text, case.format, rounds=1)
    if big >= RATIO * small:  # one run may meet a busy moment: best of two before judging
        big = min(big, _timed(big_text, case.format, rounds=1)[0])
    assert big < RATIO * small, (
        f"{case.id}: {len(small_text):,} chars in {small:.4f} s, "
        f"{len(big_text):,} chars in {big:.4f} s (ratio {big / small:.1f})"
    )
    if result is not None:
        assert consistency_problems(result) == []


def test_unclosed_markdown_stays_as_written() -> None:
    """The probe's inputs hold no markup that closes: a reader sees them as they are."""
    for unit in ("*a ", "_a ", "~~a ", "[a]("):
        assert ingest(unit * 2_000, "markdown").text == (unit * 2_000).strip()
    brackets = "[" * 2_000 + "a" + "]" * 2_000
    assert ingest(brackets, "markdown").text == brackets


def test_one_long_ocr_word_is_one_unknown_word() -> None:
    result = ingest("a" * 10_000, "ocr")
    assert [(s.start, s.end, s.suggestions) for s in result.suspects] == [(0, 10_000, [])]
