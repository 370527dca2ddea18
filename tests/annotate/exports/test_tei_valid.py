"""The TEI edition is well-formed XML and valid TEI P5: it validates against tei_all.rng.

The schema is vendored (schemas/README.txt says where it came from); nothing is fetched.
"""

from __future__ import annotations

import dataclasses
import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from annotate.exports.edition import Edition, build_edition
from annotate.exports.tei import render_tei
from annotate.models import Annotation, Document, Revision
from annotate.selectors import with_threads
from annotate.services.annotations import annotation_create, reply_create
from annotate.services.documents import Edit, document_import, revision_correct
from annotate.services.moderation import claim_dispute, claim_set_status
from core.models import Seminar, User
from tests.factories import member

SCHEMA = Path(__file__).resolve().parent / "schemas" / "tei_all.rng.gz"
TEI = "{http://www.tei-c.org/ns/1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
POINTERS = ("target", "targetEnd", "ana", "corresp")
WHEN = datetime(2025, 3, 4, 12, 0, 0, 123456, tzinfo=UTC)
# What XML 1.0 cannot carry (C0 controls, U+FFFE/U+FFFF) next to what a careless writer
# turns into markup (]]>, <, &), emoji of several code points and a right-to-left override.
AWKWARD = (
    "a\x01b\x08\x0b\x0c\x1b\x7f ]]> <b>x</b> &amp; <![CDATA[y]]> \ufffe\uffff 🇭🇺👍🏽 \u202ertl"
)


@pytest.fixture(scope="session")
def tei_all() -> etree.RelaxNG:
    """Compiled once a run (pytest-django reorders tests across modules): libxml2 takes
    seconds over the full TEI."""
    return etree.RelaxNG(etree.fromstring(gzip.decompress(SCHEMA.read_bytes())))


def _valid(schema: etree.RelaxNG, xml: str) -> etree._Element:
    """The parsed edition; fails with the schema's error log unless it is valid TEI P5."""
    root = etree.fromstring(xml.encode("utf-8"))
    if not schema.validate(root):
        log = "\n".join(f"line {e.line}: {e.message} [{e.path}]" for e in schema.error_log)
        pytest.fail(f"not valid against tei_all.rng:\n{log}", pytrace=False)
    # tei_all's Schematron (XPath 2, which libxml2 lacks) would check that pointers land.
    ids = {element.get(XML_ID) for element in root.iter() if element.get(XML_ID)}
    dangling = [
        (element.tag, name, value)
        for element in root.iter()
        for name in POINTERS
        for value in (element.get(name) or "").split()
        if value.startswith("#") and value[1:] not in ids
    ]
    assert not dangling
    return root


def _span(text: str, quote: str, start: int = 0) -> tuple[int, int]:
    at = text.index(quote, start)
    return at, at + len(quote)


def _annotations(document: Document) -> list[Annotation]:
    return list(with_threads(Annotation.objects.filter(document=document)))


def _edition(
    document: Document,
    revision: Revision,
    annotations: list[Annotation],
    *,
    seminar_name: str = "Hungary 1956",
    requester_name: str = "Olivia Owner",
) -> Edition:
    return build_edition(
        document,
        revision,
        annotations,
        threads=True,
        seminar_name=seminar_name,
        requester_name=requester_name,
        exported_at=WHEN,
    )


def test_the_vendored_schema_rejects_what_tei_forbids(tei_all: etree.RelaxNG) -> None:
    """A schema that loaded as something laxer would pass every test below."""
    header = (
        "<teiHeader><fileDesc><titleStmt><title>t</title></titleStmt>"
        "<publicationStmt><p>p</p></publicationStmt><sourceDesc><p>s</p></sourceDesc>"
        "</fileDesc></teiHeader>"
    )
    tei = '<TEI xmlns="http://www.tei-c.org/ns/1.0">{}<text><body>{}</body></text></TEI>'
    assert tei_all.validate(etree.fromstring(tei.format(header, "<p>fine</p>")))
    for header_part, body in [
        ("", "<p>no header</p>"),
        (header, "<p><div/></p>"),
        (header, '<p><anchor n="1">text</anchor></p>'),
        (header, "<p><bogus/></p>"),
        (header.replace("<p>p</p>", "<authority>a</authority><p>p</p>"), "<p>x</p>"),
    ]:
        assert not tei_all.validate(etree.fromstring(tei.format(header_part, body))), body


@pytest.fixture
def annotated(document: Document, roles: dict[str, User]) -> Edition:
    """The OCR sample after a second revision of corrections, annotated the hard ways."""
    owner, reader, moderator = roles["owner"], roles["member"], roles["moderator"]
    first = document.current
    assert first is not None
    old = first.text
    typo = old.index("Hungaiy")
    dropped = old.index(" totally")
    comma = old.index("In this paper") + len("In this paper")
    colon = old.index("Superpowers: ") + len("Superpowers")
    revision = revision_correct(
        document=document,
        user=owner,
        edits=[
            Edit(typo, typo + len("Hungaiy"), "Hungary", reason="OCR misreading"),
            Edit(dropped, dropped + len(" totally"), "", reason="Not in the original"),
            Edit(colon, colon + 1, " –", reason="Punctuation"),  # in the heading
            Edit(comma, comma, ",", reason="Punctuation"),
        ],
        reason="Second reading",
    )
    document.refresh_from_db()
    text = revision.text
    heading = next(b for b in revision.blocks if b["kind"] == "heading")
    page3 = next(p["start"] for p in revision.pages if p["label"] == "3")
    ref = revision.footnote_refs[0]["offset"]
    spans = [
        _span(text, "the passivity of the West at the time of the Hungarian Revolution"),
        _span(text, "the West at the time of the Hungarian Revolution of 1956 is not"),
        _span(text, "Hungarian Revolution of 1956 is not as"),
        _span(text, "public opinion in Hungary re"),
        _span(text, "Hungary"),  # exactly the correction
        _span(text, "but it contradicted"),  # across the deletion
        _span(text, "In this paper, I"),  # across the insertion
        (page3 - 12, page3 + 15),  # across a page break
        (ref - 20, ref),  # up to a footnote reference
        (heading["start"] - 30, heading["start"] + 20),  # from a paragraph into a heading
        (heading["start"], heading["end"]),  # a whole heading
        (text.index("ing status quo"), text.index("ing status quo") + 4800),  # many blocks
    ]
    kinds = ["comment", "claim", "highlight", "question"]
    made = [
        annotation_create(
            document=document,
            user=(reader, moderator, owner)[i % 3],
            start=start,
            end=end,
            kind=kinds[i % 4],
            body="" if kinds[i % 4] == "highlight" else f"Note {i}: *why* it matters.\n\nMore.",
            tags=["passivity", "west"] if i == 0 else [],
        )
        for i, (start, end) in enumerate(spans)
    ]
    claim = made[1]
    first_reply = reply_create(annotation=claim, user=reader, body="Agreed.", stance="supports")
    reply_create(annotation=claim, user=owner, body="No.\n\nSee ¶2.", stance="disputes")
    reply_create(annotation=claim, user=reader, body="Which West?", stance="asks")
    reply_create(annotation=claim, user=moderator, body="A reply to a reply.", parent=first_reply)
    claim_dispute(
        claim=claim,
        user=reader,
        grounds="unsupported",
        statement="The source says otherwise.",
        evidence=[{"kind": "url", "url": "https://example.org/a", "title": "A source"}],
    )
    claim_set_status(claim=claim, actor=owner, status="under_review", reason="Looking into it")
    return _edition(document, revision, _annotations(document))


def test_the_annotated_sample_is_valid_tei(tei_all: etree.RelaxNG, annotated: Edition) -> None:
    assert len(annotated.notes) == 12 and len(annotated.corrections) == 4
    root = _valid(tei_all, render_tei(annotated))
    choices = [
        (c.findtext(f"{TEI}sic"), c.findtext(f"{TEI}corr")) for c in root.iter(f"{TEI}choice")
    ]
    assert choices == [("Hungaiy", "Hungary"), (" totally", ""), (":", " –"), ("", ",")]
    change = root.find(f"{TEI}teiHeader/{TEI}revisionDesc/{TEI}change")
    assert change is not None
    assert change.text == "Second reading; OCR misreading; Not in the original; Punctuation"
    anchors = {a.get(XML_ID) for a in root.iter(f"{TEI}anchor")}
    for note in annotated.notes:
        assert {f"a{note.number}-start", f"a{note.number}-end"} <= anchors
    claim = next(n for n in root.iter(f"{TEI}note") if n.get("type") == "claim")
    assert claim.get("subtype") == "under_review"
    assert [i.get("ana") for i in claim.iter(f"{TEI}item") if i.get("ana")] == [
        "#stance-supports",
        "#stance-comment",
        "#stance-disputes",
        "#stance-asks",
    ]


@pytest.mark.parametrize(
    ("source", "source_format"),
    [
        (None, "ocr"),
        ("Just one line.", "plain"),
        ("# One\n\n## Two\n\n### Three\n\n# Four\n\nText under four.\n\n## Five\n", "markdown"),
    ],
    ids=["sample", "one-line", "headings-only"],
)
def test_an_edition_without_notes_or_corrections_is_valid_tei(
    tei_all: etree.RelaxNG,
    seminar: Seminar,
    owner: User,
    sample_text: str,
    source: str | None,
    source_format: str,
) -> None:
    document = document_import(
        seminar=seminar,
        user=owner,
        title="Bare",
        source_text=source or sample_text,
        format=source_format,
    )
    assert document.current is not None
    edition = _edition(document, document.current, [])
    assert not edition.notes and not edition.corrections and not edition.author
    root = _valid(tei_all, render_tei(edition))
    assert root.find(f"{TEI}teiHeader/{TEI}revisionDesc") is None
    assert not list(root.iter(f"{TEI}choice"))


def test_an_edition_with_no_blocks_is_valid_tei(tei_all: etree.RelaxNG, document: Document) -> None:
    """<body> must hold something, even for a text the importer found no block in."""
    assert document.current is not None
    edition = dataclasses.replace(
        _edition(document, document.current, []), text="", blocks=[], pages=[], footnote_refs=[]
    )
    _valid(tei_all, render_tei(edition))


def _reading(element: etree._Element) -> str:
    return etree.tostring(element, method="text", encoding="unicode", with_tail=False)


def test_awkward_member_text_stays_valid_text(
    tei_all: etree.RelaxNG, document: Document, roles: dict[str, User], seminar: Seminar
) -> None:
    writer = member(seminar, username="awk", display_name=f"<Awk> ]]> {AWKWARD[:40]}")
    assert document.current is not None
    at = document.current.text.index("Cold War")
    long_body = (AWKWARD + "\n\n") * 300 + "end"
    assert len(long_body) <= 20000
    made = [
        annotation_create(
            document=document,
            user=writer,
            start=at,
            end=at + len("Cold War"),
            kind="claim",
            body=AWKWARD,
            tags=[AWKWARD[:50], "]]>", "<tag>"],
        ),
        annotation_create(
            document=document, user=writer, start=at, end=at + 4, kind="comment", body=long_body
        ),
    ]
    reply_create(annotation=made[0], user=roles["member"], body=AWKWARD, stance="disputes")
    revision = revision_correct(
        document=document,
        user=roles["owner"],
        edits=[Edit(at, at + len("Cold"), "Cold ]]> <&> 🧊", reason=AWKWARD)],
        reason=AWKWARD,
    )
    document.refresh_from_db()
    edition = _edition(
        document,
        revision,
        _annotations(document),
        seminar_name=f"\x00{AWKWARD}",
        requester_name="]]>\x00<requester>",
    )
    xml = render_tei(edition)
    root = _valid(tei_all, xml)
    assert "\x01" not in xml and "\ufffe" not in xml and "<b>" not in xml
    assert not list(root.iter(f"{TEI}b")) and not list(root.iter("b"))
    notes = list(root.iter(f"{TEI}note"))
    assert {n.get("type") for n in notes} == {"claim", "comment"}
    claim = next(n for n in notes if n.get("type") == "claim")
    shown = _reading(claim)
    assert "]]> <b>x</b> &amp; <![CDATA[y]]>" in shown and "🇭🇺👍🏽" in shown
    assert [_reading(c) for c in root.iter(f"{TEI}corr")] == ["Cold ]]> <&> 🧊"]
    long_note = next(n for n in notes if n.get("type") == "comment")
    assert len(long_note.findall(f"{TEI}p")) == 301


def test_page_breaks_and_note_references_between_blocks_are_valid_tei(
    tei_all: etree.RelaxNG, document: Document
) -> None:
    """A page or footnote reference in the gap before a heading or paragraph (OCR can put
    one there) moves to that block's start without breaking the content models."""
    revision = document.current
    assert revision is not None
    edition = _edition(document, revision, [])
    gaps = [
        (before["end"] + 1, after["kind"])
        for before, after in zip(edition.blocks, edition.blocks[1:], strict=False)
        if after["start"] - before["end"] > 1
    ]
    gap_before = {kind: offset for offset, kind in reversed(gaps)}
    assert set(gap_before) == {"heading", "paragraph"}
    extra = [{"offset": offset, "label": f"x{kind}"} for kind, offset in gap_before.items()]
    pages = [{"start": offset, "label": f"p{kind}"} for kind, offset in gap_before.items()]
    edition = dataclasses.replace(
        edition,
        footnote_refs=sorted([*edition.footnote_refs, *extra], key=lambda r: r["offset"]),
        pages=sorted([*edition.pages, *pages], key=lambda p: p["start"]),
    )
    root = _valid(tei_all, render_tei(edition))
    refs = {r.get("n") for r in root.iter(f"{TEI}ref")}
    assert {"xheading", "xparagraph"} <= refs
    assert {"pheading", "pparagraph"} <= {pb.get("n") for pb in root.iter(f"{TEI}pb")}
