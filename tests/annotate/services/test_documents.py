from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction

from annotate.models import Document, Revision
from annotate.services import documents
from annotate.services.documents import Edit, map_offset
from core.errors import Conflict, PayloadTooLarge, Unprocessable, UnsupportedMedia
from core.models import Seminar, User

pytestmark = pytest.mark.django_db


def test_import_makes_a_document_with_revision_one(document: Document) -> None:
    revision = document.current
    assert revision is not None and revision.number == 1
    assert "was determined by the status quo" in revision.text
    assert len(revision.footnote_refs) == 24
    assert revision.pages[0] == {"label": "1", "start": 0}
    assert any(s["text"] == "Hungaiy" for s in revision.suspects)
    assert document.source_format == "ocr"


@pytest.mark.parametrize("who", ["member", "observer", "outsider"])
def test_only_editors_import(seminar: Seminar, roles: dict[str, User], who: str) -> None:
    with pytest.raises(PermissionDenied):
        documents.document_import(seminar=seminar, user=roles[who], title="T", source_text="x")
    assert not Document.objects.exists()


def test_moderators_import(seminar: Seminar, roles: dict[str, User]) -> None:
    doc = documents.document_import(
        seminar=seminar, user=roles["moderator"], title="Notes", source_text="One.\n\nTwo."
    )
    assert doc.current is not None and doc.current.paragraph_count == 2


def test_empty_text_and_bad_format(seminar: Seminar, owner: User) -> None:
    with pytest.raises(Unprocessable, match="empty"):
        documents.document_import(seminar=seminar, user=owner, title="T", source_text="  \n ")
    with pytest.raises(ValidationError):
        documents.document_import(
            seminar=seminar, user=owner, title="T", source_text="x", format="docx"
        )
    with pytest.raises(ValidationError):
        documents.document_import(seminar=seminar, user=owner, title=" ", source_text="Text.")
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"\x00\x01\x02\x03binary\x00\xff\xfe\x00" * 50, UnsupportedMedia),
        (b"", Unprocessable),
        (b"x" * 20, None),
    ],
)
def test_uploads_are_decoded_or_refused(data: bytes, error: type[Exception] | None) -> None:
    if error is None:
        assert documents.source_from_upload(data) == "x" * 20
    else:
        with pytest.raises(error):
            documents.source_from_upload(data)


def test_upload_over_the_limit_is_413(settings: object) -> None:
    settings.UPLOAD_MAX_BYTES = 100  # type: ignore[attr-defined]
    with pytest.raises(PayloadTooLarge, match="largest"):
        documents.source_from_upload(b"a" * 101)


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""), ("cp1252", b"")],
)
def test_encodings_are_read(encoding: str, bom: bytes) -> None:
    text = "Kádár’s “régime” – 1956."
    if encoding == "cp1252":
        text = "Kádár's régime, 1956 – “quoted”."
    assert documents.source_from_upload(bom + text.encode(encoding)) == text


def test_correction_makes_a_new_revision_and_keeps_the_old(document: Document, owner: User) -> None:
    first = document.current
    assert first is not None
    at = first.text.index("Hungaiy")
    second = documents.revision_correct(
        document=document,
        user=owner,
        edits=[Edit(at, at + len("Hungaiy"), "Hungary", "OCR misreading")],
        base=1,
    )
    assert second.number == 2
    assert "Hungaiy" not in second.text[at - 20 : at + 20]
    assert second.text[at : at + 7] == "Hungary"
    assert second.edits[0]["original"] == "Hungaiy"
    assert second.created_by == owner and "OCR misreading" in second.reason
    first.refresh_from_db()
    assert "Hungaiy" in first.text  # the old revision is untouched
    document.refresh_from_db()
    assert document.current == second
    assert not any(s["text"] == "Hungaiy" and s["start"] == at for s in second.suspects)


def test_correction_shifts_structure_after_it(document: Document, owner: User) -> None:
    first = document.current
    assert first is not None
    at = first.text.index("finn")
    second = documents.revision_correct(
        document=document, user=owner, edits=[Edit(at, at + 4, "firm and steady")]
    )
    delta = len("firm and steady") - 4
    for old, new in zip(first.footnote_refs, second.footnote_refs, strict=True):
        assert new["offset"] == old["offset"] + (delta if old["offset"] > at else 0)
    for old_b, new_b in zip(first.blocks, second.blocks, strict=True):
        assert (
            second.text[new_b["start"] : new_b["end"]].replace("firm and steady", "finn")
            == (first.text[old_b["start"] : old_b["end"]])
        )


def test_stale_base_is_a_conflict(document: Document, owner: User) -> None:
    documents.revision_correct(document=document, user=owner, edits=[Edit(0, 3, "THE")], base=1)
    with pytest.raises(Conflict, match="revision 2"):
        documents.revision_correct(document=document, user=owner, edits=[Edit(0, 3, "Teh")], base=1)
    assert document.revisions.count() == 2


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ([], "at least one"),
        ([Edit(-1, 2, "x")], "outside"),
        ([Edit(0, 10**7, "x")], "outside"),
        ([Edit(0, 5, "a\nb")], "line break"),
        ([Edit(0, 5, "x"), Edit(3, 8, "y")], "overlaps"),
        ([Edit(5, 5, "")], "changes nothing"),
    ],
)
def test_bad_corrections_are_refused(
    document: Document, owner: User, edits: list[Edit], message: str
) -> None:
    with pytest.raises(Unprocessable, match=message):
        documents.revision_correct(document=document, user=owner, edits=edits)
    assert document.revisions.count() == 1


def test_a_correction_cannot_cross_blocks(document: Document, owner: User) -> None:
    current = document.current
    assert current is not None
    end_of_first = current.blocks[0]["end"]
    with pytest.raises(Unprocessable, match="boundary"):
        documents.revision_correct(
            document=document, user=owner, edits=[Edit(end_of_first - 2, end_of_first + 3, "x")]
        )


def test_members_cannot_correct(document: Document, roles: dict[str, User]) -> None:
    with pytest.raises(PermissionDenied):
        documents.revision_correct(document=document, user=roles["member"], edits=[Edit(0, 1, "x")])


def test_correct_by_quote(document: Document, owner: User) -> None:
    revision = documents.revision_replace_quote(
        document=document,
        user=owner,
        paragraph=None,
        find="ail plausible",
        replacement="all plausible",
        reason="OCR",
        base=1,
    )
    assert "all plausible" in revision.text
    with pytest.raises(ValidationError, match="does not occur"):
        documents.revision_replace_quote(
            document=document,
            user=owner,
            paragraph=None,
            find="zebra crossing",
            replacement="x",
            reason="r",
        )
    with pytest.raises(ValidationError, match="times"):
        documents.revision_replace_quote(
            document=document,
            user=owner,
            paragraph=None,
            find="the",
            replacement="x",
            reason="r",
        )


def test_the_database_refuses_to_change_a_revision(document: Document) -> None:
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        Revision.objects.filter(document=document).update(text="rewritten")


@pytest.mark.parametrize(
    ("offset", "before", "expected"),
    [(0, False, 0), (5, False, 9), (5, True, 5), (7, False, 10), (10, False, 12), (3, False, 3)],
)
def test_map_offset(offset: int, before: bool, expected: int) -> None:
    assert map_offset(10, [Edit(10, 15, "HELLO!")], before_insertions=True) == 10
    assert map_offset(15, [Edit(10, 15, "HELLO!")], before_insertions=False) == 16
    # "0123456789": insert "abcd" at 5, replace 6..8 ("67") with "" → "01234abcd589"
    edits = [Edit(5, 5, "abcd"), Edit(6, 8, "")]
    assert map_offset(offset, edits, before_insertions=before) == expected
