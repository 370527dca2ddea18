"""A long text is read in the background: the editor sees it being read, then the preview, then
publishes it, at a laptop's and a phone's width; a refusal keeps what was pasted."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from core.models import Seminar
from tests.browser.test_texts import SAMPLE, log_in
from tests.factories import make_seminar, make_user

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.mark.parametrize("width", [1280, 390])
def test_a_long_text_is_read_in_the_background_then_published(
    live_server: Any,
    new_page: Callable[[], Page],
    celery_worker: subprocess.Popen,
    settings: Any,
    width: int,
) -> None:
    settings.IMPORT_INLINE_MAX_CHARS = 1_000  # the sample is far longer
    base = live_server.url
    editor = make_user(username="ada", display_name="Ada")
    seminar: Seminar = make_seminar(editor, name="Hungary 1956")
    page = new_page()
    page.set_viewport_size({"width": width, "height": 860})
    log_in(page, base, "ada")
    page.goto(f"{base}/s/{seminar.slug}/texts/new/")
    page.get_by_label("Title").fill("The Hungarian Revolution")
    page.get_by_label("Upload a file").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("status")).to_contain_text("Reading the text")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"import-reading-{width}.png")
    preview = page.locator(".import-preview")
    expect(preview).to_contain_text("Read as ocr", timeout=30_000)
    expect(preview).to_contain_text("24 footnote references")
    expect(page.get_by_label("Title")).to_have_value("The Hungarian Revolution")
    page.screenshot(path=ARTIFACTS / f"import-preview-{width}.png", full_page=False)
    page.get_by_label("Printed number of the first page").fill("213")
    page.get_by_role("button", name="Publish to Hungary 1956").click()
    expect(page).to_have_url(re.compile(r"/s/hungary-1956/texts/\d+/$"), timeout=30_000)
    expect(page.locator("article.reading #page-213")).to_be_attached()
    assert page.console_errors == [], page.console_errors  # type: ignore[attr-defined]


def test_a_refused_preview_says_why_and_keeps_the_pasted_text(
    live_server: Any, new_page: Callable[[], Page], settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "text_preview": (1, 3600)}
    base = live_server.url
    editor = make_user(username="ada", display_name="Ada")
    seminar = make_seminar(editor, name="Hungary 1956")
    page = new_page()
    log_in(page, base, "ada")
    page.goto(f"{base}/s/{seminar.slug}/texts/new/")
    page.get_by_label("Title").fill("Pasted")
    pasted = SAMPLE.read_text(encoding="utf-8")[:3000]
    page.get_by_label("…or paste the text").fill(pasted)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".import-preview")).to_be_visible()
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("alert")).to_contain_text("Too many import previews: at most 1")
    expect(page.get_by_label("…or paste the text")).to_have_value(pasted.replace("\r\n", "\n"))
    expect(page.get_by_label("Title")).to_have_value("Pasted")
