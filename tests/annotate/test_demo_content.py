"""The demo seminar’s annotations fit the cleaned OCR sample they are written on.

Every quote must be found in the reading text Glossa makes of the sample, so the demo anchors
exactly; the rest checks the shape of the file and that the demo shows what it is meant to show
(all four kinds, threads, overlapping demo). No database is needed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from annotate.ingest import ingest
from annotate.markdown import mentions
from annotate.models import Annotation
from annotate.services.annotations import clean_tags

SAMPLES = Path(__file__).resolve().parents[2] / "annotate" / "samples"
SAMPLE = SAMPLES / "hungarian-revolution-1956-superpowers.ocr.txt"
DEMO = SAMPLES / "demo_annotations.json"

MEMBERS = {"ada", "miklos", "rosa", "tom", "june"}
MINIMUM = {"claim": 8, "question": 6, "comment": 10, "highlight": 1}
FIELDS = {"author", "kind", "quote", "occurrence", "body", "tags", "visibility", "replies"}


@pytest.fixture(scope="module")
def text() -> str:
    return ingest(SAMPLE.read_text(encoding="utf-8"), "ocr").text


@pytest.fixture(scope="module")
def demo() -> list[dict[str, Any]]:
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


def label(annotation: dict[str, Any]) -> str:
    return f"{annotation['author']}/{annotation['kind']}: {annotation['quote'][:40]!r}"


def nth(text: str, quote: str, occurrence: int) -> int:
    """Where the `occurrence`-th (1-based) exact occurrence of `quote` starts, or -1."""
    start = -1
    for _ in range(occurrence):
        start = text.find(quote, start + 1)
        if start < 0:
            return -1
    return start


def walk(replies: list[dict[str, Any]], depth: int = 1) -> Iterator[tuple[dict[str, Any], int]]:
    for reply in replies:
        yield reply, depth
        yield from walk(reply.get("replies", []), depth + 1)


def test_the_file_has_the_expected_shape(demo: list[dict[str, Any]]) -> None:
    assert 30 <= len(demo) <= 40
    for annotation in demo:
        assert set(annotation) == FIELDS, label(annotation)
        assert isinstance(annotation["occurrence"], int), label(annotation)
        assert annotation["occurrence"] >= 1, label(annotation)
        assert isinstance(annotation["replies"], list), label(annotation)


def test_every_quote_occurs_in_the_cleaned_text(text: str, demo: list[dict[str, Any]]) -> None:
    missing = [label(a) for a in demo if text.count(a["quote"]) < a["occurrence"]]
    assert missing == []


def test_quotes_are_short_passages(demo: list[dict[str, Any]]) -> None:
    for annotation in demo:
        quote = annotation["quote"]
        assert quote == quote.strip(), label(annotation)
        assert 3 <= len(quote.split()) <= 30, label(annotation)


def test_authors_kinds_and_visibility_are_valid(demo: list[dict[str, Any]]) -> None:
    for annotation in demo:
        assert annotation["author"] in MEMBERS, label(annotation)
        assert annotation["kind"] in Annotation.Kind.values, label(annotation)
        assert annotation["visibility"] in Annotation.Visibility.values, label(annotation)
    visibilities = Counter(a["visibility"] for a in demo)
    assert visibilities["private"] >= 1
    assert visibilities["seminar"] > visibilities["private"]


def test_highlights_are_bare_and_the_rest_say_something(
    demo: list[dict[str, Any]],
) -> None:
    for annotation in demo:
        if annotation["kind"] == Annotation.Kind.HIGHLIGHT:
            assert annotation["body"] == "", label(annotation)
            assert annotation["replies"] == [], label(annotation)
        else:
            assert annotation["body"].strip(), label(annotation)


def test_tags_are_already_clean(demo: list[dict[str, Any]]) -> None:
    for annotation in demo:
        assert annotation["tags"], label(annotation)
        assert clean_tags(annotation["tags"]) == annotation["tags"], label(annotation)
    tags = Counter(tag for a in demo for tag in a["tags"])
    assert tags["ocr"] >= 1


def test_replies_are_by_members_and_nest_at_most_one_level(
    demo: list[dict[str, Any]],
) -> None:
    for annotation in demo:
        for reply, depth in walk(annotation["replies"]):
            assert set(reply) <= {"author", "body", "replies"}, label(annotation)
            assert reply["author"] in MEMBERS, label(annotation)
            assert reply["body"].strip(), label(annotation)
            assert depth <= 2, label(annotation)


def test_mentions_name_demo_members(demo: list[dict[str, Any]]) -> None:
    bodies = [a["body"] for a in demo]
    bodies += [reply["body"] for a in demo for reply, _ in walk(a["replies"])]
    mentioned = set().union(*(mentions(body) for body in bodies))
    assert mentioned
    assert mentioned <= MEMBERS


def test_every_kind_is_well_represented(demo: list[dict[str, Any]]) -> None:
    kinds = Counter(a["kind"] for a in demo)
    for kind, minimum in MINIMUM.items():
        assert kinds[kind] >= minimum, (kind, kinds[kind])


def test_there_are_discussion_threads(demo: list[dict[str, Any]]) -> None:
    threads = [a for a in demo if a["replies"]]
    assert 12 <= len(threads) <= 20
    assert any(reply.get("replies") for a in threads for reply in a["replies"])
    for annotation in threads:
        assert 1 <= len(annotation["replies"]) <= 4, label(annotation)


def test_some_annotations_overlap(text: str, demo: list[dict[str, Any]]) -> None:
    spans = []
    for annotation in demo:
        start = nth(text, annotation["quote"], annotation["occurrence"])
        assert start >= 0, label(annotation)
        spans.append((start, start + len(annotation["quote"])))
    overlapping = [(a, b) for a, b in combinations(sorted(spans), 2) if b[0] < a[1]]
    assert len(overlapping) >= 3


def test_annotations_cover_the_whole_article(text: str, demo: list[dict[str, Any]]) -> None:
    section_1 = text.index("I. The Hungarian Revolution of 1956 and the Superpowers")
    section_2 = text.index("II. The International Aftermath of the Revolution")
    starts = [nth(text, a["quote"], a["occurrence"]) for a in demo]
    parts = Counter(
        "introduction" if s < section_1 else "section I" if s < section_2 else "section II"
        for s in starts
    )
    assert parts["introduction"] >= 2
    assert parts["section I"] >= 15
    assert parts["section II"] >= 6
