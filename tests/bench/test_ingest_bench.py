"""How long ingestion takes: the OCR sample, and a ~1 MB OCR text built from its pages.

Runs only with `make bench` (tests/bench is outside `make test`).
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from annotate.ingest import consistency_problems, ingest

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "annotate/samples/hungarian-revolution-1956-superpowers.ocr.txt"
)
TARGET_CHARS = 1_000_000
# A footnote mark as the sample prints it: glued to a word or punctuation, then a space.
MARK = re.compile(r"(?<=[A-Za-z.,\"])\d{1,3}(?= |$)", re.M)


def sample_pages(text: str) -> list[str]:
    """The sample's printed pages: each begins with a line starting with a space."""
    starts = [m.start() for m in re.finditer(r"^ (?=\S)", text, re.M)]
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


def big_text(text: str) -> str:
    """Copies of the sample's pages, each copy rotated, footnotes renumbered in sequence."""
    pages = sample_pages(text.rstrip() + "\n")
    copies: list[str] = []
    size = 0
    copy = 0
    while size < TARGET_CHARS:
        turn = copy % len(pages)
        chunk = "".join(pages[turn:] + pages[:turn])
        copies.append(chunk)
        size += len(chunk)
        copy += 1
    counter = iter(range(2, 1_000))
    return MARK.sub(lambda _: str(next(counter)), "".join(copies))


def medians(runs: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Median time of each run, the runs interleaved so both meet the same machine load."""
    durations: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            durations[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in durations.items()}


def test_ingest_is_fast_and_linear() -> None:
    sample = SAMPLE.read_text(encoding="utf-8")
    assert len(MARK.findall(sample)) == 24
    big = big_text(sample)
    result = ingest(big)  # also loads the word lists once
    small = medians({"sample": lambda: ingest(sample)}, 5)["sample"]
    timed = medians(
        {"sample": lambda: [ingest(sample) for _ in range(3)], "big": lambda: ingest(big)}, 7
    )
    small, big_time = min(small, timed["sample"] / 3), timed["big"]
    ratio = big_time / small
    print(
        f"\ningest: sample {len(sample):,} chars in {small * 1000:.1f} ms; "
        f"{len(big):,} chars in {big_time * 1000:.0f} ms; "
        f"time ratio {ratio:.1f} for a size ratio of {len(big) / len(sample):.1f}"
    )
    assert consistency_problems(result) == []
    labels = [ref.label for ref in result.footnote_refs]
    assert labels == [str(n) for n in range(2, 2 + len(labels))]
    assert len(labels) == len(MARK.findall(big))
    assert big_time < 3.0
    assert ratio < 40
