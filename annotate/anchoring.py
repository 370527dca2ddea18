"""Where an annotation's quote belongs in a text, and where it went after a correction.

Pure functions (no Django, no database). Offsets count code points (the W3C
TextPositionSelector rule). The similarity of found text to a quote is
1 - Levenshtein(exact, found) / len(exact); a match may have at most
k = floor((1 - threshold) * len) edits, since one with more could never reach the threshold.
Whatever is returned is checked: "anchored" and "moved" spans hold the quote exactly,
"relocated" ones are at least `threshold` similar, and anything else is "orphaned".

Re-anchoring after a correction (`reanchor`) does not search. The server holds the edits
that made the new revision, so each annotation's edges are mapped through a table of
cumulative shifts by bisection, O(log E) per annotation, and the quote compared with the text
there: equal, it stays "anchored". Only an annotation whose own words were edited is looked
at more closely, and only where its words went: the quote exactly at either edge
("anchored"), else the best of the spans its edges may map to (an edge inside a replaced
span may land anywhere in the replacement; a long insertion inside it may leave the larger
part), compared in C by rapidfuzz ("relocated"). Only when the words there no longer resemble
the quote is the whole text searched: an exact copy is "moved"; a lookalike elsewhere is
believed only if its context agrees with the quote's too.

Searching (`anchor_quote`, `anchor_many`) takes exact occurrences first (str.find, in C),
the one whose 32 code points on each side agree best with the quote's context (normalised
Levenshtein, so a typo in the context costs little), the hint breaking ties. Only when the
quote occurs nowhere is an approximate match sought. We chose filtering plus verification:

- rapidfuzz's `partial_ratio_alignment` scores indel distance over windows of the quote's
  own length, so a word inserted into the passage shifts the window, and it returns one
  window only, leaving no room for context to choose between copies of a passage;
- a Myers bit-parallel scan of the whole text (what Hypothesis's client does in JavaScript)
  costs about a microsecond per character in Python: a second per quote on a 1 MB text;
- so the pigeonhole filter: cut the quote into e + 1 pieces; a match with at most e edits
  keeps at least one piece intact, at its offset give or take e. The pieces' occurrences
  (str.find, cached per text, so `anchor_many` looks each piece up once) vote for the
  diagonal where the quote would start; a region with h pieces has at least e + 1 - h edits,
  which bounds the best score it could hold. Regions are taken best bound first, screened by
  the q-gram lemma (each edit spoils at most three trigrams; a set intersection) and
  verified by a Myers bit-parallel search over just that window (Python integers as bit
  vectors), which gives the exact best alignment there. It stops when no region left could
  beat the best match found (branch and bound). The first round uses few long pieces
  (e ≈ len/16: typical OCR slips, rare pieces, few regions); the second, all k + 1 pieces,
  runs only if a match with more edits could still win. Matches are ranked as Hypothesis's
  client ranks them (quote 50, prefix 20, suffix 20), the distance from the hint breaking ties.

A quote shorter than its context (32) is too little evidence on its own: a fuzzy match of
it is believed only if the context around agrees too (on average at least `threshold`).

Two limits bound the cost, and are where the search is a heuristic: a piece occurring more
than MAX_PIECE_HITS times casts no vote, and at most MAX_REGIONS regions are verified per
round: those with most votes, the context read at their middle telling equals apart; for
a short quote (narrow regions, hundreds of them), those whose votes and context together
promise the best rank. Neither limit can produce a wrong match, only miss a faint one made
of common fragments, which is then reported orphaned.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, Literal

from rapidfuzz.distance import Levenshtein

CONTEXT = 32
THRESHOLD = 0.75
MAX_PIECE_HITS = 2000
MAX_REGIONS = 16
FULL_SCAN_LIMIT = 20_000  # characters: below this a miss is re-checked over the whole text
NARROW = 4  # buckets this wide or less: the context read at a region's middle is close
MAX_ESTIMATES = 16384  # regions whose context is compared, when there are too many
REANCHOR_REGIONS = 4  # after a correction a copy elsewhere is a long shot: look briefly
MAX_EDGE_PAIRS = 256
MAX_INNER_EDITS = 8

# Weights of Hypothesis's client (src/annotator/anchoring/match-quote.ts).
QUOTE_WEIGHT, PREFIX_WEIGHT, SUFFIX_WEIGHT = 50.0, 20.0, 20.0

Status = Literal["anchored", "moved", "relocated", "orphaned"]


@dataclass(frozen=True)
class Quote:
    exact: str
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class Anchor:
    """Where a quote was found: "anchored" in place (where the hint or the edits put it),
    "moved" to an exact copy elsewhere, "relocated" onto similar text, or "orphaned"
    (start = end = -1). The score is the similarity of the text there to the quote."""

    start: int
    end: int
    status: Status
    score: float


@dataclass(frozen=True)
class Target:
    key: object
    start: int
    end: int
    quote: Quote


ORPHANED = Anchor(-1, -1, "orphaned", 0.0)


def quote_at(text: str, start: int, end: int, context: int = CONTEXT) -> Quote:
    """The TextQuoteSelector of a span, so it can be found again when offsets no longer fit."""
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"{start}–{end} is not a span of a text of {len(text)} characters.")
    return Quote(text[start:end], text[max(0, start - context) : start], text[end : end + context])


def similarity(exact: str, found: str) -> float:
    """How close found text is to a quote, 0..1: what the threshold is compared with."""
    if not exact:
        return 1.0 if not found else 0.0
    return max(0.0, 1.0 - Levenshtein.distance(exact, found) / len(exact))


def max_errors(length: int, threshold: float = THRESHOLD) -> int:
    """The most edits a match of a quote this long may have and still reach the threshold."""
    return int((1.0 - threshold) * length + 1e-9)


def anchor_quote(
    text: str, quote: Quote, hint: int | None = None, *, threshold: float = THRESHOLD
) -> Anchor:
    """Where a quote belongs in a text: exact (best by context), else approximate, else orphaned."""
    return _anchor(_Index(text), quote, hint, _checked(threshold))


def anchor_many(
    text: str,
    quotes: Sequence[Quote],
    hints: Sequence[int | None] | None = None,
    *,
    threshold: float = THRESHOLD,
) -> list[Anchor]:
    """Anchor many quotes in one text, sharing the search for their pieces (an import)."""
    threshold = _checked(threshold)
    if hints is not None and len(hints) != len(quotes):
        raise ValueError("Give one hint per quote, or none.")
    index = _Index(text)
    done: dict[tuple[Quote, int | None], Anchor] = {}
    anchors = []
    for i, quote in enumerate(quotes):
        hint = hints[i] if hints is not None else None
        anchor = done.get((quote, hint))
        if anchor is None:
            anchor = done[quote, hint] = _anchor(index, quote, hint, threshold)
        anchors.append(anchor)
    return anchors


def reanchor(
    old_text: str,
    new_text: str,
    edits: Sequence[Mapping[str, Any]],
    targets: Sequence[Target],
    *,
    threshold: float = THRESHOLD,
) -> list[Anchor]:
    """Each target's place in the new text, found through the edits that made it (same order)."""
    threshold = _checked(threshold)
    shifts = _Shifts.build(old_text, new_text, edits)
    starts, ends, shift = shifts.starts, shifts.ends, shifts.shift
    index = _Index(new_text)
    anchors = []
    for target in targets:
        start, end, exact = target.start, target.end, target.quote.exact
        # Most annotations: no edit between their edges (the edits before it end by its
        # start, those after it start from its end), so the text under them moved unchanged.
        before = bisect_right(ends, start)
        at = start + shift[before]
        if (
            start >= 0
            and end <= len(old_text)
            and end - start == len(exact) > 0
            and before == bisect_left(starts, end)
            and new_text.startswith(exact, at)
        ):
            anchors.append(Anchor(at, at + end - start, "anchored", 1.0))
        else:
            anchors.append(_reanchor_one(old_text, index, shifts, target, threshold))
    return anchors


# --- Re-anchoring through the edits ------------------------------------------------------------


@dataclass(frozen=True)
class _Shifts:
    """The edits as sorted columns, with the total shift before each, for bisection."""

    starts: list[int]
    ends: list[int]
    lengths: list[int]  # of each replacement
    shift: list[int]  # shift[i]: how far the edits before edit i move what follows them

    @classmethod
    def build(cls, old_text: str, new_text: str, edits: Sequence[Mapping[str, Any]]) -> _Shifts:
        """Check the edits against both texts once, so a bad list fails loudly, not quietly."""
        ordered = sorted(edits, key=lambda edit: (edit["start"], edit["end"]))
        starts, ends, lengths, shift = [], [], [], [0]
        previous_end = 0
        for edit in ordered:
            start, end, replacement = edit["start"], edit["end"], edit["replacement"]
            if not previous_end <= start <= end <= len(old_text):
                raise ValueError(f"Edit {start}–{end} overlaps another or is outside the text.")
            if "original" in edit and old_text[start:end] != edit["original"]:
                raise ValueError(f"Edit {start}–{end} does not match the old text.")
            at = start + shift[-1]
            if new_text[at : at + len(replacement)] != replacement:
                raise ValueError(f"Edit {start}–{end} does not match the new text.")
            starts.append(start)
            ends.append(end)
            lengths.append(len(replacement))
            shift.append(shift[-1] + len(replacement) - (end - start))
            previous_end = end
        if len(old_text) + shift[-1] != len(new_text):
            raise ValueError("The edits do not turn the old text into the new one.")
        return cls(starts, ends, lengths, shift)

    def start(self, offset: int) -> tuple[int, int]:
        """Where a span starting at offset now starts; two choices when an edit replaced it.

        Text inserted exactly at the offset goes before the span, so the span does not grow.
        """
        i = bisect_right(self.ends, offset)  # the edits that end at or before it
        return self._inside(i, offset) or (offset + self.shift[i],) * 2

    def end(self, offset: int) -> tuple[int, int]:
        """Where a span ending at offset now ends; text inserted at the offset goes after it."""
        i = bisect_left(self.ends, offset)
        while i < len(self.starts) and self.ends[i] == offset and self.starts[i] < offset:
            i += 1  # a replacement ending exactly at the offset is part of the span
        return self._inside(i, offset) or (offset + self.shift[i],) * 2

    def within(self, start: int, end: int) -> list[tuple[int, int]]:
        """Where the replacements of the edits strictly inside start–end are (few, or none)."""
        first, last = bisect_right(self.starts, start), bisect_left(self.ends, end)
        if not 0 < last - first <= MAX_INNER_EDITS:
            return []
        return [
            (self.starts[i] + self.shift[i], self.starts[i] + self.shift[i] + self.lengths[i])
            for i in range(first, last)
        ]

    def _inside(self, i: int, offset: int) -> tuple[int, int] | None:
        if i < len(self.starts) and self.starts[i] < offset < self.ends[i]:
            at = self.starts[i] + self.shift[i]
            return at, at + self.lengths[i]
        return None


def _reanchor_one(
    old_text: str, index: _Index, shifts: _Shifts, target: Target, threshold: float
) -> Anchor:
    text, quote = index.text, target.quote
    exact, m = quote.exact, len(target.quote.exact)
    if not exact or m > len(text):
        return ORPHANED
    if not 0 <= target.start <= len(old_text):
        return _anchor(index, quote, None, threshold)
    start_lo, start_hi = shifts.start(target.start)
    if target.end - target.start != m or not old_text.startswith(exact, target.start):
        # The stored position does not hold the quote: only the quote can be trusted.
        return _anchor(index, quote, start_lo, threshold)
    end_lo, end_hi = shifts.end(target.end)
    if end_lo - start_lo == m and text.startswith(exact, start_lo):
        return Anchor(start_lo, end_lo, "anchored", 1.0)
    # The annotation's own words were edited: look where they went, and only there.
    k = max_errors(m, threshold)
    lo, hi = max(0, start_lo - k), min(len(text), end_hi + k)
    # The quote itself, at either edge (not inside text inserted between them).
    at = _nearest(
        _find_all(text, exact, lo, min(hi, start_hi + m + k))
        + _find_all(text, exact, max(lo, end_lo - m - k), hi),
        start_lo,
    )
    if at is not None:
        return Anchor(at, at + m, "anchored", 1.0)
    best: tuple[int, int, int, int] | None = None  # (edits, |length - m|, start, end)
    if k:
        # An edge inside a replaced span may land anywhere in the replacement; and where a
        # long insertion split the words, the larger part may still be the annotation.
        starts, ends = [*range(start_lo, start_hi + 1)], [*range(end_lo, end_hi + 1)]
        for inserted_start, inserted_end in shifts.within(target.start, target.end):
            starts.append(inserted_end)
            ends.append(inserted_start)
        if len(starts) * len(ends) <= MAX_EDGE_PAIRS:
            for start in starts:
                for end in ends:
                    if m - k <= end - start <= m + k:
                        d = Levenshtein.distance(exact, text[start:end], score_cutoff=k)
                        candidate = (d, abs(end - start - m), start, end)
                        if d <= k and (best is None or candidate < best):
                            best = candidate
        else:
            for start, end, d in _window_matches(text, _Pattern(exact), lo, hi, k):
                candidate = (d, abs(end - start - m), start, end)
                best = candidate if best is None else min(best, candidate)
    if best is not None:
        d, _, start, end = best
        return Anchor(start, end, "relocated", 1.0 - d / m)
    # Where the words went they no longer resemble the quote. A copy elsewhere may; a short
    # search is enough, since a copy that resembles it would stand out at once.
    found = _anchor(index, quote, start_lo, threshold, max_regions=REANCHOR_REGIONS)
    if found.status == "anchored":  # the same text, but not the annotation's own words
        return Anchor(found.start, found.end, "moved", found.score)
    elsewhere = found.status == "relocated" and not lo <= found.start < found.end <= hi
    # Not these words but others like them: believe it only if their context agrees too.
    if elsewhere and _agrees(*_context(text, found.start, found.end, quote), quote) < threshold:
        return ORPHANED
    return found


# --- Searching ---------------------------------------------------------------------------------


class _Index:
    """One text and the occurrences of short strings in it, found once per text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._hits: dict[tuple[str, int | None], list[int]] = {}

    def find_all(self, needle: str, limit: int | None = None) -> list[int]:
        """Every start of needle, overlapping ones included (cached: pieces recur).

        With a limit, stops after limit + 1 of them: enough to know there are too many.
        """
        key = (needle, limit)
        hits = self._hits.get(key)
        if hits is None:
            hits = _find_all(self.text, needle, 0, len(self.text), limit)
            if len(needle) <= 64:
                self._hits[key] = hits
        return hits


def _find_all(text: str, needle: str, lo: int, hi: int, limit: int | None = None) -> list[int]:
    hits = []
    at = text.find(needle, lo, hi)
    while at != -1:
        hits.append(at)
        if limit is not None and len(hits) > limit:
            break
        at = text.find(needle, at + 1, hi)
    return hits


def _nearest(starts: list[int], hint: int) -> int | None:
    return min(starts, key=lambda at: (abs(at - hint), at)) if starts else None


def _checked(threshold: float) -> float:
    if not 0.0 < threshold <= 1.0:
        raise ValueError("The threshold is a similarity between 0 (excluded) and 1.")
    return threshold


def _anchor(
    index: _Index,
    quote: Quote,
    hint: int | None,
    threshold: float,
    *,
    max_regions: int = MAX_REGIONS,
) -> Anchor:
    """Exact occurrences first, then the best approximate match, else orphaned."""
    text, exact = index.text, quote.exact
    if not exact or len(exact) > len(text):
        return ORPHANED
    at = _best_exact(index, quote, hint)
    if at is not None:
        status: Status = "anchored" if hint is None or at == hint else "moved"
        return Anchor(at, at + len(exact), status, 1.0)
    return _approximate(index, quote, hint, threshold, max_regions)


def _context(text: str, start: int, end: int, quote: Quote) -> tuple[float, float]:
    """How well the text around a span agrees with the quote's prefix and suffix, 0..1 each."""
    before = after = 1.0  # no context recorded (the quote began or ended the text): no opinion
    if quote.prefix:
        window = text[max(0, start - len(quote.prefix)) : start]
        before = Levenshtein.normalized_similarity(window, quote.prefix)
    if quote.suffix:
        after = Levenshtein.normalized_similarity(text[end : end + len(quote.suffix)], quote.suffix)
    return before, after


def _agrees(before: float, after: float, quote: Quote) -> float:
    """The context's agreement as a whole, each side weighed by its length."""
    sides = len(quote.prefix) + len(quote.suffix)
    if not sides:
        return 1.0
    return (before * len(quote.prefix) + after * len(quote.suffix)) / sides


def _best_exact(index: _Index, quote: Quote, hint: int | None) -> int | None:
    """The exact occurrence whose surroundings agree best with the context; the hint breaks ties."""
    text, exact, prefix = index.text, quote.exact, quote.prefix
    whole = prefix + exact + quote.suffix
    if hint is not None and hint >= len(prefix) and text.startswith(whole, hint - len(prefix)):
        return hint
    near = hint if hint is not None else 0
    if whole != exact:
        full = _find_all(text, whole, 0, len(text))
        if full:
            return _nearest([at + len(prefix) for at in full], near)
    starts = index.find_all(exact)
    if len(starts) <= 1:
        return starts[0] if starts else None
    m = len(exact)
    return max(
        starts, key=lambda at: (sum(_context(text, at, at + m, quote)), -abs(at - near), -at)
    )


class _Pattern:
    """A quote prepared for bit-parallel matching, forwards and backwards."""

    def __init__(self, exact: str) -> None:
        self.exact = exact
        grams = [exact[i : i + 3] for i in range(len(exact) - 2)]
        self.trigrams = set(grams)
        self.repeats = len(grams) - len(self.trigrams)

    @cached_property
    def forward(self) -> dict[str, int]:
        return _bit_masks(self.exact)

    @cached_property
    def backward(self) -> dict[str, int]:
        return _bit_masks(self.exact[::-1])

    def may_occur(self, window: str, edits: int) -> bool:
        """False when the window cannot hold a match with this many edits (the q-gram lemma).

        Each edit spoils at most 3 of the quote's trigrams, so a match keeps at least
        len - 2 - 3 * edits of them; counting those the window has (a set intersection, an
        upper bound when trigrams repeat) costs a tenth of aligning.
        """
        needed = len(self.exact) - 2 - 3 * edits
        if needed <= 0:
            return True
        found = self.trigrams.intersection(
            map("".join, zip(window, window[1:], window[2:], strict=False))
        )
        return len(found) + self.repeats >= needed


def _bit_masks(pattern: str) -> dict[str, int]:
    masks: dict[str, int] = {}
    for i, char in enumerate(pattern):
        masks[char] = masks.get(char, 0) | (1 << i)
    return masks


def _myers(masks: dict[str, int], m: int, text: str, *, anchored: bool) -> list[int]:
    """Edit distance of the pattern to the best text[i:j] (anchored: text[:j]), for every j.

    Myers' bit-vector algorithm (1999) in Hyyrö's formulation (2003); a Python integer of m
    bits holds a whole column, so one step per character of text whatever the pattern length.
    """
    full, top, carry = (1 << m) - 1, 1 << (m - 1), int(anchored)
    pv, mv, score = full, 0, m
    scores = []
    get = masks.get
    for char in text:
        eq = get(char, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & full)
        mh = pv & xh
        if ph & top:
            score += 1
        elif mh & top:
            score -= 1
        ph = ((ph << 1) | carry) & full
        mh = (mh << 1) & full
        pv = mh | (~(xv | ph) & full)
        mv = ph & xv
        scores.append(score)
    return scores


def _window_matches(
    text: str, pattern: _Pattern, lo: int, hi: int, k: int
) -> list[tuple[int, int, int]]:
    """The best alignments (start, end, edits <= k) of the pattern inside text[lo:hi]: for
    each run of good ends, the best end and every start that is as good."""
    m = len(pattern.exact)
    lo, hi = max(0, lo), min(len(text), hi)
    if hi - lo < m - k:
        return []
    scores = _myers(pattern.forward, m, text[lo:hi], anchored=False)
    found = []
    j, n = 0, len(scores)
    while j < n:
        if scores[j] > k:
            j += 1
            continue
        best = j  # the lowest end in this run of good ends
        while j < n and scores[j] <= k:
            if scores[j] < scores[best]:
                best = j
            j += 1
        end = lo + best + 1
        # The start: align the reversed pattern backwards from the end, pinned to it.
        back = text[max(0, end - m - scores[best]) : end][::-1]
        costs = _myers(pattern.backward, m, back, anchored=True)
        least = min(costs)
        if least <= k:  # every start as good as the best: the context may prefer any of them
            found += [(end - n, end, least) for n, cost in enumerate(costs, 1) if cost == least]
    return found


def _pieces(exact: str, count: int) -> list[tuple[int, str]]:
    """The quote cut into `count` pieces as equal as can be, with their offsets."""
    size, extra = divmod(len(exact), count)
    pieces, at = [], 0
    for i in range(count):
        length = size + (i < extra)
        pieces.append((at, exact[at : at + length]))
        at += length
    return pieces


def _approximate(
    index: _Index, quote: Quote, hint: int | None, threshold: float, max_regions: int
) -> Anchor:
    """The best match with at most k edits, by filtering with pieces and verifying regions."""
    text, exact = index.text, quote.exact
    m = len(exact)
    k = max_errors(m, threshold)
    if k < 1:
        return ORPHANED
    pattern = _Pattern(exact)
    near = hint if hint is not None else 0
    # (rank, -|start - hint|, -start, end, edits, context agreement)
    best: tuple[float, int, int, int, int, float] | None = None
    verified: list[tuple[int, int, int]] = []  # windows searched, with the edits allowed there

    def ceiling(edits: int) -> float:
        """The best rank a match with at least this many edits could have."""
        return QUOTE_WEIGHT * (1 - edits / m) + PREFIX_WEIGHT + SUFFIX_WEIGHT

    def useful() -> int:
        """The most edits a match may have and still outrank the best one so far."""
        if best is None:
            return k
        return min(k, int(m * (ceiling(0) - best[0]) / QUOTE_WEIGHT - 1e-9))

    def verify(first: int, last: int) -> None:
        """Search around matches starting at diagonals first..last, with their edits' slack."""
        nonlocal best
        edits = useful()
        lo, hi = max(0, first - edits), min(len(text), last + m + edits)
        if edits < 1 or any(a <= lo and hi <= b and edits <= e for a, b, e in verified):
            return
        verified.append((lo, hi, edits))
        if not pattern.may_occur(text[lo:hi], edits):
            return
        for start, end, d in _window_matches(text, pattern, lo, hi, edits):
            before, after = _context(text, start, end, quote)
            rank = QUOTE_WEIGHT * (1 - d / m) + PREFIX_WEIGHT * before + SUFFIX_WEIGHT * after
            agrees = _agrees(before, after, quote)
            candidate = (round(rank, 9), -abs(start - near), -start, end, d, agrees)
            if best is None or candidate > best:
                best = candidate

    if hint is not None:
        verify(hint, hint)
    done = 0  # every match with at most `done` edits has been seen (none exact: searched before)
    for planned in dict.fromkeys((min(k, max(1, m // 16)), k)):
        budget = min(planned, useful())
        if budget <= done:
            break
        votes = _Votes(index, exact, budget)
        missing = budget + 1 - votes.skipped  # a region with h votes has >= missing - h edits
        regions = [r for r in votes.regions() if best is None or ceiling(missing - r[0]) >= best[0]]
        complete = len(regions) <= max_regions
        regions.sort(key=lambda r: -r[0])  # most votes, so best bound, first
        if not complete and votes.width <= NARROW:
            # More regions than are worth aligning, and narrow ones (few edits allowed: a
            # short quote, where the context is most of the evidence): take those that promise
            # the best rank, reading the context at each one's middle.
            promise = partial(_promise, text, quote, missing, near)
            regions = heapq.nlargest(max_regions, regions[:MAX_ESTIMATES], key=promise)
        elif not complete:
            # Wide regions: the middle is too rough a place to read the context, so it only
            # tells apart those with as many votes as the last one taken.
            last = regions[max_regions - 1][0]
            sure = [r for r in regions if r[0] > last]
            tied = [r for r in regions[len(sure) : len(sure) + MAX_ESTIMATES] if r[0] == last]
            agreement = partial(_agreement, text, quote, near)
            regions = sure + heapq.nlargest(max_regions - len(sure), tied, key=agreement)
        for most, lo, hi in regions:
            if best is not None and ceiling(missing - most) < best[0]:
                continue  # cannot win any more
            kept, first, last = votes.in_place(lo, hi)
            if best is None or ceiling(missing - kept) >= best[0]:
                verify(first, last)
        if complete:
            # A match with at most this many edits keeps a piece that was not skipped.
            done = max(done, budget - votes.skipped)
    if best is None and len(text) <= FULL_SCAN_LIMIT:
        # In repetitive text every piece can be too common to vote; on a text this small one
        # alignment over all of it is cheap and settles the question.
        verify(0, len(text))
    if best is None:
        return ORPHANED
    _, _, minus_start, end, d, context = best
    if m < CONTEXT and context < threshold:
        # A few letters like the quote's, among other words: too little to go on.
        return ORPHANED
    return Anchor(-minus_start, end, "relocated", 1.0 - d / m)


def _promise(
    text: str, quote: Quote, missing: int, near: int, region: tuple[int, int, int]
) -> tuple[float, int]:
    """The rank a match in the region could have, its context read at the region's middle."""
    votes, lo, hi = region
    at, m = (lo + hi) // 2, len(quote.exact)
    before, after = _context(text, at, at + m, quote)
    quality = QUOTE_WEIGHT * (1 - max(0, missing - votes) / m)
    return quality + PREFIX_WEIGHT * before + SUFFIX_WEIGHT * after, -abs(at - near)


def _agreement(
    text: str, quote: Quote, near: int, region: tuple[int, int, int]
) -> tuple[float, int]:
    """How well the context agrees around a region's middle (then: how near the hint it is)."""
    _, lo, hi = region
    at = (lo + hi) // 2
    return sum(_context(text, at, at + len(quote.exact), quote)), -abs(at - near)


class _Votes:
    """Where pieces of a quote lie in place: the diagonals they vote for.

    A diagonal is where the quote would start for a piece's occurrence to be in place. A
    match with e <= budget edits keeps budget + 1 - e of the budget + 1 pieces, on diagonals
    within e of its start, so within three consecutive buckets of width budget + 1.
    """

    def __init__(self, index: _Index, exact: str, budget: int) -> None:
        self.width = budget + 1
        self.pieces: list[tuple[int, list[int]]] = []  # (offset in the quote, occurrences)
        self.skipped = 0  # pieces too common to say anything
        for offset, piece in _pieces(exact, budget + 1):
            hits = index.find_all(piece, limit=MAX_PIECE_HITS)
            if len(hits) > MAX_PIECE_HITS:
                self.skipped += 1
            else:
                self.pieces.append((offset, hits))

    def regions(self) -> list[tuple[int, int, int]]:
        """(pieces in three buckets around one, first and last diagonal of those buckets)."""
        width = self.width
        counts: Counter[int] = Counter()
        for offset, hits in self.pieces:
            buckets = {(at - offset) // width for at in hits}
            # Each piece votes once for every bucket it lies in or next to.
            counts.update(buckets.union([b - 1 for b in buckets], [b + 1 for b in buckets]))
        return [
            (votes, (bucket - 1) * width, (bucket + 2) * width - 1)
            for bucket, votes in counts.items()
        ]

    def in_place(self, lo: int, hi: int) -> tuple[int, int, int]:
        """How many pieces vote for a diagonal in lo..hi, and the first and last they vote for."""
        kept, first, last = 0, hi, lo
        for offset, hits in self.pieces:
            i, j = bisect_left(hits, lo + offset), bisect_right(hits, hi + offset)
            if i < j:
                kept += 1
                first, last = min(first, hits[i] - offset), max(last, hits[j - 1] - offset)
        return kept, first, last
