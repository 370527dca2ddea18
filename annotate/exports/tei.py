"""The annotated edition as TEI P5 XML.

Notes are stand-off: empty <anchor/> milestones mark where each annotated span starts and
ends, and <note target="#aN-start" targetEnd="#aN-end"> in <back> holds the note, so any
number of overlapping spans survive without one element crossing another. The editor's
corrections are <choice><sic>…</sic><corr>…</corr></choice>, page starts <pb/>, footnote
references <ref type="noteAnchor"/>. The output is valid against TEI P5's tei_all schema
(tests/annotate/exports/test_tei_valid.py checks it).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any

from annotate.exports.edition import Correction, Edition, Note
from annotate.rendering import Marker, Range, revision_markers, segment

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
ET.register_namespace("", TEI_NS)


def _t(tag: str) -> str:
    return f"{{{TEI_NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, _t(tag), {k: v for k, v in attrs.items()})
    if text is not None:
        element.text = _clean(text)
    return element


def _clean(text: str) -> str:
    """XML 1.0 cannot carry most control characters, even escaped."""
    return "".join(
        ch
        for ch in text
        if ch in "\t\n\r"
        or (" " <= ch <= "\ud7ff")
        or ("\ue000" <= ch <= "\ufffd")
        or ch > "\uffff"
    )


def _append_text(parent: ET.Element, text: str) -> None:
    text = _clean(text)
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


class _Block:
    """Writes one block's mixed content; a correction open at an offset nests text in <corr>."""

    def __init__(self, element: ET.Element) -> None:
        self.element = element
        self.corr: ET.Element | None = None

    @property
    def here(self) -> ET.Element:
        return self.corr if self.corr is not None else self.element

    def text(self, text: str) -> None:
        _append_text(self.here, text)

    def empty(self, tag: str, **attrs: str) -> None:
        _sub(self.here, tag, **attrs)

    def open_choice(self, correction: Correction) -> None:
        choice = _sub(self.here, "choice")
        _sub(choice, "sic", correction.original)
        self.corr = _sub(choice, "corr")

    def close_choice(self) -> None:
        self.corr = None


def _anchor_offsets(edition: Edition) -> tuple[dict[int, list[Note]], dict[int, list[Note]]]:
    """Where each note's start and end milestones go, moved into the nearest block if a span
    begins or ends in the space between blocks."""
    blocks = edition.blocks
    starts: dict[int, list[Note]] = defaultdict(list)
    ends: dict[int, list[Note]] = defaultdict(list)
    for note in edition.notes:
        start = next(
            (max(note.start, b["start"]) for b in blocks if b["end"] > note.start), note.start
        )
        end = next(
            (min(note.end, b["end"]) for b in reversed(blocks) if b["start"] < note.end), note.end
        )
        starts[start].append(note)
        ends[end].append(note)
    return starts, ends


def _write_block(
    writer: _Block,
    edition: Edition,
    block: dict[str, Any],
    markers: list[Marker],
    starts: dict[int, list[Note]],
    ends: dict[int, list[Note]],
) -> None:
    b_start, b_end = int(block["start"]), int(block["end"])
    corrections = [c for c in edition.corrections if b_start <= c.start <= b_end]
    ranges = [Range(c.start, c.end, f"c{i}") for i, c in enumerate(corrections)]
    ranges += [Range(n.start, n.end, n.key) for n in edition.notes]
    opening = {c.start: c for c in corrections}
    closing = {c.end for c in corrections if c.end > c.start}
    done_close: set[int] = set()
    done_open: set[int] = set()

    def close(at: int) -> None:
        if at in done_close:
            return
        done_close.add(at)
        if at in closing and writer.corr is not None:
            writer.close_choice()
        for note in ends.get(at, ()):
            writer.empty("anchor", **{XML_ID: f"a{note.number}-end"})

    def open_(at: int) -> None:
        if at in done_open:
            return
        done_open.add(at)
        for note in starts.get(at, ()):
            writer.empty("anchor", **{XML_ID: f"a{note.number}-start"})
        correction = opening.get(at)
        if correction is not None:
            writer.open_choice(correction)
            if correction.end == correction.start:  # a deletion: nothing left to read
                writer.close_choice()

    for piece in segment(edition.text, b_start, b_end, markers, ranges):
        close(piece.start)
        if piece.kind == "page":
            writer.empty("pb", n=_clean(piece.label))
        elif piece.kind == "ref":
            writer.empty("ref", type="noteAnchor", n=_clean(piece.label))
        elif piece.kind == "text":
            open_(piece.start)
            writer.text(piece.text)
    close(b_end)
    open_(b_end)
    writer.close_choice()


def _header(root: ET.Element, edition: Edition) -> None:
    header = _sub(root, "teiHeader")
    file_desc = _sub(header, "fileDesc")
    title_stmt = _sub(file_desc, "titleStmt")
    _sub(title_stmt, "title", edition.title, type="main")
    _sub(title_stmt, "title", "An annotated edition", type="sub")
    if edition.author:
        _sub(title_stmt, "author", edition.author)
    for name in edition.contributors:
        resp_stmt = _sub(title_stmt, "respStmt")
        _sub(resp_stmt, "resp", "annotation")
        _sub(resp_stmt, "name", name)
    edition_stmt = _sub(file_desc, "editionStmt")
    _sub(
        edition_stmt,
        "edition",
        f"Revision {edition.revision_number}",
        n=str(edition.revision_number),
    )
    pub = _sub(file_desc, "publicationStmt")
    _sub(pub, "authority", edition.seminar)
    _sub(pub, "date", f"{edition.exported_at:%Y-%m-%d}", when=edition.exported_at.isoformat())
    availability = _sub(pub, "availability", status="restricted")
    _sub(availability, "p", f"Exported for {edition.requester}; not for redistribution.")
    source = _sub(file_desc, "sourceDesc")
    _sub(source, "bibl", edition.citation or edition.title)
    # Replies point at their stance (ana="#stance-supports"), so the stances need defining.
    stances = sorted({reply.stance for note in edition.notes for reply in note.replies})
    if stances:
        class_decl = _sub(_sub(header, "encodingDesc"), "classDecl")
        taxonomy = _sub(class_decl, "taxonomy", **{XML_ID: "stances"})
        for stance in stances:
            category = _sub(taxonomy, "category", **{XML_ID: _stance_id(stance)})
            _sub(category, "catDesc", stance.replace("_", " ").capitalize())
    if edition.revision_reason or edition.corrections:
        revision_desc = _sub(header, "revisionDesc")
        # The revision's reason already lists its edits' reasons ("Second reading; OCR …").
        reasons = [edition.revision_reason] + [c.reason for c in edition.corrections]
        parts = (part.strip() for reason in reasons for part in reason.split(";"))
        said = "; ".join(dict.fromkeys(part for part in parts if part))
        _sub(revision_desc, "change", said or "Correction", n=str(edition.revision_number))


def _stance_id(stance: str) -> str:
    return "stance-" + "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stance)


def _note(parent: ET.Element, note: Note) -> None:
    attrs = {
        XML_ID: f"note{note.number}",
        "n": str(note.number),
        "type": note.kind,
        "target": f"#a{note.number}-start",
        "targetEnd": f"#a{note.number}-end",
    }
    if note.claim_status:
        attrs["subtype"] = note.claim_status
    element = _sub(parent, "note", **attrs)
    _sub(element, "name", note.author, type="author")
    _sub(element, "date", f"{note.created_at:%Y-%m-%d}", when=note.created_at.isoformat())
    _sub(element, "quote", note.exact)
    for paragraph in (p.strip() for p in note.body.split("\n\n")):
        if paragraph:
            _sub(element, "p", paragraph)
    if note.tags:
        terms = _sub(element, "list", type="tags")
        for tag in note.tags:
            _sub(_sub(terms, "item"), "term", tag)
    if note.replies:
        replies = _sub(element, "list", type="replies")
        for reply in note.replies:
            item = _sub(replies, "item", ana=f"#{_stance_id(reply.stance)}", n=str(reply.depth))
            _sub(item, "name", reply.author, type="author")
            _sub(item, "date", f"{reply.created_at:%Y-%m-%d}", when=reply.created_at.isoformat())
            for paragraph in (p.strip() for p in reply.body.split("\n\n")):
                if paragraph:
                    _sub(item, "p", paragraph)


def render_tei(edition: Edition) -> str:
    root = ET.Element(_t("TEI"))
    _header(root, edition)
    text = _sub(root, "text")
    body = _sub(text, "body")
    markers = revision_markers(edition)
    starts, ends = _anchor_offsets(edition)
    # Headings open (nested) divisions; paragraphs before the first heading sit in <body>.
    stack: list[tuple[int, ET.Element]] = [(0, body)]
    previous_end = 0
    for block in edition.blocks:
        # Markers in the gap before a block belong to its start (as in rendering.block_views).
        lead = [m for m in markers if previous_end < m.offset < block["start"]]
        inside = [m for m in markers if block["start"] <= m.offset <= block["end"]]
        previous_end = block["end"]
        if block["kind"] == "heading":
            level = max(int(block.get("level") or 1), 1)
            while stack[-1][0] >= level:
                stack.pop()
            div = _sub(stack[-1][1], "div")
            stack.append((level, div))
            # A page that starts before a heading starts before its <head>; a <ref> is phrase
            # level, which a <div> cannot hold, so it opens the heading.
            for m in lead:
                if m.kind == "page":
                    _sub(div, "pb", n=_clean(m.label))
            lead = [m for m in lead if m.kind != "page"]
            element = _sub(div, "head")
        else:
            element = _sub(stack[-1][1], "p")
            if block.get("number") is not None:
                element.set("n", f"¶{block['number']}")
                element.set(XML_ID, f"p{block['number']}")
        lead = [Marker(block["start"], m.kind, m.label) for m in lead]
        _write_block(_Block(element), edition, block, lead + inside, starts, ends)
    if not len(body):  # TEI's <body> cannot be empty
        _sub(body, "p")
    back = _sub(text, "back")
    div = _sub(back, "div", type="annotations")
    if edition.notes:
        for note in edition.notes:
            _note(div, note)
    else:
        _sub(div, "p", "No annotations.")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
