"""Uploads decode whatever their encoding, and non-text is refused with a reason."""

from __future__ import annotations

import codecs

import pytest

from annotate.ingest import IngestError, decode

TEXT = "Kádár’s “régime” – 1956\nSecond line, naïve.\n"
ASCII = "The fate of East-Central Europe\nwas determined in 1945.\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (TEXT.encode("utf-8"), TEXT),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), TEXT),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), TEXT),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), TEXT),
        (codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"), TEXT),
        (ASCII.encode("utf-16-le"), ASCII),  # no BOM: found by the NUL pattern
        (ASCII.encode("utf-16-be"), ASCII),
        (TEXT.encode("cp1252"), TEXT),
        ("Café au lait, déjà vu.".encode("latin-1"), "Café au lait, déjà vu."),
    ],
    ids=[
        "utf8",
        "utf8-bom",
        "utf16le-bom",
        "utf16be-bom",
        "utf32le-bom",
        "utf16le",
        "utf16be",
        "cp1252",
        "latin1",
    ],
)
def test_decodes(data: bytes, expected: str) -> None:
    assert decode(data) == expected


def test_utf8_is_tried_strictly_before_cp1252() -> None:
    # "Ã©" is what cp1252 would make of UTF-8 "é": UTF-8 must win.
    assert decode("é".encode() * 3 + b" ok") == "ééé ok"


def test_bytes_cp1252_leaves_undefined_read_as_latin1() -> None:
    data = b"A long enough line of text with one odd byte \x81 in it, and more words."
    assert "\x81" in decode(data)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"   \n\t\r\n  ", "empty"),
        (codecs.BOM_UTF8, "empty"),
        (codecs.BOM_UTF16_LE + "  \n".encode("utf-16-le"), "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "binary"),
        (bytes(range(32)) * 20, "binary"),
        (b"text\x00with a NUL in the middle of it", "binary"),
        (b"abc" + b"\x01\x02\x03\x04\x05\x06\x07\x08" * 4 + b"def", "binary"),
        (codecs.BOM_UTF8 + b"\xff\xfe broken", "encoding"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8", "encoding"),
    ],
    ids=[
        "nothing",
        "whitespace",
        "bom-only",
        "utf16-whitespace",
        "png",
        "controls",
        "stray-nul",
        "many-controls",
        "bad-utf8-after-bom",
        "lone-surrogate",
    ],
)
def test_refuses(data: bytes, code: str) -> None:
    with pytest.raises(IngestError) as raised:
        decode(data)
    assert raised.value.code == code
    assert str(raised.value)
