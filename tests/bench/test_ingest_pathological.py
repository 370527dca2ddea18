"""How long ingestion takes on pathological sources (security probe H1), at 10 KB to 1 MB.

Runs only with `make bench` (tests/bench is outside `make test`). Every shape goes through
`ingest()` at 10 KB, 100 KB and 1 MB in each format it stresses; the table printed at the
end gives the CPU seconds and seconds per MB. Linear work takes 10 times as long for 10
times the input: each shape must stay below 20 between 100 KB and 1 MB (the old quadratic
paths were at 100). Word-frequency caches are cleared before each run and the cyclic
collector paused, so every run starts alike and the collector's pauses (which depend on
the whole test process) do not blur the growth.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import pytest

from annotate.ingest import consistency_problems, ingest
from tests.annotate.ingest.shapes import cpu_time, lines, nested, repeat

SIZES = (10_000, 100_000, 1_000_000)
MAX_RATIO = 20


def random_words(n: int) -> str:
    """Distinct unknown words: every one costs its own word-list lookups."""
    rng = random.Random(7)
    words: list[str] = []
    size = 0
    while size < n:
        words.append(
            "".join(rng.choice("etaoinshrdlucmfwypvbgk") for _ in range(rng.randint(3, 12)))
        )
        size += len(words[-1]) + 1
    return " ".join(words)


# name: (make, formats)
SHAPES: dict[str, tuple[Callable[[int], str], tuple[str, ...]]] = {
    # The probe's inputs.
    '"*a " repeated': (repeat("*a "), ("markdown", "auto")),
    '"_a " repeated': (repeat("_a "), ("markdown",)),
    '"~~a " repeated': (repeat("~~a "), ("markdown",)),
    '"[a](" repeated': (repeat("[a]("), ("markdown", "auto")),
    '"[" * n, "a", "]" * n': (nested("[", "a", "]"), ("markdown", "auto")),
    "one word a…a": (repeat("a"), ("ocr", "auto")),
    '"a.1 " repeated': (repeat("a.1 "), ("ocr",)),
    # Markdown inline markup left open.
    '"![" repeated': (repeat("!["), ("markdown",)),
    '"![a][" repeated': (repeat("![a]["), ("markdown",)),
    "nested images": (nested("![", "a", "](x)"), ("markdown",)),
    '"[^a" repeated': (repeat("[^a"), ("markdown", "auto")),
    '"a[^1] " repeated': (repeat("a[^1] "), ("markdown",)),
    '"<a " repeated': (repeat("<a "), ("markdown",)),
    '"<!-- " on one line': (lambda n: "x " + "<!-- " * (n // 5), ("markdown",)),
    '"<!--" then text': (lambda n: "<!--" + "a " * (n // 2), ("markdown",)),
    "backtick runs": (
        lambda n: "".join("`" * (i % 7 + 1) + "a" for i in range(n // 5)),
        ("markdown",),
    ),
    '"\\*" repeated': (repeat("\\*"), ("markdown",)),
    '"&amp;" repeated': (repeat("&amp;"), ("markdown",)),
    "mixed open markup": (repeat("*_~`[<"), ("markdown",)),
    '"*a\\n" lines': (repeat("*a\n"), ("markdown",)),
    '"# a", spaces, "b"': (lambda n: "# a" + " " * n + "b", ("markdown", "auto")),
    '"- " * n + "x"': (lambda n: "- " * (n // 2) + "x", ("markdown", "plain")),
    '"> " * n + "x"': (lambda n: "> " * (n // 2) + "x", ("markdown",)),
    # Long words and lines, digits, OCR layout.
    "one word i…i": (repeat("i"), ("ocr",)),
    'one word "a\\u00ad"…': (repeat("a\u00ad"), ("ocr",)),
    "digits": (repeat("1"), ("ocr", "auto")),
    '"1." repeated': (repeat("1."), ("ocr",)),
    """"a1' " repeated""": (repeat("a1' "), ("ocr",)),
    '"12", spaces, "x"': (lambda n: "12" + " " * n + "x", ("ocr", "auto")),
    'spaces, "x"': (lambda n: " " * n + "x", ("ocr", "auto")),
    "blank lines": (repeat("\n"), ("auto",)),
    "hyphenated line ends": (
        lines(lambda i: "The exam- ple of a long broken compo-"),
        ("ocr", "auto"),
    ),
    "page-number lines": (lines(lambda i: str(i % 9999 + 1)), ("ocr", "auto")),
    "page numbers and text": (
        lines(lambda i: str(i // 2 + 1) if i % 2 else "Some text on the page."),
        ("ocr",),
    ),
    "form feeds": (repeat("a\f"), ("ocr", "auto")),
    "random words": (random_words, ("ocr",)),
    "short lines": (repeat("a\n"), ("plain", "markdown", "ocr")),
}

CASES = [(name, fmt) for name, (_, formats) in SHAPES.items() for fmt in formats]
ROWS: list[tuple[str, str, int, float]] = []


def _timed(text: str, fmt: str) -> float:
    elapsed, result = cpu_time(text, fmt)
    if result is not None:
        assert consistency_problems(result) == []
    return elapsed


@pytest.fixture(scope="module", autouse=True)
def table() -> Iterator[None]:
    ingest("Word lists load once per process.", "ocr")
    yield
    print(f"\n{'input':30} {'format':9} {'size':>10} {'seconds':>9} {'s per MB':>9}")
    for name, fmt, size, seconds in ROWS:
        print(f"{name:30} {fmt:9} {size:>10,} {seconds:9.3f} {seconds / size * 1e6:9.2f}")


@pytest.mark.parametrize(("name", "fmt"), CASES, ids=[f"{n}-{f}" for n, f in CASES])
def test_ingest_pathological_is_linear(name: str, fmt: str) -> None:
    make = SHAPES[name][0]
    seconds = {}
    for size in SIZES:
        text = make(size)
        seconds[size] = _timed(text, fmt)
        ROWS.append((name, fmt, len(text), seconds[size]))
    # Under 10 ms, page faults for the large strings outweigh the parsing: judge from 10 ms.
    ratio = seconds[1_000_000] / max(seconds[100_000], 0.01)
    assert ratio < MAX_RATIO, f"{name} ({fmt}): 1 MB / 100 KB time ratio {ratio:.1f}"
