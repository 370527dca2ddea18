"""An editor imports the sample and publishes it; a member reads it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from core.models import Role, Seminar
from tests.factories import PASSWORD, make_seminar, make_user, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "annotate"
    / "samples"
    / "hungarian-revolution-1956-superpowers.ocr.txt"
)


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your seminars")).to_be_visible()


def test_import_preview_publish_and_read(live_server: Any, new_page: Callable[[], Page]) -> None:
    base = live_server.url
    editor = make_user(username="ada", display_name="Ada")
    seminar: Seminar = make_seminar(editor, name="Hungary 1956")
    member(seminar, Role.MEMBER, username="rosa")

    page = new_page()
    log_in(page, base, "ada")
    page.goto(f"{base}{seminar.get_absolute_url()}")
    page.get_by_role("link", name="Import a text").click()
    page.get_by_label("Title").fill("The Hungarian Revolution of 1956 and the Superpowers")
    page.get_by_label("Upload a file").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Preview").click()
    preview = page.locator(".import-preview")
    expect(preview).to_contain_text("Read as ocr")
    expect(preview).to_contain_text("24 footnote references")
    expect(preview.locator(".compare-clean")).to_contain_text("was determined by the status quo")
    expect(preview.locator(".compare-source")).to_contain_text("was deter")
    page.get_by_label("Printed number of the first page").fill("213")
    page.get_by_role("button", name="Publish to Hungary 1956").click()
    expect(page).to_have_url(re.compile(r"/s/hungary-1956/texts/\d+/$"))
    expect(page.get_by_text("is published in Hungary 1956")).to_be_visible()

    reader = new_page()
    log_in(reader, base, "rosa")
    reader.goto(page.url)
    article = reader.locator("article.reading")
    expect(article.locator("#page-213")).to_be_attached()
    expect(
        article.get_by_role("heading", name=re.compile("^I. The Hungarian Revolution"))
    ).to_be_visible()
    expect(
        article.get_by_role("heading", name=re.compile("^II. The International"))
    ).to_be_visible()
    expect(article.locator("sup.fn").first).to_have_text("2")
    expect(article.locator("#p1")).to_contain_text("The fate of East-Central Europe")
    # The table of contents jumps to a heading; a paragraph link is stable.
    reader.get_by_role("navigation", name="Contents").get_by_role(
        "link", name=re.compile("^II. The International")
    ).click()
    expect(reader).to_have_url(re.compile(r"#h\d+$"))
    assert reader.console_errors == []  # type: ignore[attr-defined]
