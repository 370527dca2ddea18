"""Pathological inputs for ingestion and how their reading is timed: shared by the linearity
tests (tests/annotate/ingest/test_pathological.py) and the benchmark
(tests/bench/test_ingest_pathological.py)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

import wordfreq

from annotate.ingest import Ingested, IngestError, ingest
from annotate.ingest import suspects as suspects_module


def repeat(unit: str) -> Callable[[int], str]:
    return lambda n: unit * -(-n // len(unit))


def nested(opening: str, middle: str, closing: str) -> Callable[[int], str]:
    return lambda n: (
        opening * (n // 2 // len(opening)) + middle + closing * (n // 2 // len(closing))
    )


def lines(make_line: Callable[[int], str]) -> Callable[[int], str]:
    def make(n: int) -> str:
        out: list[str] = []
        size = 0
        while size < n:
            out.append(make_line(len(out)))
            size += len(out[-1]) + 1
        return "\n".join(out) + "\n"

    return make


def cpu_time(text: str, fmt: str) -> tuple[float, Ingested | None]:
    """CPU seconds to read `text` from a cold start (word-frequency caches emptied, no garbage
    collection meanwhile, whose pauses grow with the whole process), and the result (None when
    nothing is left to read)."""
    for cached in (
        suspects_module.zipf,
        suspects_module.variants,
        suspects_module.ranked_variants,
        suspects_module.suggestions_for,
    ):
        cached.cache_clear()
    getattr(wordfreq, "_wf_cache", {}).clear()  # wordfreq's own memo of word_frequency()
    gc.collect()
    gc.disable()
    result: Ingested | None = None
    start = time.process_time()
    try:
        result = ingest(text, fmt)
    except IngestError as error:
        assert error.code == "empty"
    finally:
        elapsed = time.process_time() - start
        gc.enable()
    return elapsed, result
