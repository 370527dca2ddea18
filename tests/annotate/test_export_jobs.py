"""Exports built by a real Celery worker: request, follow, download, privacy, idempotence."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from annotate.models import Document, ExportJob
from annotate.services import annotations as notes
from annotate.services import exports
from core.models import User
from tests.pdf import has_page_numbers, pdftotext

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def file_bytes(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def export(
    client: APIClient, document: Document, format_: str, seconds: float = 30
) -> dict[str, Any]:
    """Request an edition through the API and wait for the worker to finish it."""
    response = client.post(
        "/api/v1/exports/",
        {"kind": "edition", "document": document.pk, "format": format_},
        format="json",
    )
    assert response.status_code == 202, response.content
    return wait_for(client, response.json()["url"], seconds)


def wait_for(client: APIClient, url: str, seconds: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        data = client.get(url).json()
        if data["status"] in ("succeeded", "failed"):
            return data
        time.sleep(0.2)
    pytest.fail(f"the export did not finish: {data}")


def test_jsonld_edition_through_the_worker(
    celery_worker: subprocess.Popen,
    worker_media_dir: Path,
    settings: Any,
    document: Document,
    roles: dict[str, User],
) -> None:
    settings.MEDIA_ROOT = str(worker_media_dir)
    assert document.current is not None
    shared = notes.annotation_create(
        document=document, user=roles["member"], start=0, end=8, body="Shared note."
    )
    notes.annotation_create(
        document=document,
        user=roles["moderator"],
        start=4,
        end=20,
        body="PRIVATE-MARKER",
        visibility="private",
    )
    client = APIClient()
    client.force_authenticate(roles["member"])
    response = client.post(
        "/api/v1/exports/",
        {"kind": "edition", "document": document.pk, "format": "jsonld"},
        format="json",
    )
    assert response.status_code == 202, response.content
    again = client.post(
        "/api/v1/exports/",
        {"kind": "edition", "document": document.pk, "format": "jsonld"},
        format="json",
    )
    data = wait_for(client, response.json()["url"])
    assert data["status"] == "succeeded", data
    assert again.json()["id"] in (data["id"], again.json()["id"])
    download = client.get(data["download_url"])
    assert download.status_code == 200
    assert (
        'filename="the-hungarian-revolution-of-1956-and-the-superpowers.jsonld"'
        in (download["Content-Disposition"])
    )
    collection = json.loads(file_bytes(download))
    assert collection["type"] == "AnnotationCollection" and collection["total"] == 1
    assert str(shared.pk) in collection["first"]["items"][0]["id"]
    assert b"PRIVATE-MARKER" not in json.dumps(collection).encode()

    # A finished job is not rebuilt: running it again changes nothing, and leaves one file.
    job = ExportJob.objects.get(pk=data["id"])
    assert exports.export_run(job_id=job.pk).file == job.file
    assert len(list((worker_media_dir / job.folder).iterdir())) == 1

    # Someone else, or a former member, gets 404 for the job and its file.
    outsider = APIClient()
    outsider.force_authenticate(roles["owner"])
    assert outsider.get(data["url"]).status_code == 404
    assert outsider.get(data["download_url"]).status_code == 404


def test_bad_export_requests(document: Document, roles: dict[str, User]) -> None:
    client = APIClient()
    client.force_authenticate(roles["member"])
    bad_format = client.post(
        "/api/v1/exports/",
        {"kind": "edition", "document": document.pk, "format": "docx"},
        format="json",
    )
    assert bad_format.status_code == 400 and "comes as" in bad_format.json()["detail"]
    client.force_authenticate(roles["outsider"])
    hidden = client.post(
        "/api/v1/exports/",
        {"kind": "edition", "document": document.pk, "format": "jsonld"},
        format="json",
    )
    assert hidden.status_code == 404
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize(
    ("format_", "needle"),
    [
        ("html", b"<!DOCTYPE html"),
        ("markdown", b"[^1]"),
        ("tei", b"http://www.tei-c.org/ns/1.0"),
    ],
)
def test_edition_formats_through_the_worker(
    celery_worker: subprocess.Popen,
    worker_media_dir: Path,
    settings: Any,
    document: Document,
    roles: dict[str, User],
    format_: str,
    needle: bytes,
) -> None:
    settings.MEDIA_ROOT = str(worker_media_dir)
    notes.annotation_create(document=document, user=roles["member"], start=0, end=8, body="A note.")
    notes.annotation_create(
        document=document,
        user=roles["moderator"],
        start=4,
        end=20,
        body="PRIVATE-MARKER",
        visibility="private",
    )
    client = APIClient()
    client.force_authenticate(roles["member"])
    data = export(client, document, format_)
    assert data["status"] == "succeeded", data
    content = file_bytes(client.get(data["download_url"]))
    assert needle.lower() in content.lower()
    assert b"PRIVATE-MARKER" not in content


def test_pdf_edition_through_the_worker(
    celery_worker: subprocess.Popen,
    worker_media_dir: Path,
    settings: Any,
    document: Document,
    roles: dict[str, User],
) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    settings.MEDIA_ROOT = str(worker_media_dir)
    notes.annotation_create(
        document=document,
        user=roles["member"],
        start=0,
        end=8,
        body="See ![x](http://127.0.0.1:9/track.png) and [local](file:///etc/passwd).",
    )
    client = APIClient()
    client.force_authenticate(roles["member"])
    data = export(client, document, "pdf", seconds=60)
    assert data["status"] == "succeeded", data
    content = file_bytes(client.get(data["download_url"]))
    pdf = PdfReader(BytesIO(content))
    text = pdftotext(content)
    assert len(pdf.pages) >= 5 and text.count("\f") == len(pdf.pages)
    assert "was determined by the status quo" in " ".join(text.split())
    assert has_page_numbers(text)  # "n / total" in every footer
    assert "The Hungarian Revolution of 1956 and the Superpowers" in text.split("\f")[1]


def test_weasyprint_fetches_nothing(tmp_path: Path) -> None:
    """Images, stylesheets and fonts a member's text (or a hostile title) asks for are neither
    read from the disk nor requested from the network; the PDF is printed without them."""
    import http.server
    import threading

    from annotate.services.exports import pdf_of

    hits: list[str] = []

    class Count(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Count)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    here = f"http://127.0.0.1:{server.server_port}"
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not an image")
    html = (
        f'<html><head><link rel="stylesheet" href="{here}/style.css">'
        f"<style>@import url({here}/import.css); @font-face {{ font-family: x; "
        f"src: url({here}/font.woff); }} body {{ background: url({here}/bg.png); }}</style>"
        f'</head><body><p>Printed anyway.</p><img src="{here}/track.png">'
        f'<img src="{secret.as_uri()}"><object data="{here}/object"></object></body></html>'
    )
    try:
        pdf = pdf_of(html, f"A title url({here}/title.png)")
    finally:
        server.shutdown()
    assert hits == []
    assert "Printed anyway." in pdftotext(pdf)


def test_claim_record_and_seminar_archive_through_the_worker(
    celery_worker: subprocess.Popen,
    worker_media_dir: Path,
    settings: Any,
    document: Document,
    roles: dict[str, User],
) -> None:
    import zipfile
    from io import BytesIO

    from annotate.models import Notification
    from annotate.services import moderation

    settings.MEDIA_ROOT = str(worker_media_dir)
    member, owner = roles["member"], roles["owner"]
    claim = notes.annotation_create(
        document=document, user=member, start=0, end=40, kind="claim", body="A bold claim."
    )
    notes.reply_create(annotation=claim, user=owner, body="Why?", stance="asks")
    rude = notes.reply_create(annotation=claim, user=member, body="RUDE-REPLY")
    moderation.content_set_hidden(moderator=owner, hidden=True, reason="rude", reply=rude)
    moderation.claim_dispute(
        claim=claim, user=owner, grounds="unsupported", statement="No evidence at all."
    )
    notes.annotation_create(
        document=document, user=owner, start=4, end=20, body="PRIVATE-MARKER", visibility="private"
    )
    client = APIClient()
    client.force_authenticate(member)

    response = client.post(
        "/api/v1/exports/", {"kind": "claim", "claim": claim.pk, "format": "json"}, format="json"
    )
    assert response.status_code == 202, response.content
    data = wait_for(client, response.json()["url"])
    assert data["status"] == "succeeded" and data["claim"] == claim.pk, data
    record = json.loads(file_bytes(client.get(data["download_url"])))
    assert record["claim"]["body"] == "A bold claim."
    assert record["thread"][0]["stance"] == "asks"
    assert record["disputes"][0]["statement"] == "No evidence at all."

    response = client.post(
        "/api/v1/exports/",
        {"kind": "archive", "seminar": document.seminar.slug, "format": "zip"},
        format="json",
    )
    assert response.status_code == 202, response.content
    data = wait_for(client, response.json()["url"], seconds=120)
    assert data["status"] == "succeeded", data
    download = client.get(data["download_url"])
    assert download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(BytesIO(file_bytes(download)))
    names = set(archive.namelist())
    stem = f"texts/{document.pk}-the-hungarian-revolution-of-1956-and-the-superpowers"
    for suffix in (".html", ".pdf", ".tei.xml", ".md", ".jsonld"):
        assert stem + suffix in names
    for suffix in (".html", ".md", ".json"):
        assert any(n.startswith(f"claims/claim-{claim.pk}-") and n.endswith(suffix) for n in names)
    assert {"moderation-log.md", "moderation-log.json", "README.txt"} <= names
    log = json.loads(archive.read("moderation-log.json"))
    assert [(entry["action"], entry["reason"]) for entry in log] == [("hide", "rude")]
    for name in names:  # the owner's private note and hidden content are nowhere in it
        assert b"PRIVATE-MARKER" not in archive.read(name), name
        assert b"RUDE-REPLY" not in archive.read(name), name

    # The requester was told each time, and the notification links to the exports page.
    told = Notification.objects.filter(recipient=member, kind="export")
    assert told.count() == 2
    page = Client()
    page.force_login(member)
    listing = page.get("/notifications/").content.decode()
    assert "Your seminar archive (zip)" in listing and "is ready" in listing


def test_bad_claim_and_archive_requests(document: Document, roles: dict[str, User]) -> None:
    claim = notes.annotation_create(
        document=document,
        user=roles["owner"],
        start=0,
        end=9,
        kind="claim",
        body="Mine.",
        visibility="private",
    )
    comment = notes.annotation_create(
        document=document, user=roles["owner"], start=0, end=9, body="A comment."
    )
    client = APIClient()
    client.force_authenticate(roles["member"])
    for body in (
        {"kind": "claim", "claim": claim.pk, "format": "json"},  # someone else's private claim
        {"kind": "claim", "claim": comment.pk, "format": "json"},  # not a claim
        {"kind": "claim", "claim": 10**15, "format": "json"},
        {"kind": "archive", "seminar": "no-such-seminar", "format": "zip"},
    ):
        assert client.post("/api/v1/exports/", body, format="json").status_code == 404, body
    missing = client.post("/api/v1/exports/", {"kind": "claim", "format": "json"}, format="json")
    assert missing.status_code == 400 and "Choose the claim" in missing.json()["detail"]
    wrong = client.post(
        "/api/v1/exports/",
        {"kind": "archive", "seminar": document.seminar.slug, "format": "pdf"},
        format="json",
    )
    assert wrong.status_code == 400 and "archive export comes as: zip" in wrong.json()["detail"]
    client.force_authenticate(roles["outsider"])
    archive = {"kind": "archive", "seminar": document.seminar.slug, "format": "zip"}
    assert client.post("/api/v1/exports/", archive, format="json").status_code == 404
    assert not ExportJob.objects.exists()


def test_one_members_burst_holds_up_anothers_export_by_one_job_at_most(
    celery_worker: subprocess.Popen,
    worker_media_dir: Path,
    settings: Any,
    document: Document,
    roles: dict[str, User],
) -> None:
    """The probe's flood, in small: a member asks for three PDF editions at once, then another
    member for one export. Only one of the first member's jobs is with Celery at a time, so the
    second member's starts after at most one of them, whatever the jobs take."""
    from tests.annotate.test_export_faults import busy

    settings.MEDIA_ROOT = str(worker_media_dir)
    busy(document, roles["member"], count=100)  # so that each PDF takes a moment
    rosa, june = APIClient(), APIClient()
    rosa.force_authenticate(roles["member"])
    june.force_authenticate(roles["moderator"])
    burst = [
        rosa.post(
            "/api/v1/exports/",
            {"kind": "edition", "document": document.pk, "format": "pdf", "options": options},
            format="json",
        )
        for options in ({}, {"log": True}, {"private": True})
    ]
    assert [response.status_code for response in burst] == [202, 202, 202]
    theirs = june.post(
        "/api/v1/exports/",
        {"kind": "edition", "document": document.pk, "format": "markdown"},
        format="json",
    )
    assert theirs.status_code == 202
    finished = [wait_for(rosa, response.json()["url"], 120) for response in burst]
    finished.append(wait_for(june, theirs.json()["url"], 120))
    assert [data["status"] for data in finished] == ["succeeded"] * 4, finished
    jobs = ExportJob.objects.in_bulk([data["id"] for data in finished])
    first, second, third, other = (jobs[data["id"]] for data in finished)
    assert all(job.started_at for job in jobs.values())
    began = other.started_at
    assert began is not None and third.started_at is not None
    assert began < third.started_at
    assert sum(job.started_at < began for job in (first, second, third) if job.started_at) <= 1
