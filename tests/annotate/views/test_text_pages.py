"""Import, reader, corrections and history pages through Django's test client."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.models import Document
from core.models import Seminar, User
from tests.conftest import login

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def import_url(seminar: Seminar) -> str:
    return reverse("document-import", args=[seminar.slug])


def test_preview_shows_the_cleaned_text_beside_the_source(
    client: Client, seminar: Seminar, owner: User, sample_text: str
) -> None:
    response = login(client, owner).post(
        import_url(seminar),
        {
            "title": "Sample",
            "language": "en",
            "format": "auto",
            "source_text": sample_text,
            "preview": "1",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    body = response.text
    assert 'id="workspace"' in body and "<html" not in body
    assert "Read as <strong>ocr</strong>" in body
    assert "24 footnote references" in body
    assert "was determined by" in re.sub(r"<[^>]+>", "", body)  # the cleaned text, joins marked
    assert 'class="join join-hyphenless"' in body
    assert "was deter</li>" in body  # the source line as printed
    assert 'class="suspect"' in body
    assert not Document.objects.exists()  # a preview saves nothing


def test_upload_a_file_and_publish(
    client: Client, seminar: Seminar, owner: User, sample_text: str
) -> None:
    upload = SimpleUploadedFile("article.txt", sample_text.encode("utf-16"), "text/plain")
    response = login(client, owner).post(
        import_url(seminar),
        {
            "title": "The Superpowers",
            "language": "en",
            "format": "auto",
            "file": upload,
            "first_page": "213",
            "publish": "1",
        },
    )
    document = Document.objects.get()
    assert response.status_code == 302
    assert response["Location"] == document.get_absolute_url()
    assert document.current is not None and document.current.pages[0]["label"] == "213"
    assert document.source_name == "article.txt"


def test_binary_upload_gets_a_clear_415(client: Client, seminar: Seminar, owner: User) -> None:
    upload = SimpleUploadedFile("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 40)
    response = login(client, owner).post(
        import_url(seminar),
        {"title": "Picture", "language": "en", "format": "auto", "file": upload, "publish": "1"},
        headers=HTMX,
    )
    assert response.status_code == 415
    assert "message-error" in response.text
    assert not Document.objects.exists()


def test_missing_text_and_title_answer_422(client: Client, seminar: Seminar, owner: User) -> None:
    response = login(client, owner).post(
        import_url(seminar), {"title": "", "language": "en", "format": "auto"}, headers=HTMX
    )
    assert response.status_code == 422
    assert "Upload a file or paste the text." in response.text
    assert "This field is required." in response.text


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("observer", 403), ("outsider", 404)])
def test_only_editors_reach_the_import_page(
    client: Client, seminar: Seminar, roles: dict[str, User], who: str, status: int
) -> None:
    assert login(client, roles[who]).get(import_url(seminar)).status_code == status


def test_reader_page(client: Client, document: Document, roles: dict[str, User]) -> None:
    response = login(client, roles["observer"]).get(document.get_absolute_url())
    body = response.text
    assert response.status_code == 200
    assert "The Hungarian Revolution of 1956 and the Superpowers" in body
    assert 'id="p1"' in body and "¶1" in body
    assert 'class="pb" id="page-1"' in body
    assert 'class="fn"' in body and ">3</sup>" in body
    assert 'href="#h' in body  # the table of contents
    assert "Correct the text" not in body  # observers do not edit
    assert "’" in body  # real quotation marks


def test_reader_query_count_does_not_grow_with_annotations(
    client: Client, document: Document, roles: dict[str, User]
) -> None:
    from annotate.services.annotations import annotation_create, reply_create

    login(client, roles["owner"])

    def queries_for_page() -> int:
        cache.clear()  # computed afresh, not from the reader cache
        with CaptureQueriesContext(connection) as queries:
            assert client.get(document.get_absolute_url()).status_code == 200
        return len(queries)

    queries_for_page()  # the first reads the revision, which this process then keeps
    before = queries_for_page()
    for i in range(30):
        author = roles["member"] if i % 2 else roles["moderator"]
        note = annotation_create(
            document=document,
            user=author,
            start=10 * i,
            end=10 * i + 25,
            kind="comment",
            body=f"note {i}",
            tags=[f"t{i % 4}"],
        )
        reply_create(annotation=note, user=roles["owner"], body="reply")
    assert queries_for_page() == before


def test_reader_is_private(
    client: Client, document: Document, roles: dict[str, User], seminar: Seminar
) -> None:
    login(client, roles["outsider"])
    assert client.get(document.get_absolute_url()).status_code == 404
    other = Seminar.objects.create(name="Elsewhere", slug="elsewhere")
    wrong = reverse("reader", args=[other.slug, document.pk])
    login(client, roles["owner"])
    assert client.get(wrong).status_code == 404


def test_editor_fixes_a_suspect_word(client: Client, document: Document, owner: User) -> None:
    current = document.current
    assert current is not None
    suspect = next(s for s in current.suspects if s["text"] == "Hungaiy")
    login(client, owner)
    page = client.get(document.get_absolute_url())
    assert "Hungaiy" in page.text and "Correct the text" in page.text
    response = client.post(
        reverse("document-correct", args=[document.seminar.slug, document.pk]),
        {
            "start": suspect["start"],
            "end": suspect["end"],
            "replacement": "Hungary",
            "reason": "OCR misreading",
            "base": 1,
        },
        headers=HTMX,
    )
    assert response.status_code == 200  # django_htmx HttpResponseClientRedirect
    assert response["HX-Redirect"] == document.get_absolute_url()
    document.refresh_from_db()
    assert document.current is not None and document.current.number == 2
    old = client.get(reverse("reader-revision", args=[document.seminar.slug, document.pk, 1]))
    assert old.status_code == 200 and "not the current text" in old.text
    history = client.get(reverse("document-history", args=[document.seminar.slug, document.pk]))
    assert "<del>Hungaiy</del>" in history.text and "OCR misreading" in history.text


def test_stale_correction_answers_409(client: Client, document: Document, owner: User) -> None:
    url = reverse("document-correct", args=[document.seminar.slug, document.pk])
    login(client, owner)
    first = {"find": "ail plausible", "replacement": "all plausible", "reason": "OCR", "base": 1}
    assert client.post(url, first, headers=HTMX).status_code == 200
    second = {"find": "finn", "replacement": "firm", "reason": "OCR", "base": 1}
    response = client.post(url, second, headers=HTMX)
    assert response.status_code == 409
    assert "has changed since revision 1" in response.text


def test_members_cannot_correct(client: Client, document: Document, roles: dict[str, User]) -> None:
    url = reverse("document-correct", args=[document.seminar.slug, document.pk])
    login(client, roles["member"])
    response = client.post(url, {"find": "finn", "replacement": "firm", "reason": "x", "base": 1})
    assert response.status_code == 403


def test_seminar_page_lists_texts(client: Client, document: Document, owner: User) -> None:
    body = login(client, owner).get(document.seminar.get_absolute_url()).text
    assert document.title in body and "revision 1" in body and "Import a text" in body


def test_source_as_imported(
    client: Client, document: Document, owner: User, sample_text: str
) -> None:
    url = reverse("document-source", args=[document.seminar.slug, document.pk])
    response = login(client, owner).get(url)
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == sample_text


def test_the_reader_reads_a_revision_once_per_process(
    client: Client, document: Document, roles: dict[str, User]
) -> None:
    login(client, roles["member"])
    first = client.get(document.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        again = client.get(document.get_absolute_url())
    assert again.status_code == 200
    assert not [q for q in queries if 'FROM "annotate_revision"' in q["sql"]]
    assert again.content.count(b'class="para"') == first.content.count(b'class="para"') > 10


def test_a_correction_shows_the_new_revision_not_a_kept_one(
    client: Client, document: Document, roles: dict[str, User]
) -> None:
    from annotate.services.documents import Edit, revision_correct

    login(client, roles["owner"])
    assert "Budapestx" not in client.get(document.get_absolute_url()).content.decode()
    revision = document.current
    assert revision is not None
    at = revision.text.index("Soviet")
    revision_correct(
        document=document,
        user=roles["owner"],
        base=revision.number,
        edits=[Edit(at, at + len("Soviet"), "Budapestx")],
        reason="A test of the kept revisions.",
    )
    assert "Budapestx" in client.get(document.get_absolute_url()).content.decode()
