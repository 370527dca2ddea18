"""Request an edition from the reader, watch it build, download it and open the HTML."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from annotate.services.annotations import annotation_create
from annotate.services.documents import document_import
from tests.browser.test_texts import SAMPLE, log_in
from tests.factories import make_seminar, make_user

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_export_an_html_edition(
    live_server: Any,
    new_page: Callable[[], Page],
    celery_worker: subprocess.Popen,
    worker_media_dir: Path,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = str(worker_media_dir)
    ada = make_user(username="ada", display_name="Ada")
    seminar = make_seminar(ada, name="Hungary 1956")
    document = document_import(
        seminar=seminar, user=ada, title="Superpowers", source_text=SAMPLE.read_text(), format="ocr"
    )
    annotation_create(
        document=document,
        user=ada,
        start=0,
        end=8,
        kind="claim",
        body="The opening *frames* everything.",
    )
    page = new_page()
    log_in(page, live_server.url, "ada")
    page.goto(live_server.url + document.get_absolute_url())
    page.get_by_label("Format").select_option("html")
    page.get_by_role("button", name="Export").click()
    expect(page.get_by_text("Your export is being built")).to_be_visible()
    download_link = page.get_by_role("link", name="Download")
    expect(download_link).to_be_visible(timeout=20_000)  # htmx polling swaps it in
    with page.expect_download() as info:
        download_link.click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name == "superpowers.html"
    viewer = new_page()
    viewer.goto(saved.as_uri())
    expect(viewer.locator("#note-1")).to_contain_text("The opening frames everything.")
    expect(viewer.locator("body")).to_contain_text("was determined by the status quo")


def test_export_a_claim_record_and_be_told_it_is_ready(
    live_server: Any,
    new_page: Callable[[], Page],
    celery_worker: subprocess.Popen,
    worker_media_dir: Path,
    settings: Any,
    tmp_path: Path,
) -> None:
    from annotate.services.annotations import reply_create
    from annotate.services.moderation import claim_dispute
    from core.models import Role
    from tests.factories import member

    settings.MEDIA_ROOT = str(worker_media_dir)
    ada = make_user(username="ada", display_name="Ada")
    seminar = make_seminar(ada, name="Hungary 1956")
    ben = member(seminar, Role.MEMBER, username="ben", display_name="Ben")
    document = document_import(
        seminar=seminar, user=ada, title="Superpowers", source_text=SAMPLE.read_text(), format="ocr"
    )
    claim = annotation_create(
        document=document, user=ada, start=0, end=8, kind="claim", body="A *bold* reading."
    )
    reply_create(annotation=claim, user=ben, body="I doubt it.", stance="disputes")
    claim_dispute(claim=claim, user=ben, grounds="unsupported", statement="Where is it said?")
    page = new_page()
    log_in(page, live_server.url, "ada")
    page.goto(f"{live_server.url}/s/{seminar.slug}/claims/{claim.pk}/")
    export = page.get_by_role("region", name="Export this claim")
    export.get_by_label("Format").select_option("html")
    export.get_by_role("button", name="Export").click()
    expect(page.get_by_text("Your export is being built")).to_be_visible()
    download_link = page.get_by_role("link", name="Download")
    expect(download_link).to_be_visible(timeout=20_000)
    with page.expect_download() as info:
        download_link.click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    viewer = new_page()
    viewer.goto(saved.as_uri())
    expect(viewer.locator("h1")).to_contain_text("Claim:")
    expect(viewer.locator(".dispute")).to_contain_text("Where is it said?")
    expect(viewer.locator(".replies")).to_contain_text("I doubt it.")

    page.goto(live_server.url + "/notifications/")
    expect(page.locator(".notification").first).to_contain_text("Your claim record (html)")
    expect(page.locator(".notification").first).to_contain_text("is ready")
