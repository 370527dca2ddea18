from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.rendering import Marker, Range, block_views, segment


def test_overlapping_ranges_split_at_every_edge() -> None:
    text = "abcdefghij"
    pieces = segment(text, 0, 10, [], [Range(2, 6, "a"), Range(4, 8, "b")])
    assert [(p.text, sorted(p.keys)) for p in pieces] == [
        ("ab", []),
        ("cd", ["a"]),
        ("ef", ["a", "b"]),
        ("gh", ["b"]),
        ("ij", []),
    ]


def test_markers_sit_between_pieces_in_order() -> None:
    pieces = segment("one two", 0, 7, [Marker(0, "page", "5"), Marker(3, "ref", "2")], [])
    assert [(p.kind, p.text or p.label) for p in pieces] == [
        ("page", "5"),
        ("text", "one"),
        ("ref", "2"),
        ("text", " two"),
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.text(min_size=1, max_size=60),
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=12),
)
def test_pieces_rebuild_the_text_and_know_their_covering_ranges(
    text: str, spans: list[tuple[int, int]]
) -> None:
    n = len(text)
    ranges = [
        Range(min(a, b) % (n + 1), max(a, b) % (n + 1), f"r{i}") for i, (a, b) in enumerate(spans)
    ]
    pieces = segment(text, 0, n, [], ranges)
    assert "".join(p.text for p in pieces) == text
    for piece in pieces:
        expected = {
            r.key
            for r in ranges
            if r.start <= piece.start and piece.end <= r.end and r.start < r.end
        }
        assert piece.keys == expected


def test_page_starting_between_blocks_opens_the_next_block() -> None:
    revision = SimpleNamespace(
        text="First.\n\nSecond.",
        blocks=[
            {"kind": "paragraph", "start": 0, "end": 6, "page": "1", "number": 1},
            {"kind": "paragraph", "start": 8, "end": 15, "page": "2", "number": 2},
        ],
        pages=[{"label": "1", "start": 0}, {"label": "2", "start": 7}],
        footnote_refs=[{"label": "1", "offset": 6}],
        joins=[],
    )
    first, second = block_views(revision)
    assert [(p.kind, p.text or p.label) for p in first.pieces] == [
        ("page", "1"),
        ("text", "First."),
        ("ref", "1"),
    ]
    assert [(p.kind, p.text or p.label) for p in second.pieces] == [
        ("page", "2"),
        ("text", "Second."),
    ]
    assert (first.anchor, second.text) == ("p1", "Second.")
