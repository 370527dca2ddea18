"""Anchoring: quotes found again, never attached to words that do not match them."""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from annotate.anchoring import (
    CONTEXT,
    THRESHOLD,
    Anchor,
    Quote,
    Target,
    _bit_masks,
    _myers,
    anchor_many,
    anchor_quote,
    max_errors,
    quote_at,
    reanchor,
    similarity,
)

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "annotate"
    / "samples"
    / "hungarian-revolution-1956-superpowers.ocr.txt"
)
ARTICLE = re.sub(r"\s+", " ", SAMPLE.read_text(encoding="utf-8")).strip()
WORDS = sorted(set(re.findall(r"[A-Za-z]{2,}", ARTICLE)))


# --- Helpers, shared with tests/bench ------------------------------------------------------


def edit(old: str, start: int, end: int, replacement: str) -> dict[str, Any]:
    """An edit as a Revision stores it."""
    return {
        "start": start,
        "end": end,
        "original": old[start:end],
        "replacement": replacement,
        "reason": "",
    }


Moved = list[tuple[int, int, bool]]


def apply_edits(old: str, edits: list[dict[str, Any]]) -> tuple[str, Moved]:
    """The new text, and where each old character went: (at, at + 1, True) if it is still
    there, else (start, end, False) of what replaced it."""
    pieces: list[str] = []
    moved: Moved = []
    cursor = shift = 0
    for e in sorted(edits, key=lambda e: (e["start"], e["end"])):
        moved += [(i + shift, i + shift + 1, True) for i in range(cursor, e["start"])]
        at = e["start"] + shift
        moved += [(at, at + len(e["replacement"]), False)] * (e["end"] - e["start"])
        pieces += [old[cursor : e["start"]], e["replacement"]]
        shift += len(e["replacement"]) - (e["end"] - e["start"])
        cursor = e["end"]
    moved += [(i + shift, i + shift + 1, True) for i in range(cursor, len(old))]
    pieces.append(old[cursor:])
    return "".join(pieces), moved


def where_words_went(moved: Moved, start: int, end: int) -> tuple[int, int]:
    """The new span of an annotation's words, with the replacements made inside it."""
    return moved[start][0], moved[end - 1][1]


def untouched(moved: Moved, start: int, end: int) -> bool:
    """No edit changed the annotation's own words (insertions at its edges are outside it)."""
    first = moved[start][0] - start
    return all(moved[i] == (first + i, first + i + 1, True) for i in range(start, end))


def word_fixes(text: str, count: int, rng: random.Random) -> list[dict[str, Any]]:
    """OCR-style corrections: one letter of `count` words changed, dropped or doubled."""
    words = [m.span() for m in re.finditer(r"[A-Za-z]{3,}", text)]
    edits = []
    for start, end in sorted(rng.sample(words, count)):
        word = text[start:end]
        at = rng.randrange(len(word))
        kind = rng.choice(("change", "drop", "double"))
        if kind == "change":
            letter = rng.choice([c for c in "aeioulnrst" if c != word[at].lower()])
            fixed = word[:at] + letter + word[at + 1 :]
        elif kind == "drop":
            fixed = word[:at] + word[at + 1 :]
        else:
            fixed = word[: at + 1] + word[at:]
        edits.append(edit(text, start, end, fixed))
    return edits


def long_insertion(
    text: str, edits: list[dict[str, Any]], length: int, rng: random.Random
) -> dict[str, Any]:
    """Text inserted at a space that no other edit touches."""
    taken = {i for e in edits for i in range(e["start"], e["end"] + 1)}
    spaces = [i for i, c in enumerate(text) if c == " " and i not in taken]
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < length:
        words.append(rng.choice(WORDS))
    at = rng.choice(spaces)
    return edit(text, at, at, (" " + " ".join(words))[:length])


@dataclass
class Verdict:
    counts: Counter[str]
    wrong: list[tuple[Target, Anchor, str]]


def judge(
    new: str,
    moved: Moved,
    targets: list[Target],
    anchors: list[Anchor],
    *,
    strict: bool = True,
    threshold: float = THRESHOLD,
) -> Verdict:
    """Check each anchor against where the annotation's words really went.

    Strict: anything not "moved" lies where the words went, give or take the edits allowed.
    Otherwise a span elsewhere is allowed when the quote's context agrees with its own, which
    is what re-anchoring asks of a lookalike found elsewhere.
    """
    counts: Counter[str] = Counter()
    wrong = []
    for target, anchor in zip(targets, anchors, strict=True):
        counts[anchor.status] += 1
        quote = target.quote
        truth = where_words_went(moved, target.start, target.end)
        kept = untouched(moved, target.start, target.end)
        k = max_errors(len(quote.exact), threshold)
        found = new[anchor.start : anchor.end]
        near = truth[0] - k <= anchor.start < anchor.end <= truth[1] + k
        near = near and anchor.end > truth[0] and anchor.start < truth[1]
        before = new[max(0, anchor.start - len(quote.prefix)) : anchor.start]
        after = new[anchor.end : anchor.end + len(quote.suffix)]
        context = (
            Levenshtein.normalized_similarity(before, quote.prefix) if quote.prefix else 1.0
        ) + (Levenshtein.normalized_similarity(after, quote.suffix) if quote.suffix else 1.0)
        problem = ""
        if anchor.status == "orphaned":
            if kept:
                problem = "untouched but orphaned"
        elif anchor.status in ("anchored", "moved") and found != quote.exact:
            problem = "text differs from the quote"
        elif anchor.status == "relocated" and (
            1 - Levenshtein.distance(quote.exact, found) / len(quote.exact) < threshold
        ):
            problem = "too dissimilar"
        elif kept and (anchor.status, anchor.start) != ("anchored", truth[0]):
            problem = "untouched but not anchored in place"
        elif anchor.status != "moved" and not near and (strict or context < 2 * threshold):
            problem = "not where the words went"
        if problem:
            wrong.append((target, anchor, problem))
    return Verdict(counts, wrong)


def random_targets(text: str, count: int, rng: random.Random, longest: int = 200) -> list[Target]:
    targets = []
    for key in range(count):
        length = rng.randint(3, longest)
        start = rng.randrange(len(text) - length)
        targets.append(Target(key, start, start + length, quote_at(text, start, start + length)))
    return targets


# --- quote_at -----------------------------------------------------------------------------


def test_quote_at_takes_32_code_points_of_context() -> None:
    text = "x" * 40 + "quoted" + "y" * 40
    quote = quote_at(text, 40, 46)
    assert quote == Quote("quoted", "x" * CONTEXT, "y" * CONTEXT)


def test_quote_at_the_edges_of_the_text_has_shorter_context() -> None:
    text = "Glossa reads one text closely."
    assert quote_at(text, 0, 6) == Quote("Glossa", "", " reads one text closely.")
    assert quote_at(text, 22, 30) == Quote("closely.", "Glossa reads one text ", "")
    assert quote_at(text, 0, len(text)) == Quote(text, "", "")
    assert quote_at(text, 6, 6, context=2) == Quote("", "sa", " r")


def test_quote_at_counts_code_points_outside_the_bmp_as_one() -> None:
    text = "𝔊𝔩𝔬𝔰𝔰𝔞 🙂 " * 10 + "target" + " 🙂𝔊" * 20
    start = text.index("target")
    assert start == 90  # ten times nine code points
    quote = quote_at(text, start, start + 6)
    assert quote.prefix == "𝔰𝔞 🙂 " + "𝔊𝔩𝔬𝔰𝔰𝔞 🙂 " * 3  # 5 + 27 = 32 code points
    assert quote.suffix == " 🙂𝔊" * 10 + " 🙂"  # 30 + 2
    assert len(quote.suffix.encode("utf-16-le")) // 2 == 53  # what a browser counts: 11 + 2 * 21


def test_quote_at_refuses_a_span_outside_the_text() -> None:
    with pytest.raises(ValueError, match="not a span"):
        quote_at("short", 3, 9)
    with pytest.raises(ValueError, match="not a span"):
        quote_at("short", 4, 2)


# --- anchor_quote ---------------------------------------------------------------------------


def test_a_unique_quote_is_anchored_where_it_is() -> None:
    start = ARTICLE.index("attributed a pivotal role")
    quote = quote_at(ARTICLE, start, start + 25)
    assert anchor_quote(ARTICLE, quote) == Anchor(start, start + 25, "anchored", 1.0)
    assert anchor_quote(ARTICLE, quote, hint=start) == Anchor(start, start + 25, "anchored", 1.0)
    assert anchor_quote(ARTICLE, quote, hint=0) == Anchor(start, start + 25, "moved", 1.0)


def test_a_repeated_quote_is_placed_by_its_context() -> None:
    text = (
        "In Paris the treaty was signed by the allies. Later, in Vienna the treaty was "
        "signed by the neutrals. At last, in Geneva the treaty was signed by nobody."
    )
    second = text.index("the treaty", text.index("Vienna"))
    quote = quote_at(text, second, second + 21)
    assert text.count(quote.exact) == 3
    assert anchor_quote(text, quote).start == second
    # Context still wins over the hint, even with a typo in the context.
    blurred = Quote(quote.exact, quote.prefix.replace("Vienna", "Vienma"), quote.suffix)
    assert anchor_quote(text, blurred, hint=0) == Anchor(second, second + 21, "moved", 1.0)
    # Only the suffix tells the Geneva one apart.
    third = text.index("the treaty", text.index("Geneva"))
    assert anchor_quote(text, Quote(quote.exact, "", " by nobody.")).start == third


def test_the_hint_breaks_a_tie_between_identical_copies() -> None:
    text = "The same sentence is here. " * 6
    at = [m.start() for m in re.finditer("same sentence", text)]
    quote = Quote("same sentence", "The ", " is here. The ")
    assert anchor_quote(text, quote, hint=at[3]) == Anchor(at[3], at[3] + 13, "anchored", 1.0)
    assert anchor_quote(text, quote, hint=at[4] - 5).start == at[4]
    assert anchor_quote(text, quote, hint=at[2] + 3) == Anchor(at[2], at[2] + 13, "moved", 1.0)


def test_a_misspelling_fixed_inside_the_quote_relocates_it() -> None:
    old = "public opinion in Hungaiy regarded it as a betrayal by the western powers"
    new = "Some words first. " + old.replace("Hungaiy", "Hungary") + " And after."
    quote = quote_at(old, 0, len(old))
    anchor = anchor_quote(new, quote, hint=0)
    assert (anchor.start, anchor.end, anchor.status) == (18, 18 + len(old), "relocated")
    assert anchor.score == pytest.approx(1 - 1 / len(old))


def test_a_word_inserted_into_the_quote_relocates_it() -> None:
    start = ARTICLE.index("the passivity of the West")
    end = start + 60
    quote = quote_at(ARTICLE, start, end)
    at = start + 21  # after "the passivity of the "
    new = ARTICLE[:at] + "Western " + ARTICLE[at:]
    anchor = anchor_quote(new, quote, hint=start)
    assert (anchor.start, anchor.end, anchor.status) == (start, end + 8, "relocated")
    assert similarity(quote.exact, new[anchor.start : anchor.end]) >= THRESHOLD


def test_a_quote_whose_words_were_deleted_is_orphaned() -> None:
    start = ARTICLE.index("Their mutual consent")
    end = ARTICLE.index(".", start) + 1
    quote = quote_at(ARTICLE, start, end)
    new = ARTICLE[:start] + ARTICLE[end:]
    assert anchor_quote(new, quote, hint=start) == Anchor(-1, -1, "orphaned", 0.0)


def test_empty_and_overlong_quotes_are_orphaned() -> None:
    assert anchor_quote("text", Quote("")).status == "orphaned"
    assert anchor_quote("text", Quote("a longer quote")).status == "orphaned"
    assert anchor_quote("", Quote("x")).status == "orphaned"
    assert anchor_many("text", [Quote(""), Quote("ex")]) == [
        Anchor(-1, -1, "orphaned", 0.0),
        Anchor(1, 3, "anchored", 1.0),
    ]


def test_anchoring_counts_code_points() -> None:
    text = "🙂 " * 50 + "𝔊𝔩𝔬𝔰𝔰𝔞 is where the seminar reads" + " 🙂" * 50
    quote = quote_at(text, 100, 133)
    new = "𝔊" + text.replace("seminar", "seminár")
    anchor = anchor_quote(new, quote, hint=100)
    assert (anchor.start, anchor.end, anchor.status) == (101, 134, "relocated")


def test_the_threshold_must_be_a_similarity() -> None:
    with pytest.raises(ValueError, match="threshold"):
        anchor_quote("text", Quote("t"), threshold=0)
    with pytest.raises(ValueError, match="threshold"):
        anchor_many("text", [Quote("t")], threshold=1.5)


def test_a_typo_in_a_short_quote_is_not_guessed() -> None:
    # Three letters with one wrong is 67% similar: below the threshold, so orphaned.
    assert anchor_quote("the cat sat", Quote("cxt", "the ", " sat")).status == "orphaned"
    assert anchor_quote("the cat sat", Quote("cxt"), threshold=0.6).start == 4


@st.composite
def texts_and_quotes(draw: st.DrawFn, context: bool = True) -> tuple[str, Quote, tuple[int, int]]:
    """A text of a few words repeated, a quote from it (and where), mutated, with its context
    too if asked."""
    vocabulary = draw(st.lists(st.sampled_from(WORDS), min_size=3, max_size=40, unique=True))
    text = " ".join(draw(st.lists(st.sampled_from(vocabulary), min_size=5, max_size=400)))
    start = draw(st.integers(0, len(text) - 1))
    end = draw(st.integers(start + 1, min(len(text), start + 120)))
    quote = quote_at(text, start, end)
    mutate = draw(
        st.lists(
            st.tuples(st.sampled_from("sid"), st.integers(0, 10**6), st.sampled_from("aeiu xz")),
            max_size=12,
        )
    )
    parts = {"exact": quote.exact, "prefix": quote.prefix, "suffix": quote.suffix}
    for kind, at, char in mutate:
        key = draw(st.sampled_from(sorted(parts))) if context else "exact"
        value = parts[key]
        at %= len(value) + 1
        if kind == "s" and at < len(value):
            value = value[:at] + char + value[at + 1 :]
        elif kind == "i":
            value = value[:at] + char + value[at:]
        elif kind == "d":
            value = value[:at] + value[at + 1 :]
        parts[key] = value
    return text, Quote(parts["exact"], parts["prefix"], parts["suffix"]), (start, end)


@settings(max_examples=300, deadline=None)
@given(texts_and_quotes(), st.sampled_from([0.6, 0.75, 0.9]), st.none() | st.integers(0, 3000))
def test_never_attached_to_text_that_does_not_match(
    case: tuple[str, Quote, tuple[int, int]], threshold: float, hint: int | None
) -> None:
    text, quote, _ = case
    anchor = anchor_quote(text, quote, hint, threshold=threshold)
    if anchor.status == "orphaned":
        assert (anchor.start, anchor.end, anchor.score) == (-1, -1, 0.0)
        return
    found = text[anchor.start : anchor.end]
    assert 0 <= anchor.start < anchor.end <= len(text)
    if anchor.status in ("anchored", "moved"):
        assert found == quote.exact
    else:
        assert quote.exact not in text  # exact copies always come first
        distance = Levenshtein.distance(quote.exact, found)
        assert 1 - distance / len(quote.exact) >= threshold
        assert anchor.score == pytest.approx(1 - distance / len(quote.exact))


@settings(max_examples=200, deadline=None)
@given(texts_and_quotes(context=False))
def test_a_match_where_the_quote_came_from_is_always_found(
    case: tuple[str, Quote, tuple[int, int]],
) -> None:
    text, quote, (start, end) = case
    k = max_errors(len(quote.exact))
    # (a quote longer than the text is orphaned by definition)
    if len(quote.exact) <= len(text) and Levenshtein.distance(quote.exact, text[start:end]) <= k:
        assert anchor_quote(text, quote).status != "orphaned"


@settings(max_examples=100, deadline=None)
@given(texts_and_quotes().filter(lambda case: len(case[1].exact) >= CONTEXT))
def test_a_long_quote_within_the_threshold_anywhere_is_found(
    case: tuple[str, Quote, tuple[int, int]],
) -> None:
    # A long quote is evidence enough on its own, whatever its context says.
    text, quote, _ = case
    exact = quote.exact
    k = max_errors(len(exact))
    # Is there any substring within k edits? (a quote longer than the text is orphaned)
    reachable = len(exact) <= len(text) and any(
        Levenshtein.distance(exact, text[i:j], score_cutoff=k) <= k
        for i in range(len(text))
        for j in range(i + len(exact) - k, min(len(text), i + len(exact) + k) + 1)
    )
    if reachable:
        assert anchor_quote(text, quote).status != "orphaned"


@settings(max_examples=300, deadline=None)
@given(st.text("abc", max_size=70).filter(bool), st.text("abc", max_size=90))
def test_bit_parallel_distances_agree_with_the_textbook_table(pattern: str, text: str) -> None:
    # The verifier everything relies on, against the O(mn) table (free start, and pinned start).
    previous, free = list(range(len(pattern) + 1)), []
    for char in text:
        row = [0]
        for i, p in enumerate(pattern, 1):
            row.append(min(previous[i] + 1, row[i - 1] + 1, previous[i - 1] + (p != char)))
        free.append(row[-1])
        previous = row
    masks = _bit_masks(pattern)
    assert _myers(masks, len(pattern), text, anchored=False) == free
    pinned = [Levenshtein.distance(pattern, text[: j + 1]) for j in range(len(text))]
    assert _myers(masks, len(pattern), text, anchored=True) == pinned


def test_anchor_many_shares_the_work_and_keeps_the_order() -> None:
    rng = random.Random(7)
    targets = random_targets(ARTICLE, 300, rng)
    quotes = [t.quote for t in targets]
    anchors = anchor_many(ARTICLE, quotes, hints=[t.start for t in targets])
    assert [a.start for a in anchors] == [t.start for t in targets]
    assert {a.status for a in anchors} == {"anchored"}
    with pytest.raises(ValueError, match="one hint per quote"):
        anchor_many(ARTICLE, quotes, hints=[0])


# --- reanchor -------------------------------------------------------------------------------

OLD = (
    "The fate of East-Central Europe until the fall of the communist regimes was "
    "determined by the status quo that the allies set up in 1945. Despite the fact "
    "that it has never been formally recorded in any official document, both "
    "superpowers attributed a pivotal role to this tacit agreement."
)


def target(text: str, words: str, key: object = None) -> Target:
    start = text.index(words)
    return Target(key, start, start + len(words), quote_at(text, start, start + len(words)))


def run(old: str, edits: list[dict[str, Any]], targets: list[Target]) -> tuple[str, list[Anchor]]:
    new, _ = apply_edits(old, edits)
    return new, reanchor(old, new, edits, targets)


def test_an_edit_before_the_annotation_shifts_it() -> None:
    t = target(OLD, "the status quo")
    new, [anchor] = run(OLD, [edit(OLD, 4, 8, "destiny")], [t])
    assert anchor == Anchor(t.start + 3, t.end + 3, "anchored", 1.0)
    assert new[anchor.start : anchor.end] == "the status quo"


def test_an_edit_after_the_annotation_leaves_it() -> None:
    t = target(OLD, "the status quo")
    at = OLD.index("1945")
    _, [anchor] = run(OLD, [edit(OLD, at, at + 4, "1944/45")], [t])
    assert anchor == Anchor(t.start, t.end, "anchored", 1.0)


def test_an_edit_inside_the_annotation_relocates_it_over_the_new_words() -> None:
    t = target(OLD, "determined by the status quo that the allies")
    at = OLD.index("status")
    new, [anchor] = run(OLD, [edit(OLD, at, at + 6, "statvs")], [t])
    assert (anchor.start, anchor.end, anchor.status) == (t.start, t.end, "relocated")
    assert new[anchor.start : anchor.end] == "determined by the statvs quo that the allies"
    assert anchor.score == pytest.approx(1 - 1 / 44)


def test_an_edit_spanning_the_annotations_edge_keeps_what_still_matches() -> None:
    t = target(OLD, "status quo that the allies set up")
    at = OLD.index("the status")
    # "the status" (the annotation starts inside it) becomes "this status".
    new, [anchor] = run(OLD, [edit(OLD, at, at + 10, "this status")], [t])
    assert new[anchor.start : anchor.end] == "status quo that the allies set up"
    assert anchor.status == "anchored"
    # A harder one: the edge's words are changed too.
    _, [anchor] = run(OLD, [edit(OLD, at, at + 10, "this statue")], [t])
    assert anchor.status == "relocated"
    assert anchor.end == t.end + 1


def test_an_insertion_exactly_at_an_edge_stays_outside() -> None:
    t = target(OLD, "the status quo")
    edits = [edit(OLD, t.start, t.start, "well, "), edit(OLD, t.end, t.end, " itself")]
    new, [anchor] = run(OLD, edits, [t])
    assert anchor == Anchor(t.start + 6, t.end + 6, "anchored", 1.0)
    assert new[anchor.start - 6 : anchor.end + 7] == "well, the status quo itself"


def test_a_replacement_of_the_annotations_first_word_is_part_of_it() -> None:
    t = target(OLD, "determined by the status quo")
    new, [anchor] = run(OLD, [edit(OLD, t.start, t.start + 10, "decided")], [t])
    assert new[anchor.start : anchor.end] == "decided by the status quo"
    assert anchor.status == "relocated"
    new, [anchor] = run(OLD, [edit(OLD, t.end - 3, t.end, "ante")], [t])
    assert new[anchor.start : anchor.end] == "determined by the status ante"


def test_a_long_insertion_inside_an_annotation_keeps_the_larger_part_or_orphans_it() -> None:
    t = target(OLD, "determined by the status quo that the allies set up")
    at = t.start + 44  # before "set up"
    new, [anchor] = run(OLD, [edit(OLD, at, at, " " + "inserted words " * 130)], [t])
    assert (anchor.start, anchor.end, anchor.status) == (t.start, at, "relocated")
    assert new[anchor.start : anchor.end] == "determined by the status quo that the allies"
    middle = t.start + 24
    _, [anchor] = run(OLD, [edit(OLD, middle, middle, " " + "inserted words " * 130)], [t])
    assert anchor.status == "orphaned"


def test_overlapping_annotations_are_each_reanchored() -> None:
    targets = [
        target(OLD, "the status quo that the allies", "a"),
        target(OLD, "quo that", "b"),
        target(OLD, "the allies set up in 1945", "c"),
        target(OLD, "status", "d"),
    ]
    at = OLD.index("allies")
    new, anchors = run(OLD, [edit(OLD, at, at + 6, "Allies")], targets)
    assert [a.status for a in anchors] == ["relocated", "anchored", "relocated", "anchored"]
    assert [new[a.start : a.end] for a in anchors] == [
        "the status quo that the Allies",
        "quo that",
        "the Allies set up in 1945",
        "status",
    ]


def test_many_edits_and_a_long_insertion() -> None:
    rng = random.Random(1956)
    edits = word_fixes(OLD, 12, rng)
    edits.append(edit(OLD, 0, 0, "A preface. " * 180))  # 1,980 characters
    targets = [target(OLD, w, w) for w in ("East-Central Europe", "in 1945.", "pivotal role")]
    targets += random_targets(OLD, 100, rng, longest=60)
    new, moved = apply_edits(OLD, edits)
    anchors = reanchor(OLD, new, edits, targets)
    verdict = judge(new, moved, targets, anchors)
    assert verdict.wrong == []
    assert verdict.counts["anchored"] > 0
    assert verdict.counts["relocated"] > 0


def test_a_destroyed_annotation_moves_to_a_copy_or_is_orphaned() -> None:
    old = "He said: the tacit agreement held. She said: the tacit agreement held."
    t = Target(1, 9, 33, quote_at(old, 9, 33))
    _, [anchor] = run(old, [edit(old, 9, 33, "nothing at all")], [t])
    copy = old.index("the tacit", 20) - 10  # the edit made the text 10 shorter before it
    assert anchor == Anchor(copy, copy + 24, "moved", 1.0)
    _, [anchor] = run(old, [edit(old, 9, 33, "x"), edit(old, 45, 69, "y")], [t])
    assert anchor.status == "orphaned"


def test_a_stale_position_falls_back_to_the_quote() -> None:
    t = target(OLD, "pivotal role")
    stale = Target(t.key, 3, 15, t.quote)
    new, [anchor] = run(OLD, [edit(OLD, 0, 3, "Our")], [stale])
    assert new[anchor.start : anchor.end] == "pivotal role"
    assert anchor.status == "moved"


def test_edits_that_do_not_fit_the_texts_are_refused() -> None:
    edits = [edit(OLD, 0, 3, "Our")]
    new, _ = apply_edits(OLD, edits)
    with pytest.raises(ValueError, match="old text"):
        reanchor(OLD, new, [edits[0] | {"original": "Tha"}], [])
    with pytest.raises(ValueError, match="new text"):
        reanchor(OLD, "X" + new[1:], edits, [])
    with pytest.raises(ValueError, match="overlaps"):
        reanchor(OLD, new, [*edits, edit(OLD, 2, 5, "")], [])


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_reanchoring_never_attaches_to_the_wrong_words(data: st.DataObject) -> None:
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    old = " ".join(rng.choice(WORDS[:80]) for _ in range(data.draw(st.integers(20, 200))))
    positions = sorted(rng.sample(range(len(old) + 1), data.draw(st.integers(1, 12))))
    edits, cursor = [], 0
    for at in positions:
        if at < cursor:
            continue
        end = min(len(old), at + rng.choice((0, 1, 2, 5, 20)))
        replacement = rng.choice(("", "x", "the", "Hungary", "a b c d e f " * rng.randint(1, 5)))
        if old[at:end] == replacement or (at == end and not replacement):
            continue
        edits.append(edit(old, at, end, replacement))
        cursor = end + 1
    targets = random_targets(old, 40, rng, longest=min(80, len(old) - 1))
    new, moved = apply_edits(old, edits)
    anchors = reanchor(old, new, edits, targets)
    verdict = judge(new, moved, targets, anchors, strict=False)
    assert verdict.wrong == []


def test_labelled_correction_of_the_sample_article() -> None:
    """500 annotations, 40 word fixes and 2,000 characters inserted: none on wrong words."""
    rng = random.Random(1989)
    targets = random_targets(ARTICLE, 500, rng)
    edits = word_fixes(ARTICLE, 40, rng)
    edits.append(long_insertion(ARTICLE, edits, 2000, rng))
    new, moved = apply_edits(ARTICLE, edits)
    anchors = reanchor(ARTICLE, new, edits, targets)
    verdict = judge(new, moved, targets, anchors)
    print(f"\nlabelled check, 500 annotations: {dict(verdict.counts)}")
    assert verdict.wrong == []
    assert verdict.counts["anchored"] + verdict.counts["relocated"] >= 490
