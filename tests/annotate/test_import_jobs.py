"""Long texts are read by a real Celery worker, not the web process: 202, progress, result."""

from __future__ import annotations

import subprocess
import time
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from annotate.models import Annotation, Document, ImportJob
from annotate.services import imports
from annotate.tasks import read_import
from core.models import Seminar, User
from core.services.seminars import membership_remove
from tests.conftest import login, start_worker, stop_worker

LONG = 1_000  # IMPORT_INLINE_MAX_CHARS in these tests: the sample is far longer


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def wait_for_job(client: Any, url: str, seconds: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    data: dict[str, Any] = {}
    while time.monotonic() < deadline:
        data = client.get(url).json()
        if data["status"] in ("succeeded", "failed"):
            return data
        time.sleep(0.2)
    pytest.fail(f"the import did not finish: {data}")


@pytest.fixture
def long_sources(settings: Any) -> None:
    settings.IMPORT_INLINE_MAX_CHARS = LONG


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
class TestThroughTheWorker:
    def test_a_long_preview_shows_progress_then_the_preview_on_the_page(
        self,
        celery_worker: subprocess.Popen,
        long_sources: None,
        client: Client,
        seminar: Seminar,
        owner: User,
        sample_text: str,
    ) -> None:
        login(client, owner)
        url = reverse("document-import", args=[seminar.slug])
        form = {"title": "Hungary", "language": "en", "format": "ocr", "preview": "1"}
        response = client.post(url, {**form, "source_text": sample_text}, HTTP_HX_REQUEST="true")
        assert response.status_code == 202
        page = response.content.decode()
        assert "Reading the text" in page
        job = ImportJob.objects.get()
        poll = reverse("import-job", args=[seminar.slug, job.pk])
        assert f'hx-get="{poll}"' in page and 'hx-trigger="load delay:1s"' in page
        deadline = time.monotonic() + 60
        while "Reading the text" in page and time.monotonic() < deadline:
            time.sleep(0.2)
            response = client.get(poll, HTTP_HX_REQUEST="true")
            assert response.status_code == 200
            page = response.content.decode()
        assert "Cleaned text" in page and "Read as <strong>ocr</strong>" in page
        # The form comes back as the editor left it, the source in the paste box.
        assert 'value="Hungary"' in page and "superpowers" in page.lower()
        job.refresh_from_db()
        assert job.status == "succeeded" and job.result is not None
        assert not Document.objects.exists()  # a preview saves nothing

    def test_a_long_publication_through_the_api_answers_202_then_the_document(
        self,
        celery_worker: subprocess.Popen,
        long_sources: None,
        seminar: Seminar,
        owner: User,
        sample_text: str,
    ) -> None:
        client = api(owner)
        body = {"seminar": seminar.slug, "title": "Hungary", "format": "ocr", "first_page": 201}
        response = client.post(
            "/api/v1/documents/", {**body, "source_text": sample_text}, format="json"
        )
        assert response.status_code == 202, response.content
        assert response["Location"] == response.json()["url"]
        data = wait_for_job(client, response.json()["url"])
        assert data["status"] == "succeeded", data
        document = Document.objects.get(pk=data["document"]["id"])
        assert document.title == "Hungary" and document.first_page == 201
        assert document.source_text == sample_text and document.created_by == owner
        assert data["document"]["revision"]["text"] == document.current.text  # type: ignore[union-attr]

    def test_a_preview_read_by_the_worker_is_the_preview_read_inline(
        self,
        celery_worker: subprocess.Popen,
        settings: Any,
        seminar: Seminar,
        owner: User,
        sample_text: str,
    ) -> None:
        client = api(owner)
        body = {"seminar": seminar.slug, "preview": True, "source_text": sample_text}
        inline = client.post("/api/v1/documents/", body, format="json")
        assert inline.status_code == 200
        settings.IMPORT_INLINE_MAX_CHARS = LONG
        queued = client.post("/api/v1/documents/", body, format="json")
        assert queued.status_code == 202
        data = wait_for_job(client, queued.json()["url"])
        assert data["preview"] == inline.json()

    def test_a_text_that_cannot_be_read_fails_with_the_reason_on_the_page(
        self,
        celery_worker: subprocess.Popen,
        long_sources: None,
        client: Client,
        seminar: Seminar,
        owner: User,
    ) -> None:
        login(client, owner)
        # Markdown that is all comment and footnote definition: no reading text at all.
        source = "<!--\n" + "hidden words\n" * 200 + "-->\n"
        url = reverse("document-import", args=[seminar.slug])
        form = {"title": "Empty", "language": "en", "format": "markdown", "publish": "1"}
        response = client.post(url, {**form, "source_text": source}, HTTP_HX_REQUEST="true")
        assert response.status_code == 202
        job = ImportJob.objects.get()
        data = wait_for_job(api(owner), reverse("api-import", args=[job.pk]))
        assert data["status"] == "failed" and "no reading text" in data["error"]
        page = client.get(reverse("import-job", args=[seminar.slug, job.pk])).content.decode()
        assert "no reading text" in page and 'value="Empty"' in page
        assert not Document.objects.exists()

    def test_a_text_that_takes_too_long_is_stopped_at_the_time_limit(
        self, seminar: Seminar, owner: User, sample_text: str
    ) -> None:
        """A worker of its own (prefork, as in production: the solo pool enforces no time
        limit), on a queue of its own, with a 1-second limit."""
        source = (sample_text * (4_500_000 // len(sample_text)))[:4_500_000]
        job = ImportJob.objects.create(
            seminar=seminar,
            requested_by=owner,
            kind="preview",
            source_text=source,
            options={"format": "ocr", "first_page": None, "language": "en"},
        )
        worker = start_worker(
            "test-import-limit", hostname="limit", pool="prefork", IMPORT_TIME_LIMIT="1"
        )
        try:
            # The limits travel with the message (the sender's settings), so say them here too.
            read_import.apply_async(
                args=[job.pk], queue="test-import-limit", soft_time_limit=1, time_limit=10
            )
            deadline = time.monotonic() + 60
            while job.active and time.monotonic() < deadline:
                time.sleep(0.2)
                job.refresh_from_db()
        finally:
            stop_worker(worker)
        assert job.status == "failed", (job.started_at, job.finished_at)
        assert job.error_status == 422
        assert "took longer than 1 seconds" in job.error


@pytest.mark.django_db
class TestWhoAndHowMany:
    def test_another_members_job_is_not_found_on_the_page_or_the_api(
        self, long_sources: None, seminar: Seminar, roles: dict[str, User], client: Client
    ) -> None:
        job = ImportJob.objects.create(
            seminar=seminar, requested_by=roles["owner"], kind="preview", source_text="x"
        )
        for name in ("moderator", "member", "outsider"):
            login(client, roles[name])
            assert client.get(reverse("import-job", args=[seminar.slug, job.pk])).status_code == 404
            assert api(roles[name]).get(reverse("api-import", args=[job.pk])).status_code == 404

    def test_an_editor_removed_from_the_seminar_no_longer_sees_their_job(
        self, seminar: Seminar, roles: dict[str, User], client: Client
    ) -> None:
        moderator = roles["moderator"]
        job = ImportJob.objects.create(
            seminar=seminar, requested_by=moderator, kind="preview", source_text="x"
        )
        assert api(moderator).get(reverse("api-import", args=[job.pk])).status_code == 200
        membership_remove(membership=seminar.memberships.get(user=moderator), actor=roles["owner"])
        assert api(moderator).get(reverse("api-import", args=[job.pk])).status_code == 404
        login(client, moderator)
        assert client.get(reverse("import-job", args=[seminar.slug, job.pk])).status_code == 404

    def test_a_member_may_have_two_texts_being_read_the_third_is_429(
        self, long_sources: None, settings: Any, seminar: Seminar, owner: User, sample_text: str
    ) -> None:
        settings.IMPORT_MAX_ACTIVE = 2
        client = api(owner)
        body = {"seminar": seminar.slug, "preview": True, "source_text": sample_text}
        # Inside the test's transaction nothing is handed to the worker: the jobs stay queued.
        assert client.post("/api/v1/documents/", body, format="json").status_code == 202
        assert client.post("/api/v1/documents/", body, format="json").status_code == 202
        refused = client.post("/api/v1/documents/", body, format="json")
        assert refused.status_code == 429 and refused["Retry-After"]
        assert "2 texts being read already" in refused.json()["detail"]
        assert ImportJob.objects.count() == 2
        # Short texts are still read at once.
        short = {**body, "source_text": sample_text[:500]}
        assert client.post("/api/v1/documents/", short, format="json").status_code == 200

    def test_previews_and_imports_are_rate_limited_on_the_page_and_the_api(
        self, settings: Any, seminar: Seminar, owner: User, client: Client, sample_text: str
    ) -> None:
        settings.RATE_LIMITS = {
            **settings.RATE_LIMITS,
            "text_preview": (2, 3600),
            "text_import": (1, 3600),
        }
        login(client, owner)
        url = reverse("document-import", args=[seminar.slug])
        form = {"title": "T", "language": "en", "format": "auto", "source_text": sample_text}
        assert client.post(url, {**form, "preview": "1"}).status_code == 200
        body = {"seminar": seminar.slug, "preview": True, "source_text": sample_text}
        assert api(owner).post("/api/v1/documents/", body, format="json").status_code == 200
        refused = client.post(url, {**form, "preview": "1"}, HTTP_HX_REQUEST="true")
        assert refused.status_code == 429 and refused["Retry-After"]
        page = refused.content.decode()
        assert "Too many import previews" in page
        assert sample_text[:40] in page  # what was pasted is still in the box
        over = api(owner).post("/api/v1/documents/", body, format="json")
        assert over.status_code == 429 and "Too many import previews" in over.json()["detail"]
        assert client.post(url, {**form, "publish": "1"}).status_code == 302
        published = api(owner).post(
            "/api/v1/documents/", {**body, "preview": False, "title": "T2"}, format="json"
        )
        assert (
            published.status_code == 429 and "Too many text imports" in published.json()["detail"]
        )
        assert Document.objects.count() == 1

    def test_an_observer_cannot_start_a_job(
        self, long_sources: None, seminar: Seminar, roles: dict[str, User], sample_text: str
    ) -> None:
        body = {"seminar": seminar.slug, "preview": True, "source_text": sample_text}
        response = api(roles["observer"]).post("/api/v1/documents/", body, format="json")
        assert response.status_code == 403
        assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_the_sweep_fails_lost_jobs_and_forgets_old_ones(seminar: Seminar, owner: User) -> None:
    now = timezone.now()

    def job(**fields: Any) -> ImportJob:
        return ImportJob.objects.create(
            seminar=seminar, requested_by=owner, kind="preview", source_text="x", **fields
        )

    lost = job(status="running", started_at=now - timedelta(hours=1))
    reading = job(status="running", started_at=now)
    stuck = job(status="queued", created_at=now - timedelta(hours=2))
    waiting = job(status="queued")
    old = job(status="succeeded", finished_at=now - timedelta(days=2))
    recent = job(status="failed", finished_at=now)
    assert imports.imports_sweep(now=now) == 1
    states = dict(ImportJob.objects.values_list("pk", "status"))
    assert old.pk not in states
    assert states[lost.pk] == states[stuck.pk] == "failed"
    assert states[reading.pk] == "running" and states[waiting.pk] == "queued"
    assert states[recent.pk] == "failed"


def _w3c_quote(document: Document, start: int, end: int, body: str) -> dict[str, Any]:
    assert document.current is not None
    text = document.current.text
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "commenting",
        "body": {"type": "TextualBody", "value": body, "format": "text/markdown"},
        "target": {
            "source": "https://elsewhere.example/article",
            "selector": {
                "type": "TextQuoteSelector",
                "exact": text[start:end],
                "prefix": text[max(0, start - 32) : start],
                "suffix": text[end : end + 32],
            },
        },
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_a_large_w3c_import_is_anchored_by_the_worker(
    celery_worker: subprocess.Popen, settings: Any, document: Document, roles: dict[str, User]
) -> None:
    settings.W3C_IMPORT_INLINE_MAX_ITEMS = 5
    items = [_w3c_quote(document, 100 * i, 100 * i + 40, f"Note {i}") for i in range(1, 9)]
    items.append({"type": "Annotation"})  # no target: reported, the others imported
    client = api(roles["member"])
    url = f"/api/v1/documents/{document.pk}/import-annotations/"
    response = client.post(url, items, format="json")
    assert response.status_code == 202, response.content
    data = wait_for_job(client, response.json()["url"])
    assert data["status"] == "succeeded", data
    result = data["result"]
    assert result["created"] == 8 and result["anchored"] == 8
    assert "error" in result["items"][8]
    made = Annotation.objects.filter(document=document, author=roles["member"])
    assert sorted(made.values_list("body", flat=True)) == sorted(f"Note {i}" for i in range(1, 9))
    assert result["items"][0]["id"].endswith(f"/annotations/{made.get(body='Note 1').pk}/")
    # The same import, small enough, is made in the request and answers the same way.
    settings.W3C_IMPORT_INLINE_MAX_ITEMS = 200
    again = client.post(url, items, format="json")
    assert again.status_code == 201
    assert {k: v for k, v in again.json().items() if k != "items"} == {
        k: v for k, v in result.items() if k != "items"
    }
    # Only its requester sees the job; a plain member's job is not on the text-import page.
    job = ImportJob.objects.get()
    assert api(roles["moderator"]).get(reverse("api-import", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_a_text_of_millions_of_short_lines_is_refused_at_once(
    settings: Any, seminar: Seminar, owner: User
) -> None:
    """Reading keeps a record per line; 5 MB of one-letter lines would take gigabytes."""
    body = {"seminar": seminar.slug, "preview": True, "source_text": "a\n" * 250_000}
    response = api(owner).post("/api/v1/documents/", body, format="json")
    assert response.status_code == 422
    assert response.json()["detail"] == "The text has 250,001 lines; Glossa reads at most 200,000."
    assert not ImportJob.objects.exists()
