"""Cleaning short text that people type and others see."""

from __future__ import annotations

import unicodedata

# Characters that reorder the text around them (embeddings, overrides, isolates, marks): in a
# name they can make "Ada" read as someone else's name, or turn the words after it around.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def one_line(value: str) -> str:
    """A name as one plain line: no control or bidi-control characters, single spaces."""
    kept = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in value
        if ch not in BIDI_CONTROLS
    )
    return " ".join(kept.split())
