from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from annotate.models import Document
from core.models import Seminar, User

pytestmark = pytest.mark.django_db
DOCS = "/api/v1/documents/"


def api(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def body(response: Any) -> Any:
    return json.loads(response.content)


def test_import_json_returns_201_with_the_document(
    seminar: Seminar, owner: User, sample_text: str
) -> None:
    response = api(owner).post(
        DOCS,
        {
            "seminar": seminar.slug,
            "title": "Superpowers",
            "source_text": sample_text,
            "format": "auto",
            "first_page": 213,
            "author": "Anon",
            "citation": "J. 1 (2006)",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = body(response)
    revision = data["revision"]
    assert data["seminar"] == seminar.slug and data["title"] == "Superpowers"
    assert revision["number"] == 1
    assert revision["pages"][0] == {"label": "213", "start": 0}
    assert {b["kind"] for b in revision["blocks"]} == {"heading", "paragraph"}
    assert [r["label"] for r in revision["footnote_refs"]] == [str(n) for n in range(2, 26)]
    for block in revision["blocks"]:
        assert revision["text"][block["start"] : block["end"]].strip()
    suspect = next(s for s in revision["suspect_words"] if s["text"] == "Hungaiy")
    assert revision["text"][suspect["start"] : suspect["end"]] == "Hungaiy"
    assert "Hungary" in suspect["suggestions"]


def test_offsets_count_code_points(seminar: Seminar, owner: User) -> None:
    text = "The 𝔊𝔩𝔬𝔰𝔰𝔞 reads Kádár.\n\nA second paragraph."
    response = api(owner).post(
        DOCS,
        {"seminar": seminar.slug, "title": "Astral", "source_text": text, "format": "plain"},
        format="json",
    )
    revision = body(response)["revision"]
    second = revision["blocks"][1]
    assert revision["text"][second["start"] : second["end"]] == "A second paragraph."


def test_preview_saves_nothing(seminar: Seminar, owner: User, sample_text: str) -> None:
    response = api(owner).post(
        DOCS, {"seminar": seminar.slug, "source_text": sample_text, "preview": True}, format="json"
    )
    assert response.status_code == 200
    assert body(response)["format"] == "ocr"
    assert "was determined by" in body(response)["revision"]["text"]
    assert not Document.objects.exists()


def test_multipart_upload(seminar: Seminar, owner: User, sample_text: str) -> None:
    upload = SimpleUploadedFile("a.txt", b"\xef\xbb\xbf" + sample_text.encode(), "text/plain")
    response = api(owner).post(
        DOCS, {"seminar": seminar.slug, "title": "Uploaded", "file": upload}, format="multipart"
    )
    assert response.status_code == 201
    assert body(response)["revision"]["text"].startswith("The fate of East-Central Europe")


def test_too_large_is_413(seminar: Seminar, owner: User, settings: Any) -> None:
    settings.UPLOAD_MAX_BYTES = 1000
    upload = SimpleUploadedFile("big.txt", b"word " * 400, "text/plain")
    response = api(owner).post(
        DOCS, {"seminar": seminar.slug, "title": "Big", "file": upload}, format="multipart"
    )
    assert response.status_code == 413 and "largest" in body(response)["detail"]
    response = api(owner).post(
        DOCS, {"seminar": seminar.slug, "title": "Big", "source_text": "word " * 400}, format="json"
    )
    assert response.status_code == 413


def test_binary_is_415_and_empty_is_422(seminar: Seminar, owner: User) -> None:
    png = SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 30)
    response = api(owner).post(
        DOCS, {"seminar": seminar.slug, "title": "Png", "file": png}, format="multipart"
    )
    assert response.status_code == 415 and body(response)["detail"]
    empty = SimpleUploadedFile("e.txt", b"   \n  ")
    response = api(owner).post(
        DOCS, {"seminar": seminar.slug, "title": "E", "file": empty}, format="multipart"
    )
    assert response.status_code == 422 and body(response)["detail"]


@pytest.mark.parametrize(
    "payload",
    [
        {"title": "No text"},
        {"title": "Both", "source_text": "x", "file": "y"},
        {"source_text": "No title"},
        {"title": "Bad format", "source_text": "x", "format": "docx"},
    ],
)
def test_bad_requests_are_400(seminar: Seminar, owner: User, payload: dict[str, Any]) -> None:
    response = api(owner).post(DOCS, {"seminar": seminar.slug, **payload}, format="json")
    assert response.status_code == 400 and body(response)["detail"]


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("observer", 403), ("outsider", 404)])
def test_who_may_import(seminar: Seminar, roles: dict[str, User], who: str, status: int) -> None:
    response = api(roles[who]).post(
        DOCS, {"seminar": seminar.slug, "title": "T", "source_text": "Text."}, format="json"
    )
    assert response.status_code == status


def test_get_document_and_revisions(document: Document, roles: dict[str, User]) -> None:
    client = api(roles["observer"])
    data = body(client.get(f"{DOCS}{document.pk}/"))
    assert data["id"] == document.pk and data["revision"]["number"] == 1
    assert body(client.get(f"{DOCS}{document.pk}/revisions/"))[0]["number"] == 1
    assert body(client.get(f"{DOCS}{document.pk}/revisions/1/"))["text"] == data["revision"]["text"]
    assert client.get(f"{DOCS}{document.pk}/revisions/9/").status_code == 404
    listed = body(client.get(DOCS, {"seminar": document.seminar.slug}))
    assert [d["id"] for d in listed] == [document.pk]


def test_outsiders_get_404_everywhere(document: Document, roles: dict[str, User]) -> None:
    client = api(roles["outsider"])
    for url in (
        f"{DOCS}{document.pk}/",
        f"{DOCS}{document.pk}/revisions/",
        f"{DOCS}{document.pk}/revisions/1/",
    ):
        assert client.get(url).status_code == 404
    assert body(client.get(DOCS)) == []
    assert client.get(DOCS, {"seminar": document.seminar.slug}).status_code == 404


def test_correct_through_the_api(document: Document, roles: dict[str, User]) -> None:
    text = body(api(roles["owner"]).get(f"{DOCS}{document.pk}/"))["revision"]["text"]
    at = text.index("Hungaiy")
    edits = [{"start": at, "end": at + 7, "replacement": "Hungary", "reason": "OCR"}]
    url = f"{DOCS}{document.pk}/revisions/"
    assert api(roles["member"]).post(url, edits, format="json").status_code == 403
    response = api(roles["moderator"]).post(url, edits, format="json")
    assert response.status_code == 201, response.content
    assert body(response)["number"] == 2
    assert body(response)["text"][at : at + 7] == "Hungary"
    stale = api(roles["owner"]).post(url, {"edits": edits, "base": 1}, format="json")
    assert stale.status_code == 409 and "revision 2" in body(stale)["detail"]
    bad = api(roles["owner"]).post(
        url, [{"start": 10, "end": 5, "replacement": "x"}], format="json"
    )
    assert bad.status_code == 422 and "outside" in body(bad)["detail"]
    assert api(roles["owner"]).post(url, [], format="json").status_code == 400
