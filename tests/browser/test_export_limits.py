"""Past the cap on exports waiting or running, the reader's export form says why, in place,
and keeps what was chosen; without JavaScript, a page says it, with the form as filled in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from annotate.models import Document
from annotate.services import exports
from annotate.services.documents import document_import
from core.models import User
from tests.browser.test_texts import SAMPLE, log_in
from tests.factories import make_seminar, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FULL = "You have 3 exports waiting or running; wait for one to finish."


@pytest.fixture
def busy_ada(monkeypatch: pytest.MonkeyPatch, settings: Any) -> tuple[User, Document]:
    """Ada, with as many exports waiting as she may have (no worker takes them)."""
    monkeypatch.setattr(exports, "_enqueue", lambda job: None)
    settings.EXPORT_MAX_ACTIVE = 3
    ada = make_user(username="ada", display_name="Ada")
    seminar = make_seminar(ada, name="Hungary 1956")
    document = document_import(
        seminar=seminar, user=ada, title="Superpowers", source_text=SAMPLE.read_text(), format="ocr"
    )
    for format_ in ("html", "markdown", "tei"):
        exports.export_request(user=ada, kind="edition", format=format_, document=document)
    return ada, document


def choose(page: Page) -> None:
    """A PDF of the claims tagged 1956, without threads."""
    page.get_by_label("Format").select_option("pdf")
    page.get_by_label("Claims only").check()
    page.get_by_label("With threads").uncheck()
    page.get_by_text("Choose annotations").click()
    page.get_by_label("With tag").fill("1956")
    page.get_by_role("button", name="Export", exact=True).click()


def expect_kept(page: Page) -> None:
    expect(page.get_by_label("Format")).to_have_value("pdf")
    expect(page.get_by_label("Claims only")).to_be_checked()
    expect(page.get_by_label("With threads")).not_to_be_checked()
    expect(page.get_by_label("With tag")).to_have_value("1956")


def test_the_refusal_appears_in_the_form_which_keeps_the_choices(
    live_server: Any, new_page: Callable[[], Page], busy_ada: tuple[User, Document]
) -> None:
    ada, document = busy_ada
    page = new_page()
    log_in(page, live_server.url, "ada")
    reader = live_server.url + document.get_absolute_url()
    page.goto(reader)
    choose(page)
    expect(page.get_by_role("alert")).to_have_text(FULL)
    assert page.url == reader  # still reading, the form answered in place
    expect_kept(page)
    errors = page.console_errors  # type: ignore[attr-defined]
    assert [e for e in errors if "status of 429" not in e] == []  # Chromium logs the 429 itself

    # One of hers ends: the same form, sent again as it is, is taken.
    first = ada.exports.order_by("pk").first()
    assert first is not None
    exports.export_failed(job_id=first.pk, error=RuntimeError("the store refused it"))
    page.get_by_role("button", name="Export", exact=True).click()
    expect(page.get_by_text("Your export is being built")).to_be_visible()
    assert page.url == live_server.url + "/exports/"
    assert ada.exports.filter(format="pdf", options__tag="1956").exists()


def test_without_javascript_a_page_says_why_with_the_form_as_filled_in(
    live_server: Any, browser: Browser, busy_ada: tuple[User, Document]
) -> None:
    _, document = busy_ada
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, live_server.url, "ada")
        page.goto(live_server.url + document.get_absolute_url())
        with page.expect_response(lambda r: r.request.method == "POST") as sent:
            choose(page)
        assert sent.value.status == 429
        expect(page.get_by_role("heading", name="Export “Superpowers”")).to_be_visible()
        expect(page.get_by_role("alert")).to_have_text(FULL)
        expect_kept(page)
        expect(page.get_by_role("link", name="Superpowers")).to_have_attribute(
            "href", document.get_absolute_url()
        )
    finally:
        context.close()
