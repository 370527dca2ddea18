"""Likely OCR misreadings, listed for an editor and never corrected silently.

A word is suspect when it is unknown to the word-frequency lists (lowercase
words only: capitalised unknown words are usually names), or when swapping one
glyph group the OCR engine commonly confuses ("rn" for "m", "i" for "r", ...)
gives a much more frequent word. Frequencies come from `wordfreq` (offline).
"""

from __future__ import annotations

import re
from functools import lru_cache

from wordfreq import zipf_frequency

from .types import Suspect

# Glyph groups OCR engines confuse, as (printed, meant); every pair is tried both ways.
CONFUSIONS: tuple[tuple[str, str], ...] = (
    ("rn", "m"),
    ("nn", "rm"),
    ("nn", "m"),
    ("ri", "n"),
    ("i", "r"),
    ("iy", "ry"),
    ("l", "i"),
    ("ii", "u"),
    ("cl", "d"),
    ("vv", "w"),
    ("li", "h"),
    ("1", "l"),
    ("0", "o"),
    ("c", "e"),
)

# A known word is suspect when a confusion variant is at least this much more
# frequent (Zipf units, log10): "finn" 3.78 vs "firm" 4.79 must be caught.
MARGIN = 1.0
# ... and the variant itself must be a common word, so rare words stay unflagged,
VARIANT_FLOOR = 4.5
# ... and the printed word not a common one itself ("lie" is not a misread "he").
OWN_CEILING = 4.0
# A capitalised unknown word is suspect only if a variant is at least this common
# ("Hungaiy" → "Hungary" 3.91); other unknown capitalised words are names.
NAME_VARIANT_FLOOR = 3.5
MIN_LENGTH = 3
# An unknown word made of two words this common is a closed compound ("elbowroom").
COMPOUND_FLOOR = 3.5
# Longer tokens skip the variant and compound checks, which cost a word-list lookup per letter:
# wordfreq's lists hold only a handful of longer words, and none of Zipf 3.5 or more has over 26
# letters, so the checks could hardly ever succeed. Such a token is still an unknown word.
MAX_WORD = 40

_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=500_000)
def zipf(word: str, language: str = "en") -> float:
    """Cached Zipf frequency of `word` (0.0 when unknown or the language is unsupported)."""
    try:
        return float(zipf_frequency(word, language))
    except (LookupError, ValueError):  # ValueError: not a language tag at all ('"><svg')
        return 0.0


@lru_cache(maxsize=64)
def supported(language: str) -> bool:
    """Whether wordfreq has a word list for `language` (without one, nothing is suspect)."""
    try:
        zipf_frequency("a", language)
    except (LookupError, ValueError):
        return False
    return True


@lru_cache(maxsize=200_000)
def variants(word: str) -> tuple[str, ...]:
    """Every spelling one confusion away from `word` (lowercase), letters only."""
    found: set[str] = set()
    if len(word) > MAX_WORD:
        return ()
    for printed, meant in CONFUSIONS:
        for a, b in ((printed, meant), (meant, printed)):
            start = word.find(a)
            while start != -1:
                candidate = word[:start] + b + word[start + len(a) :]
                if candidate.isalpha() and candidate != word:
                    found.add(candidate)
                start = word.find(a, start + 1)
    return tuple(sorted(found))


@lru_cache(maxsize=200_000)
def ranked_variants(word: str, language: str = "en") -> tuple[tuple[str, float], ...]:
    """Known variants of `word` with their frequency, most frequent first."""
    scored = [(v, zipf(v, language)) for v in variants(word)]
    return tuple(sorted(((v, z) for v, z in scored if z > 0), key=lambda vz: (-vz[1], vz[0])))


def _match_case(template: str, word: str) -> str:
    """Give a suggestion the capitalisation of the printed word."""
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


@lru_cache(maxsize=200_000)
def suggestions_for(token: str, language: str = "en") -> tuple[str, ...] | None:
    """Suggestions when `token` looks misread, else None (an empty tuple: unknown, no idea)."""
    if len(token) < MIN_LENGTH or token.isupper():
        return None
    if any(ch.isdigit() for ch in token):
        return _digit_suggestions(token, language)
    lower = token.lower()
    if lower != token and not (token[0].isupper() and token[1:].islower()):
        return None  # mixed case such as "McCarthy": leave names alone
    own = zipf(lower, language)
    ranked = ranked_variants(lower, language)
    if token[0].isupper():
        if own > 0 or not ranked or ranked[0][1] < NAME_VARIANT_FLOOR:
            return None
        return tuple(_match_case(token, v) for v, _ in ranked[:5])
    if own == 0:
        if not ranked and _closed_compound(lower, language):
            return None
        return tuple(v for v, _ in ranked[:5])
    if own >= OWN_CEILING:
        return None
    better = [v for v, z in ranked if z - own >= MARGIN and z >= VARIANT_FLOOR]
    return tuple(better[:5]) if better else None


def _closed_compound(word: str, language: str) -> bool:
    """'elbowroom': two common words written as one, not a misreading."""
    return len(word) <= MAX_WORD and any(
        zipf(word[:cut], language) >= COMPOUND_FLOOR
        and zipf(word[cut:], language) >= COMPOUND_FLOOR
        for cut in range(MIN_LENGTH, len(word) - MIN_LENGTH + 1)
    )


def _digit_suggestions(token: str, language: str) -> tuple[str, ...] | None:
    """'wi1l' → 'will': digits 1 and 0 inside letters are usually l and o."""
    letters = sum(ch.isalpha() for ch in token)
    if letters < 2 or any(ch.isdigit() and ch not in "01" for ch in token):
        return None
    if token[0].isdigit() and token.lstrip("01").lower() in {"st", "nd", "rd", "th", "s"}:
        return None
    fixed = token.replace("1", "l").replace("0", "o")
    if zipf(fixed.lower(), language) == 0:
        return None
    return (fixed,)


def find_suspects(text: str, language: str = "en") -> list[Suspect]:
    """Every word of `text` that looks misread, in text order."""
    found: list[Suspect] = []
    if not supported(language):
        return found
    for match in _WORD.finditer(text):
        token = match.group()
        if token.isdigit():
            continue
        suggestions = suggestions_for(token, language)
        if suggestions is not None:
            found.append(Suspect(match.start(), match.end(), token, list(suggestions)))
    return found
