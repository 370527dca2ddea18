"""Anchoring benchmarks (`make bench`): re-anchoring after a correction, and an import.

1. Re-anchoring 5,000 overlapping annotations on the sample article after 40 word fixes and
   a 2,000-character insertion, against the naive way (diff-match-patch's fuzzy `match_main`
   for each annotation near its old offset), checked against the true positions.
2. Anchoring 500 quotes without positions in a 60 KB text, some with OCR typos, some from
   nowhere in the text, against a matcher in the style of Hypothesis's client.
"""

from __future__ import annotations

import gc
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from diff_match_patch import diff_match_patch
from rapidfuzz.distance import Levenshtein

from annotate.anchoring import Anchor, Quote, anchor_many, quote_at, reanchor
from tests.annotate.test_anchoring import (
    ARTICLE,
    WORDS,
    apply_edits,
    judge,
    long_insertion,
    random_targets,
    word_fixes,
)

DMP_SAMPLE = 500


def best_time(run: Callable[[], object], repeat: int = 3) -> float:
    """The fastest of a few runs, without the garbage collector (as timeit): the machine is
    shared, and the slower runs measure its other work."""
    times = []
    gc.disable()
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
    finally:
        gc.enable()
    return min(times)


# --- 1. Re-anchoring ----------------------------------------------------------------------


def test_reanchoring_after_a_correction() -> None:
    rng = random.Random(1956)
    targets = random_targets(ARTICLE, 5000, rng)
    edits = word_fixes(ARTICLE, 40, rng)
    edits.append(long_insertion(ARTICLE, edits, 2000, rng))
    new, moved = apply_edits(ARTICLE, edits)

    anchors = reanchor(ARTICLE, new, edits, targets)
    ours = best_time(lambda: reanchor(ARTICLE, new, edits, targets), repeat=9)
    verdict = judge(new, moved, targets, anchors)

    dmp = diff_match_patch()
    sample = rng.sample(targets, DMP_SAMPLE)
    naive: list[int] = []

    def naive_run() -> None:
        naive[:] = [
            dmp.match_main(new, t.quote.exact[: dmp.Match_MaxBits], t.start) for t in sample
        ]

    naive_time = best_time(naive_run) * len(targets) / len(sample)
    naive_wrong = sum(
        1
        for t, at in zip(sample, naive, strict=True)
        if at != -1 and new[at : at + len(t.quote.exact)] != t.quote.exact
    )

    print(
        f"\n[re-anchoring] sample article, {len(ARTICLE):,} characters; {len(targets):,} "
        f"overlapping annotations of 3–200 characters; 40 word fixes + 2,000 characters "
        f"inserted\n"
        f"  reanchor (edits + bisect, fuzzy only where words were edited): "
        f"{ours * 1000:8.1f} ms  ({ours / len(targets) * 1e6:.1f} µs an annotation, best of 9)\n"
        f"  diff-match-patch match_main per quote (first 32 characters, near the old offset): "
        f"{naive_time * 1000:8.0f} ms  (best of 3 on {DMP_SAMPLE} random annotations, "
        f"extrapolated linearly to {len(targets):,})\n"
        f"  ratio: {naive_time / ours:,.0f}× faster\n"
        f"  statuses: {dict(sorted(verdict.counts.items()))}\n"
        f"  on wrong words (checked against the true positions): {len(verdict.wrong)}; "
        f"diff-match-patch, extended to the quote's length: {naive_wrong} of {DMP_SAMPLE} "
        f"spans whose text is not the quote"
    )
    assert verdict.wrong == []
    assert naive_time / ours >= 100


# --- 2. An import: quotes without positions -------------------------------------------------


def hypothesis_style_match(text: str, quote: Quote) -> tuple[int, int] | None:
    """Hypothesis's client (match-quote.ts) in Python: simple, correct, slow.

    Exact occurrences if any; else every match with at most len/2 errors (a Myers
    bit-parallel scan of the whole text, the start found by trying each one). Each is scored
    quote 50, prefix 20, suffix 20 (context scored by similarity), and the best is returned.
    """
    exact = quote.exact
    m = len(exact)
    if not m:
        return None
    matches = [(at, at + m, 0) for at in _find_overlapping(text, exact)]
    if not matches:
        matches = _approximate_matches(text, exact, m // 2)

    def score(match: tuple[int, int, int]) -> float:
        start, end, errors = match
        before = text[max(0, start - len(quote.prefix)) : start]
        after = text[end : end + len(quote.suffix)]
        prefix = Levenshtein.normalized_similarity(before, quote.prefix) if quote.prefix else 1
        suffix = Levenshtein.normalized_similarity(after, quote.suffix) if quote.suffix else 1
        return 50 * (1 - errors / m) + 20 * prefix + 20 * suffix

    if not matches:
        return None
    start, end, _ = max(matches, key=score)
    return start, end


def _approximate_matches(text: str, pattern: str, max_errors: int) -> list[tuple[int, int, int]]:
    m = len(pattern)
    masks: dict[str, int] = {}
    for i, char in enumerate(pattern):
        masks[char] = masks.get(char, 0) | 1 << i
    full, top = (1 << m) - 1, 1 << (m - 1)
    pv, mv, score = full, 0, m
    ends = []
    for j, char in enumerate(text):
        eq = masks.get(char, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & full)
        mh = pv & xh
        score += 1 if ph & top else -1 if mh & top else 0
        ph, mh = (ph << 1) & full, (mh << 1) & full
        pv, mv = mh | (~(xv | ph) & full), ph & xv
        if score <= max_errors:
            ends.append((j + 1, score))
    matches = []
    for end, errors in ends:  # the start: the best-scoring one, trying each possible start
        starts = range(max(0, end - m - errors), end - max(1, m - errors) + 1)
        start = min(starts, key=lambda s: (Levenshtein.distance(pattern, text[s:end]), -s))
        matches.append((start, end, errors))
    return matches


OCR_CONFUSIONS = (
    ("rn", "m"),
    ("m", "rn"),
    ("l", "1"),
    ("e", "c"),
    ("i", "l"),
    ("o", "0"),
    ("h", "b"),
    ("cl", "d"),
    ("y", "v"),
    ("a", "o"),
)


def ocr_typos(text: str, count: int, rng: random.Random) -> str:
    """`count` OCR-style misreadings (rn→m, l→1, e→c, ...) at random places."""
    for _ in range(count):
        candidates = [(i, a, b) for a, b in OCR_CONFUSIONS for i in _find(text, a)]
        if not candidates:
            break
        at, a, b = rng.choice(candidates)
        text = text[:at] + b + text[at + len(a) :]
    return text


def _find_overlapping(text: str, needle: str) -> list[int]:
    found, at = [], text.find(needle)
    while at != -1:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


def _find(text: str, needle: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(needle), text)]


@dataclass
class Case:
    quote: Quote
    places: list[tuple[int, int]]  # where it truly belongs (several when the text repeats)
    slack: int  # how far the edges may move: the edits the typos made
    kind: str  # "clean", "typos" or "absent"


def import_cases(text: str, rng: random.Random) -> list[Case]:
    """500 quotes: 70% clean, 26% with OCR typos (1 per 12–20 characters, in quotes of 8
    characters or more, context included), 4% of shuffled words found nowhere in the text."""
    cases = []
    for number in range(500):
        if number % 25 == 0:
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 20)))
            shuffled = " ".join(rng.sample(words.split(), len(words.split())))
            cases.append(Case(Quote(shuffled, "", ""), [], 0, "absent"))
            continue
        length = rng.randint(3, 200)
        start = rng.randrange(len(text) - length)
        quote = quote_at(text, start, start + length)
        whole = quote.prefix + quote.exact + quote.suffix
        places = [
            (at + len(quote.prefix), at + len(quote.prefix) + length)
            for at in _find_overlapping(text, whole)
        ]
        kind = "typos" if length >= 8 and rng.random() < 0.28 else "clean"
        if kind == "typos":
            exact = ocr_typos(quote.exact, max(1, length // rng.randint(12, 20)), rng)
            prefix, suffix = ocr_typos(quote.prefix, 1, rng), ocr_typos(quote.suffix, 1, rng)
            slack = Levenshtein.distance(exact, quote.exact)
            quote = Quote(exact, prefix, suffix)
        else:
            slack = 0
        cases.append(Case(quote, places, slack, kind))
    return cases


def import_text(rng: random.Random) -> str:
    """About 60 KB: the article, then the article again with one word in eight changed."""
    words = ARTICLE.split(" ")
    varied = [rng.choice(WORDS) if rng.random() < 1 / 8 else word for word in words]
    return ARTICLE + " " + " ".join(varied)


def short_typo_cases(text: str, count: int, rng: random.Random) -> list[Case]:
    """Quotes of 3–30 characters with one OCR misreading each, context too: they probe the
    threshold, since "rn" read as "m" in a five-letter quote is already 40% different."""
    cases: list[Case] = []
    while len(cases) < count:
        length = rng.randint(3, 30)
        start = rng.randrange(len(text) - length)
        quote = quote_at(text, start, start + length)
        exact = ocr_typos(quote.exact, 1, rng)
        if exact == quote.exact:
            continue
        whole = quote.prefix + quote.exact + quote.suffix
        places = [
            (at + len(quote.prefix), at + len(quote.prefix) + length)
            for at in _find_overlapping(text, whole)
        ]
        typo = Quote(exact, ocr_typos(quote.prefix, 1, rng), ocr_typos(quote.suffix, 1, rng))
        cases.append(Case(typo, places, Levenshtein.distance(exact, quote.exact), "short"))
    return cases


def verdict(case: Case, span: tuple[int, int] | None) -> str:
    if span is None:
        return "none"
    good = any(
        abs(span[0] - start) <= case.slack and abs(span[1] - end) <= case.slack
        for start, end in case.places
    )
    return "right" if good else "wrong"


def test_anchoring_an_import() -> None:
    rng = random.Random(1848)
    text = import_text(rng)
    cases = import_cases(text, rng)
    quotes = [case.quote for case in cases]

    anchors = anchor_many(text, quotes)
    ours = best_time(lambda: anchor_many(text, quotes))

    def span(anchor: Anchor) -> tuple[int, int] | None:
        return None if anchor.status == "orphaned" else (anchor.start, anchor.end)

    started = time.perf_counter()
    reference = [hypothesis_style_match(text, quote) for quote in quotes]
    reference_time = time.perf_counter() - started

    table: Counter[tuple[str, str, str]] = Counter()
    for case, anchor, theirs in zip(cases, anchors, reference, strict=True):
        table["ours", case.kind, verdict(case, span(anchor))] += 1
        table["reference", case.kind, verdict(case, theirs)] += 1
    statuses = Counter(anchor.status for anchor in anchors)
    kinds = Counter(case.kind for case in cases)

    def row(who: str) -> str:
        cells = []
        for kind in ("clean", "typos", "absent"):
            counts = {v: table[who, kind, v] for v in ("right", "wrong", "none")}
            cells.append(f"{kind} {counts['right']}/{counts['wrong']}/{counts['none']}")
        right = sum(table[who, kind, "right"] for kind in kinds)
        wrong = sum(table[who, kind, "wrong"] for kind in kinds)
        return f"right {right:3}, wrong {wrong:3}   ({'; '.join(cells)})"

    print(
        f"\n[import] {len(text):,} characters (the article twice, the copy with one word in "
        f"eight changed); {len(quotes)} quotes without positions: {dict(kinds)}\n"
        f"  anchor_many: {ours * 1000:8.1f} ms (best of 3); "
        f"statuses {dict(sorted(statuses.items()))}\n"
        f"  Hypothesis-style reference (exact, else Myers scan with len/2 errors, scored by "
        f"context): {reference_time:6.1f} s\n"
        f"  ours:      {row('ours')}\n"
        f"  reference: {row('reference')}\n"
        f"  (per kind: right/wrong/not anchored; right = at a place the quote truly belongs, "
        f"give or take the typos' edits)"
    )
    ours_right = sum(table["ours", kind, "right"] for kind in kinds)
    reference_right = sum(table["reference", kind, "right"] for kind in kinds)
    assert ours < 1.0
    assert sum(table["ours", kind, "wrong"] for kind in kinds) == 0
    assert ours_right >= reference_right

    # For the record, not asserted: where the threshold costs something.
    short = short_typo_cases(text, 100, rng)
    found = anchor_many(text, [case.quote for case in short])
    mine = Counter(verdict(case, span(a)) for case, a in zip(short, found, strict=True))
    other = Counter(verdict(case, hypothesis_style_match(text, case.quote)) for case in short)
    print(
        f"  short quotes (3–30 characters) with one OCR misreading, context too, {len(short)}:\n"
        f"    ours:      right {mine['right']}, wrong {mine['wrong']}, none {mine['none']}\n"
        f"    reference: right {other['right']}, wrong {other['wrong']}, none {other['none']}\n"
        f"    (wrong, for both: a misreading that is itself a word elsewhere, found exactly; "
        f"ours finds none when the misreading leaves less than 75% of the quote)"
    )
