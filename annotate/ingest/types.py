"""What ingestion produces: a reading text and its structure, as plain data.

Every offset counts Unicode code points of `Ingested.text` (NFC), the W3C
TextPositionSelector rule. Ranges are half-open `[start, end)`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Format = Literal["ocr", "markdown", "plain"]


@dataclass(frozen=True)
class Block:
    kind: Literal["heading", "paragraph"]
    start: int
    end: int
    page: str  # label of the printed page the block starts on ("" if the source has none)
    number: int | None  # paragraph number for citing (¶12); None for headings
    level: int = 0  # heading level (1 = top); 0 for paragraphs


@dataclass(frozen=True)
class Page:
    label: str  # the printed page number, e.g. "213"
    start: int


@dataclass(frozen=True)
class FootnoteRef:
    label: str  # "12"
    offset: int  # where the reference mark stood (it is not part of the text)


@dataclass(frozen=True)
class Suspect:
    start: int
    end: int
    text: str
    suggestions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Join:
    """Where a word or phrase was rejoined across a line break, for the editor's preview."""

    offset: int  # position in the text of the join
    kind: Literal["hyphenless", "hyphen", "compound", "dash", "space"]
    line: int  # 1-based source line that ended there


@dataclass(frozen=True)
class LineMap:
    line: int  # 1-based source line
    start: int  # offset in the text where that line's content begins


@dataclass
class Ingested:
    text: str
    format: Format
    blocks: list[Block]
    pages: list[Page]
    footnote_refs: list[FootnoteRef]
    suspects: list[Suspect]
    joins: list[Join]
    line_map: list[LineMap]
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Options:
    first_page: int | None = None  # printed number of the first page; None: from the source, else 1
    language: str = "en"
