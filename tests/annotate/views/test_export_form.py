"""The export forms past the limits (security probe M2): the reason, with its 429 and
Retry-After, and the form again as it was filled in: in place for htmx, a page without it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from annotate.models import Annotation, Document, ExportJob
from annotate.services import annotations as notes
from annotate.services import exports
from core.models import User
from tests.conftest import login

pytestmark = pytest.mark.django_db  # nothing commits, so nothing is sent to Celery
FULL = "You have 3 exports waiting or running; wait for one to finish."
HX = {"HX-Request": "true"}
# What the member chose: a PDF of the claims tagged 1956, without threads.
CHOSEN = {"format": "pdf", "claims_only": "1", "tag": "1956"}


@pytest.fixture
def full(document: Document, roles: dict[str, User], settings: Any) -> User:
    """A member with as many exports waiting or running as they may have."""
    settings.EXPORT_MAX_ACTIVE = 3
    for format_ in ("html", "markdown", "tei"):
        exports.export_request(
            user=roles["member"], kind="edition", format=format_, document=document
        )
    return roles["member"]


def url(document: Document) -> str:
    return reverse("export-create", args=[document.seminar.slug, document.pk])


def assert_kept(html: str) -> None:
    assert '<option value="pdf" selected>PDF</option>' in html
    assert 'name="claims_only" value="1" checked>' in html
    assert 'name="threads" value="1">' in html  # left unticked
    assert 'id="export-tag" name="tag" maxlength="150" autocomplete="off" value="1956"' in html
    assert '<details class="export-more" open>' in html


def test_the_reader_offers_the_export_form_with_its_defaults(
    client: Client, document: Document, roles: dict[str, User]
) -> None:
    page = login(client, roles["member"]).get(document.get_absolute_url())
    assert f'hx-post="{url(document)}"' in page.text
    assert 'name="threads" value="1" checked>' in page.text
    assert '<option value="html">HTML</option>' in page.text
    assert 'id="export-error"' not in page.text


def test_at_the_cap_the_readers_form_says_why_in_place_and_keeps_the_choices(
    client: Client, document: Document, full: User
) -> None:
    refused = login(client, full).post(url(document), CHOSEN, headers=HX)
    assert refused.status_code == 429
    assert refused["Retry-After"] == str(exports.FULL_RETRY_AFTER)
    assert refused.text.lstrip().startswith("<form")  # only the form, to replace the one sent
    assert f'<p class="message message-error" role="alert" id="export-error">{FULL}</p>' in (
        refused.text
    )
    assert_kept(refused.text)
    assert ExportJob.objects.count() == 3


def test_without_javascript_the_refusal_is_a_page_with_the_form_as_filled_in(
    client: Client, document: Document, full: User
) -> None:
    refused = login(client, full).post(url(document), CHOSEN)
    assert refused.status_code == 429 and refused["Retry-After"]
    assert "<!doctype html>" in refused.text
    assert f"<h1>Export “{document.title}”</h1>" in refused.text
    assert f'href="{document.get_absolute_url()}"' in refused.text  # back to the text
    assert FULL in refused.text
    assert_kept(refused.text)
    assert ExportJob.objects.count() == 3


def test_the_claim_and_archive_forms_are_refused_the_same_way(
    client: Client, document: Document, full: User, roles: dict[str, User]
) -> None:
    claim: Annotation = notes.annotation_create(
        document=document, user=roles["owner"], start=0, end=9, kind="claim", body="Bold."
    )
    login(client, full)
    slug = document.seminar.slug
    record = client.post(reverse("claim-export", args=[slug, claim.pk]), {"format": "json"})
    assert record.status_code == 429 and FULL in record.text
    assert '<option value="json" selected>JSON</option>' in record.text
    archive = client.post(reverse("archive-export", args=[slug]), {"format": "zip"})
    assert archive.status_code == 429 and FULL in archive.text
    assert "Archive the seminar</button>" in archive.text
    assert ExportJob.objects.count() == 3


def test_a_retry_at_the_cap_is_refused_on_the_exports_page(
    client: Client, document: Document, full: User
) -> None:
    failed = ExportJob.objects.filter(requested_by=full).order_by("pk").first()
    assert failed is not None
    exports.export_failed(job_id=failed.pk, error=RuntimeError("the store refused it"))
    exports.export_request(user=full, kind="edition", format="jsonld", document=document)
    refused = login(client, full).post(reverse("export-retry", args=[failed.pk]))
    assert refused.status_code == 429 and refused["Retry-After"]
    assert f'role="alert" id="export-error">{FULL}</p>' in refused.text
    assert f'id="export-{failed.pk}"' in refused.text  # the exports page, with the job
    failed.refresh_from_db()
    assert failed.status == ExportJob.Status.FAILED


def test_past_the_hourly_limit_the_form_says_so(
    client: Client, document: Document, roles: dict[str, User], settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "export": (1, 3600)}
    login(client, roles["member"])
    assert client.post(url(document), {"format": "html"}, headers=HX).status_code == 200
    refused = client.post(url(document), CHOSEN, headers=HX)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many exports: at most 1 in 1 hour." in refused.text
    # Refused before any other work (core.http.refuse_floods): the message goes in above the
    # form, which stays in the page as filled in.
    assert refused["HX-Reswap"] == "afterbegin"
    assert ExportJob.objects.count() == 1


def test_an_accepted_export_is_followed_on_the_exports_page(
    client: Client, document: Document, roles: dict[str, User]
) -> None:
    login(client, roles["member"])
    asked = client.post(url(document), CHOSEN, headers=HX)
    assert asked.status_code == 200 and asked["HX-Redirect"] == reverse("exports")
    plain = client.post(url(document), {"format": "html"})
    assert plain.status_code == 302 and plain["Location"] == reverse("exports")
    assert "Your export is being built" in client.get(reverse("exports")).text
    job = ExportJob.objects.get(format="pdf")
    assert job.options == {
        "claims_only": True,
        "log": False,
        "private": False,
        "tag": "1956",
        "threads": False,
    }


def test_a_wrong_request_is_answered_with_the_form_and_422(
    client: Client, document: Document, roles: dict[str, User]
) -> None:
    refused = login(client, roles["member"]).post(url(document), {**CHOSEN, "format": "docx"})
    assert refused.status_code == 422
    assert "An edition export comes as: html, jsonld, markdown, pdf, tei." in refused.text
    assert 'name="claims_only" value="1" checked>' in refused.text


def test_the_exports_page_tells_which_exports_wait_their_turn(client: Client, full: User) -> None:
    page = login(client, full).get(reverse("exports"))
    assert page.text.count("Waiting for your earlier export to finish") == 2
    assert page.text.count('aria-label="Export progress"') == 1  # the one with Celery


def test_an_export_flood_is_refused_before_any_other_work(
    client: Client,
    document: Document,
    roles: dict[str, User],
    settings: Any,
    django_assert_max_num_queries: Any,
) -> None:
    """Past the hourly limit, further requests cost a Redis read or two: no form, no page."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "export": (1, 3600)}
    login(client, roles["member"])
    url = reverse("export-create", args=[document.seminar.slug, document.pk])
    assert client.post(url, {"format": "html"}).status_code == 302
    assert client.post(url, {"format": "markdown"}).status_code == 429  # counted, refused
    with django_assert_max_num_queries(0):  # FloodGateMiddleware: before session and user
        refused = client.post(url, {"format": "tei"})
    assert refused.status_code == 429 and "Too many exports" in refused.text
    assert refused["Retry-After"]
