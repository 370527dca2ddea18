"""Ingestion: bytes of a source file to a reading text and its structure, as plain data.

Pure functions, no Django: `decode` the upload, `detect_format` if the editor did not
say, then `ingest`, which returns offsets that always agree with the text
(`consistency_problems` states the guarantees and checks them).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal, get_args

from .markdown import parse_markdown
from .ocr import parse_ocr
from .plain import parse_plain, split_lines
from .types import Block, FootnoteRef, Format, Ingested, Join, LineMap, Options, Page, Suspect

__all__ = [
    "Block",
    "FootnoteRef",
    "Format",
    "IngestError",
    "Ingested",
    "Join",
    "LineMap",
    "Options",
    "Page",
    "Suspect",
    "consistency_problems",
    "decode",
    "detect_format",
    "ingest",
]

ErrorCode = Literal["encoding", "binary", "empty"]

# More control characters than this share of the text: not a text file.
CONTROL_SHARE = 0.01
CONTROL_MIN = 3
# Share of NULs on one side of each byte pair that marks BOM-less UTF-16.
UTF16_NUL_SHARE = 0.3
# How much of a text `detect_format` reads.
SNIFF_CHARS = 64_000


class IngestError(ValueError):
    """The upload cannot become a reading text; `code` says why, for the editor's message."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: ErrorCode = code


_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)

# Windows-1252 leaves five bytes undefined; read those as Latin-1 does.
_CP1252 = {
    byte: bytes([byte]).decode("cp1252", errors="ignore") or chr(byte) for byte in range(0x80, 0xA0)
}
_CP1252_TABLE = str.maketrans({chr(byte): text for byte, text in _CP1252.items()})


def decode(data: bytes) -> str:
    """Text from an upload's bytes: UTF-8/16/32 by BOM or NUL pattern, UTF-8, else cp1252."""
    text = _decode(data)
    if not text.strip():
        raise IngestError("empty", "The file holds no text.")
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if controls > max(CONTROL_MIN, CONTROL_SHARE * len(text)):
        raise IngestError("binary", "The file does not look like text (control characters).")
    return text


def _decode(data: bytes) -> str:
    """Decode by BOM, then by NUL pattern, then UTF-8 strictly, then Windows-1252."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec)
            except UnicodeDecodeError as error:
                raise IngestError("encoding", f"The file is not valid {codec.upper()}.") from error
    if b"\x00" in data:
        utf16 = _utf16_by_nuls(data)
        if utf16 is None:
            raise IngestError("binary", "The file does not look like text (NUL bytes).")
        try:
            return data.decode(utf16)
        except UnicodeDecodeError as error:
            raise IngestError("binary", "The file does not look like text (NUL bytes).") from error
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1").translate(_CP1252_TABLE)


def _utf16_by_nuls(data: bytes) -> str | None:
    """UTF-16 without a BOM: mostly-ASCII text has a NUL in every other byte."""
    if len(data) % 2:
        return None
    pairs = len(data) // 2
    even, odd = data[0::2].count(0), data[1::2].count(0)
    if odd >= UTF16_NUL_SHARE * pairs and even <= 0.05 * pairs:
        return "utf-16-le"
    if even >= UTF16_NUL_SHARE * pairs and odd <= 0.05 * pairs:
        return "utf-16-be"
    return None


# Every pattern scans on from a start only as far as the next possible start ("[" stops a link
# or footnote label), and no whitespace run may be split two ways, so a guess stays linear.
_MD_STRONG = re.compile(
    r"^ {0,3}(?:#{1,6}\s+\S|```|~~~|\[\^[^\]\s]+\]:)|\[\^[^\[\]\s]+\]|<!--\s*page\s", re.M | re.I
)
_MD_WEAK = re.compile(
    r"\[[^\[\]\n]+\]\([^)\s\[\]]+\)|\*\*[^*\n]+\*\*|__[^_\n]+__|^[^\S\n]*+[-*+]\s+\S", re.M
)
_GLUED_MARK = re.compile(r"[^\W\d_][.,;:\"”]?\d{1,2}\s")
_BROKEN_WORD = re.compile(r"[^\W\d_]-\n[^\W\d_]*[a-z]")
_PAGE_NUMBER_LINE = re.compile(
    r"^[^\S\n]*+(?:[-–—][^\S\n]*+)?(?:page[^\S\n]*+)?\d{1,4}[^\S\n]*+(?:[-–—][^\S\n]*+)?$",
    re.M | re.I,
)


def detect_format(text: str) -> Format:
    """Guess the source format: Markdown syntax, OCR layout traces, else plain text."""
    if len(text) > SNIFF_CHARS:  # a format shows in its opening pages; keep the guess O(1)
        text = text[: text.rfind("\n", 0, SNIFF_CHARS) + 1 or SNIFF_CHARS]
    if _MD_STRONG.search(text) or len(_MD_WEAK.findall(text)) >= 2:
        return "markdown"
    lines = split_lines(text)
    content = [line for line in lines if line.strip()]
    if not content:
        return "plain"
    trailing = sum(line[-1:].isspace() for line in content)
    signals = [
        "\f" in text,
        len(_PAGE_NUMBER_LINE.findall(text)) >= 2,
        len(_BROKEN_WORD.findall(text)) >= 2,
        len(_GLUED_MARK.findall(text)) >= 2,
        len(content) >= 4 and trailing > 0.5 * len(content),
        content[0][:1] == " " and content[0][1:2] != " ",
    ]
    return "ocr" if sum(signals) >= 2 or (signals[0] and len(content) > 1) else "plain"


_DEFAULT_OPTIONS = Options()


def ingest(text: str, format: str = "auto", options: Options = _DEFAULT_OPTIONS) -> Ingested:
    """Parse `text` in `format` ("auto" guesses) into a consistent `Ingested`."""
    text = unicodedata.normalize("NFC", text)
    fmt = detect_format(text) if format == "auto" else format
    if fmt not in get_args(Format):
        raise ValueError(f"Unknown format {format!r}")
    if fmt == "ocr":
        result = parse_ocr(text, options)
    elif fmt == "markdown":
        result = parse_markdown(text, options)
    else:
        result = parse_plain(text, options)
    if not result.text:
        raise IngestError("empty", "The file holds no reading text.")
    if not unicodedata.is_normalized("NFC", result.text):
        result.warnings.append("Rejoined lines left the text not in NFC; offsets kept as they are.")
    problems = consistency_problems(result)
    if problems:
        raise RuntimeError("ingest produced inconsistent offsets: " + "; ".join(problems[:5]))
    return result


def consistency_problems(result: Ingested) -> list[str]:
    """Every way `result` breaks the offset guarantees (an empty list when it keeps them)."""
    text, size = result.text, len(result.text)
    problems: list[str] = []
    offsets = [(f"page {p.label}", p.start) for p in result.pages]
    offsets += [(f"footnote {r.label}", r.offset) for r in result.footnote_refs]
    offsets += [(f"join at line {j.line}", j.offset) for j in result.joins]
    offsets += [(f"line {m.line}", m.start) for m in result.line_map]
    offsets += [(f"suspect {s.text!r}", s.start) for s in result.suspects]
    offsets += [(f"suspect {s.text!r} end", s.end) for s in result.suspects]
    problems += [
        f"{what} at {at} is outside the text" for what, at in offsets if not 0 <= at <= size
    ]
    problems += [
        f"suspect {s.text!r} is not the text there"
        for s in result.suspects
        if text[s.start : s.end] != s.text
    ]
    problems += _block_problems(result)
    for name, values in (
        ("pages", [p.start for p in result.pages]),
        ("footnote refs", [r.offset for r in result.footnote_refs]),
        ("line map", [m.start for m in result.line_map]),
    ):
        if values != sorted(values):
            problems.append(f"{name} are not in text order")
    return problems


def _block_problems(result: Ingested) -> list[str]:
    """Blocks tile the text: sorted, trimmed, newline-free, separated by one blank line."""
    text = result.text
    problems: list[str] = []
    position = 0
    numbers = [b.number for b in result.blocks if b.kind == "paragraph"]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append("paragraphs are not numbered 1, 2, 3…")
    for index, block in enumerate(result.blocks):
        body = text[block.start : block.end]
        expected = position + 2 if index else 0
        if block.start != expected or not body or body != body.strip() or "\n" in body:
            problems.append(f"block {index} [{block.start}, {block.end}) is misplaced")
        if index and text[position : block.start] != "\n\n":
            problems.append(f"block {index} is not separated by a blank line")
        position = block.end
    if position != len(text):
        problems.append("the blocks do not cover the text")
    return problems
