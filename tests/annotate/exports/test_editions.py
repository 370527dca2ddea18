"""Annotated editions: the Edition data and its HTML, Markdown and TEI renderings."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from django.utils import timezone

from annotate.exports.edition import Edition, build_edition
from annotate.exports.html import render_html
from annotate.exports.markdown import render_markdown
from annotate.exports.tei import render_tei
from annotate.models import Annotation, Document, Revision
from annotate.services.annotations import annotation_create, reply_create
from annotate.services.documents import Edit, revision_correct
from core.models import User

XSS = "<img src=x onerror=alert(1)> <script>alert(2)</script> [x](javascript:alert(3))"
TEI = "{http://www.tei-c.org/ns/1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
WHEN = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)


@dataclass
class Setup:
    document: Document
    revision: Revision
    annotations: list[Annotation]
    spans: dict[str, tuple[int, int]]


def _parse(xml: str) -> ET.Element:
    return ET.fromstring(xml)


def _span(text: str, quote: str, start: int = 0) -> tuple[int, int]:
    at = text.index(quote, start)
    return at, at + len(quote)


@pytest.fixture
def setup(document: Document, roles: dict[str, User]) -> Setup:
    owner, member, moderator = roles["owner"], roles["member"], roles["moderator"]
    before = document.current
    assert before is not None
    typo = before.text.index("Hungaiy")
    revision = revision_correct(
        document=document,
        user=owner,
        edits=[Edit(typo, typo + len("Hungaiy"), "Hungary", reason="OCR misreading")],
        reason="OCR misreading",
    )
    document.refresh_from_db()
    text = revision.text
    spans = {
        "outer": _span(text, "the passivity of the West at the time of the Hungarian Revolution"),
        "cross": _span(text, "the West at the time of the Hungarian Revolution of 1956 is not"),
        "inner": _span(text, "Hungarian Revolution of 1956 is not as"),
        "corrected": _span(text, "public opinion in Hungary re"),
    }
    page3 = next(p["start"] for p in revision.pages if p["label"] == "3")
    spans["page"] = (page3 - 12, page3 + 15)
    ref = revision.footnote_refs[0]["offset"]
    spans["ref"] = (ref - 20, ref)
    made = [
        annotation_create(
            document=document,
            user=member,
            start=spans["outer"][0],
            end=spans["outer"][1],
            kind="comment",
            body=f"Passive **indeed**. {XSS} see [a source](https://example.org/x)",
            tags=["passivity", "west"],
        ),
        annotation_create(
            document=document,
            user=moderator,
            start=spans["cross"][0],
            end=spans["cross"][1],
            kind="claim",
            body="The West *chose* not to act.",
        ),
        annotation_create(
            document=document,
            user=owner,
            start=spans["inner"][0],
            end=spans["inner"][1],
            kind="highlight",
        ),
        annotation_create(
            document=document,
            user=member,
            start=spans["corrected"][0],
            end=spans["corrected"][1],
            kind="question",
            body="Whose opinion?",
        ),
        annotation_create(
            document=document,
            user=member,
            start=spans["page"][0],
            end=spans["page"][1],
            kind="comment",
            body="Across a page break.",
        ),
        annotation_create(
            document=document,
            user=moderator,
            start=spans["ref"][0],
            end=spans["ref"][1],
            kind="comment",
            body="Up to a footnote reference.",
        ),
    ]
    claim = made[1]
    reply_create(annotation=claim, user=member, body="Agreed, see ¶1.", stance="supports")
    hidden = reply_create(annotation=claim, user=owner, body="hidden reply", stance="disputes")
    hidden.hidden = True
    hidden.save()
    reply_create(annotation=claim, user=owner, body=f"No: {XSS}", stance="disputes")
    gone = annotation_create(
        document=document, user=owner, start=10, end=30, kind="comment", body="deleted"
    )
    gone.deleted_at = timezone.now()
    gone.save()
    annotations = list(
        Annotation.objects.filter(document=document)
        .select_related("author")
        .prefetch_related("replies__author")
    )
    return Setup(document, revision, annotations, spans)


def _names(setup: Setup) -> dict[str, str]:
    return {a.author.username: a.author.name for a in setup.annotations}


def _edition(setup: Setup, *, threads: bool = True) -> Edition:
    return build_edition(
        setup.document,
        setup.revision,
        setup.annotations,
        threads=threads,
        seminar_name="Hungary 1956",
        requester_name="Olivia Owner",
        exported_at=WHEN,
    )


def _blocks(revision: Revision) -> list[str]:
    return [revision.text[b["start"] : b["end"]] for b in revision.blocks]


# --- The Edition ------------------------------------------------------------------------


def test_edition_holds_the_text_notes_and_corrections(setup: Setup) -> None:
    edition = _edition(setup)
    assert edition.text == setup.revision.text
    assert edition.blocks == setup.revision.blocks
    assert edition.revision_number == setup.revision.number == 2
    assert [n.number for n in edition.notes] == list(range(1, 7))
    assert [n.start for n in edition.notes] == sorted(n.start for n in edition.notes)
    assert "deleted" not in [n.body for n in edition.notes]
    for note in edition.notes:
        assert edition.text[note.start : note.end] == note.exact
    claim = next(n for n in edition.notes if n.kind == "claim")
    assert claim.claim_status == "open"
    names = _names(setup)
    assert [(r.author, r.stance) for r in claim.replies] == [
        (names["mark"], "supports"),
        (names["olivia"], "disputes"),
    ]
    assert "hidden reply" not in [r.body for r in claim.replies]
    assert set(edition.contributors) == {names["mark"], names["mona"], names["olivia"]}
    (correction,) = edition.corrections
    assert (correction.original, correction.replacement) == ("Hungaiy", "Hungary")
    assert edition.text[correction.start : correction.end] == "Hungary"
    assert all(not n.replies for n in _edition(setup, threads=False).notes)


def test_corrections_map_through_earlier_length_changes(setup: Setup, roles: Any) -> None:
    text = setup.revision.text
    first, second = text.index("chilliest"), text.index("sporadic")
    revision = revision_correct(
        document=setup.document,
        user=roles["owner"],
        edits=[
            Edit(first, first + len("chilliest"), "coldest"),
            Edit(second, second + len("sporadic"), "occasional"),
        ],
    )
    edition = build_edition(
        setup.document,
        revision,
        [],
        threads=False,
        seminar_name="S",
        requester_name="R",
        exported_at=WHEN,
    )
    assert [revision.text[c.start : c.end] for c in edition.corrections] == [
        "coldest",
        "occasional",
    ]
    root = _parse(render_tei(edition))
    assert [
        (c.findtext(f"{TEI}sic"), c.findtext(f"{TEI}corr")) for c in root.iter(f"{TEI}choice")
    ] == [("chilliest", "coldest"), ("sporadic", "occasional")]


def test_annotations_of_another_revision_or_orphaned_are_left_out(setup: Setup) -> None:
    orphan = next(a for a in setup.annotations if a.body == "Whose opinion?")
    orphan.start = orphan.end = None
    orphan.anchor_status = Annotation.AnchorStatus.ORPHANED
    assert len(_edition(setup).notes) == 5


# --- HTML -------------------------------------------------------------------------------


class _Reader(HTMLParser):
    """Reading text per block (skipping data-nontext), the text under each note number, and
    every tag with its attributes."""

    VOID = {"meta", "br", "img", "hr", "input", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self.notes: dict[str, str] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        # (tag, inside a block, hidden, note numbers)
        self.stack: list[tuple[str, bool, bool, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        self.tags.append((tag, named))
        if tag in self.VOID:
            return
        parent = self.stack[-1] if self.stack else ("", False, False, [])
        if "data-block" in named:
            self.blocks.append("")
        inside = parent[1] or "data-block" in named
        hidden = parent[2] or "data-nontext" in named
        notes = (named.get("data-notes") or "").split() or parent[3]
        self.stack.append((tag, inside, hidden, notes))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID:
            assert self.stack.pop()[0] == tag

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1][1] and not self.stack[-1][2]:
            self.blocks[-1] += data
            for number in self.stack[-1][3]:
                self.notes[number] = self.notes.get(number, "") + data


def _read_html(page: str) -> _Reader:
    reader = _Reader()
    reader.feed(page)
    reader.close()
    return reader


def test_html_reads_the_revision_text_with_every_note_on_its_span(setup: Setup) -> None:
    edition = _edition(setup)
    page = render_html(edition)
    text_part = page[
        page.index('<article class="text">') : page.index('<section class="endnotes">')
    ]
    reader = _read_html(text_part)
    assert reader.blocks == _blocks(setup.revision)
    for note in edition.notes:
        assert reader.notes[str(note.number)] == note.exact
        assert f'href="#note-{note.number}"' in text_part
        assert f'id="note-{note.number}"' in page  # endnote
        assert f'id="m-note-{note.number}"' in page  # margin note
    assert "¶1" in text_part and 'class="pb"' in text_part and 'class="fn"' in text_part
    assert "@media print" in page and ".margin" in page
    # Overlap: a piece covered by three notes names them all.
    assert re.search(r'data-notes="1 2 3"', text_part)


def test_html_is_self_contained_and_member_text_is_inert(setup: Setup) -> None:
    page = render_html(_edition(setup))
    reader = _read_html(page)
    assert "<script" not in page.lower()
    names = {tag for tag, _ in reader.tags}
    assert not names & {"script", "img", "iframe", "object", "embed", "link", "base", "form"}
    for _tag, attrs in reader.tags:
        assert not [a for a in attrs if a.startswith("on")]
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//", "javascript:")), (name, value)
    assert "url(" not in page and "@import" not in page
    assert "<strong>indeed</strong>" in page  # member Markdown rendered
    assert "&lt;img src=x onerror=alert(1)&gt;" in page or "onerror" not in page


# --- Markdown ---------------------------------------------------------------------------

CALL = re.compile(r"\[\^(\d+)\]")
UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _md_reading(line: str) -> tuple[str, dict[str, int]]:
    """A Markdown line's reading text, and where in it each note call stands."""
    line = re.sub(r"^#+ ", "", line)
    out, calls, at = "", {}, 0
    token = re.compile(
        r"\[\^(\d+)\]|\[p\. [^\]]*\]|<sup>[^<]*</sup>|\\([!-/:-@\[-`{-~])|(&lt;|&amp;)|(.)", re.S
    )
    for match in token.finditer(line):
        if match.group(1):
            calls[match.group(1)] = len(out)
        elif match.group(2):
            out += match.group(2)
        elif match.group(3):
            out += {"&lt;": "<", "&amp;": "&"}[match.group(3)]
        elif match.group(4):
            out += match.group(4)
        at = match.end()
    assert at == len(line)
    return out, calls


def test_markdown_reads_the_revision_text_with_calls_at_span_ends(setup: Setup) -> None:
    edition = _edition(setup)
    document = render_markdown(edition)
    body, _, _ = document.partition("\n[^1]:")
    lines = body.split("\n---\n", 1)[1].strip("\n").split("\n\n")
    lines = [line for line in lines if not line.startswith("## Corrections")]
    lines = [line for line in lines if not line.startswith("- ~~")]
    lines = [line for line in lines if not re.fullmatch(r"(\[p\. [^\]]*\])+", line)]
    blocks = [_md_reading(line) for line in lines]
    assert [text for text, _ in blocks] == _blocks(setup.revision)
    for note in edition.notes:
        (b, block) = next(
            (i, b)
            for i, b in enumerate(setup.revision.blocks)
            if b["start"] <= note.start < b["end"]
        )
        assert blocks[b][1][str(note.number)] == note.end - block["start"]
        assert f"\n[^{note.number}]: " in document
    assert "[p. 3]" in document and "<sup>2</sup>" in document
    assert "## I. The Hungarian Revolution" in document
    assert "(supports)" in document and "Tags: `passivity`, `west`" in document
    assert "hidden reply" not in document and "deleted" not in document.split("---")[-1]


def test_markdown_member_text_is_inert_even_where_html_passes_through(setup: Setup) -> None:
    from markdown_it import MarkdownIt

    document = render_markdown(_edition(setup))
    assert "Passive **indeed**." in document  # members' Markdown kept as Markdown
    shown = MarkdownIt("commonmark", {"html": True}).render(document)
    assert "<img" not in shown and "<script" not in shown.lower()
    assert "javascript:" not in shown.lower()


def test_markdown_escapes_text_that_looks_like_markup() -> None:
    from markdown_it import MarkdownIt

    from annotate.exports.markdown import escape_md

    text = "# not a heading *nor* [a link](x) <b> 1956. & done_ &amp;"
    assert _md_reading(escape_md(text))[0] == text
    assert "<b>" not in escape_md(text) and "\\*nor\\*" in escape_md(text)
    # `<` and `&` as entities, which every Markdown reads (Python-Markdown has no `\<`).
    assert "&lt;b\\>" in escape_md(text) and "\\<" not in escape_md(text)
    shown = MarkdownIt("commonmark", {"html": True}).render(escape_md(text))
    assert (
        shown
        == "<p>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</p>\n"
    )


# --- TEI --------------------------------------------------------------------------------


def _tei_blocks(root: ET.Element) -> list[tuple[str, dict[str, int]]]:
    """Each <p>/<head>'s reading text (no <sic>), with where each anchor stands in it."""
    found = []

    def walk(element: ET.Element, out: list[str], anchors: dict[str, int]) -> None:
        out.append(element.text or "")
        for child in element:
            if child.tag == f"{TEI}anchor":
                anchors[child.get(XML_ID, "")] = len("".join(out))
            elif child.tag != f"{TEI}sic":
                walk(child, out, anchors)
            out.append(child.tail or "")

    body = root.find(f"{TEI}text/{TEI}body")
    assert body is not None
    for element in body.iter():
        if element.tag in {f"{TEI}p", f"{TEI}head"}:
            out: list[str] = []
            anchors: dict[str, int] = {}
            walk(element, out, anchors)
            out[0] = element.text or ""
            found.append(("".join(out), anchors))
    return found


def test_tei_is_well_formed_and_reads_the_revision_text(setup: Setup) -> None:
    edition = _edition(setup)
    xml = render_tei(edition)
    root = _parse(xml)
    assert root.tag == f"{TEI}TEI"
    header = root.find(f"{TEI}teiHeader/{TEI}fileDesc")
    assert header is not None
    assert header.findtext(f"{TEI}titleStmt/{TEI}title") == setup.document.title
    assert header.find(f"{TEI}publicationStmt") is not None
    assert header.find(f"{TEI}sourceDesc/{TEI}bibl") is not None
    blocks = _tei_blocks(root)
    assert [text for text, _ in blocks] == _blocks(setup.revision)
    assert [p.get("n") for p in root.iter(f"{TEI}p") if p.get("n", "").startswith("¶")][:3] == [
        "¶1",
        "¶2",
        "¶3",
    ]
    assert [pb.get("n") for pb in root.iter(f"{TEI}pb")] == [
        p["label"] for p in setup.revision.pages
    ]
    refs = [r.get("n") for r in root.iter(f"{TEI}ref") if r.get("type") == "noteAnchor"]
    assert refs == [r["label"] for r in setup.revision.footnote_refs]
    ((sic, corr),) = [
        (c.findtext(f"{TEI}sic"), c.findtext(f"{TEI}corr")) for c in root.iter(f"{TEI}choice")
    ]
    assert (sic, corr) == ("Hungaiy", "Hungary")
    change = root.find(f"{TEI}teiHeader/{TEI}revisionDesc/{TEI}change")
    assert change is not None and change.text == "OCR misreading" and change.get("n") == "2"


def test_tei_anchors_enclose_each_annotation_exactly(setup: Setup) -> None:
    edition = _edition(setup)
    root = _parse(render_tei(edition))
    ids = {e.get(XML_ID) for e in root.iter() if e.get(XML_ID)}
    blocks = _tei_blocks(root)
    for note in edition.notes:
        start, end = f"a{note.number}-start", f"a{note.number}-end"
        (text, anchors) = next(b for b in blocks if start in b[1])
        assert text[anchors[start] : anchors[end]] == note.exact
        (element,) = [n for n in root.iter(f"{TEI}note") if n.get(XML_ID) == f"note{note.number}"]
        assert element.get("target") == f"#{start}" and element.get("targetEnd") == f"#{end}"
        assert {start, end} <= ids
        assert element.findtext(f"{TEI}quote") == note.exact
    claim = next(n for n in root.iter(f"{TEI}note") if n.get("type") == "claim")
    assert claim.get("subtype") == "open"
    assert len(list(claim.iter(f"{TEI}item"))) == 2
    # Member text is character data, never markup.
    assert not list(root.iter(f"{TEI}img")) and not list(root.iter("img"))
    assert any("onerror" in (p.text or "") for p in root.iter(f"{TEI}p"))
