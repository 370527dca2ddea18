"""The whole journey with the keyboard alone: no clicks, only Tab, arrows, Enter, Space, typing.

Ada selects a passage in the reader with the keyboard and makes a claim; Rosa replies to it
with a stance and opens a formal dispute; Miklós rules on it from the moderation queue and
exports the claim record, which he downloads.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from annotate.models import Annotation, Dispute, Reply
from annotate.services.annotations import annotation_create
from annotate.services.documents import document_import
from core.models import Role
from tests.browser.test_texts import SAMPLE
from tests.factories import PASSWORD, make_seminar, make_user, member

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# What a screen reader would call the focused element, near enough.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "";
  const label = el.labels && el.labels.length ? el.labels[0].textContent : "";
  return (el.getAttribute("aria-label") || label || el.textContent || el.value || "")
    .replace(/\\s+/g, " ").trim();
}"""
MATCHES = "s => Boolean(document.activeElement && document.activeElement.matches(s))"
STATUS = "#reader-status"  # the reader's live region: what a screen reader announces


def focused(page: Page) -> str:
    name: str = page.evaluate(FOCUSED)
    return name


def tab_to(
    page: Page,
    name: str | re.Pattern[str] | None = None,
    *,
    selector: str | None = None,
    back: bool = False,
    limit: int = 150,
) -> None:
    """Press Tab (Shift+Tab with `back`) until the focus is on the element with this name
    (a string is matched exactly) or matching this selector, as a person listening would."""
    for _ in range(limit):
        if selector and page.evaluate(MATCHES, selector):
            return
        if isinstance(name, str) and focused(page) == name:
            return
        if isinstance(name, re.Pattern) and name.search(focused(page)):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    pytest.fail(f"never reached {name or selector!r}; the focus is on {focused(page)!r}")


def press_until(page: Page, key: str, status: str | re.Pattern[str], limit: int = 120) -> None:
    """Press `key` until the reader announces `status` (a string: the start of it)."""
    said = ""
    for _ in range(limit):
        page.keyboard.press(key)
        said = page.locator(STATUS).text_content() or ""
        if isinstance(status, str) and said.startswith(status):
            return
        if isinstance(status, re.Pattern) and status.search(said):
            return
    pytest.fail(f"{key} never got to {status!r}; the reader says {said!r}")


def focus_in(page: Page, selector: str) -> None:
    """Wait for the focus to move into `selector` (htmx moves it once a swap has settled)."""
    page.wait_for_function(
        "s => document.querySelector(s).contains(document.activeElement)", arg=selector
    )


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    tab_to(page, selector="input[name=username]")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your seminars")).to_be_visible()


def follow(page: Page, name: str | re.Pattern[str]) -> None:
    """Tab to a link and press Enter."""
    tab_to(page, name)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_the_whole_journey_with_the_keyboard(
    live_server: Any,
    new_page: Callable[[], Page],
    celery_worker: subprocess.Popen,
    worker_media_dir: Path,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = str(worker_media_dir)
    base = live_server.url
    ada = make_user(username="ada", display_name="Ada")
    seminar = make_seminar(ada, name="Hungary 1956")
    member(seminar, Role.MEMBER, username="rosa", display_name="Rosa")
    member(seminar, Role.MODERATOR, username="miklos", display_name="Miklós")
    document = document_import(
        seminar=seminar, user=ada, title="Superpowers", source_text=SAMPLE.read_text(), format="ocr"
    )

    # Ada logs in and opens the text from her seminar.
    page = new_page()
    log_in(page, base, "ada")
    follow(page, "Hungary 1956")
    follow(page, "Superpowers")
    expect(page.get_by_role("heading", name="Superpowers", level=1)).to_be_visible()

    # The reading text is one tab stop; its hint says what Enter does.
    tab_to(page, selector="#p1")
    hint = page.locator("#keyboard-hint")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("Enter start selecting words here")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-describedby')") == (
        "keyboard-hint"
    )
    page.keyboard.press("ArrowDown")  # the next block, and back
    assert page.evaluate(MATCHES, "#p1") is False
    page.keyboard.press("ArrowUp")
    assert page.evaluate(MATCHES, "#p1")

    # Enter puts a caret at the paragraph's start; Ctrl+→ walks it word by word to "this
    # tacit"; Ctrl+Shift+→ selects word by word up to "East-West".
    page.keyboard.press("Enter")
    status = page.locator(STATUS)
    expect(status).to_have_text(re.compile(r"^Selecting in paragraph 1\. Before “The fate"))
    expect(page.locator("#keyboard-caret")).to_be_visible()
    expect(hint).to_contain_text("Shift")
    press_until(page, "Control+ArrowRight", "Before “this tacit agreement")
    selected = "Selected: “this tacit agreement in the East-West”."
    press_until(page, "Control+Shift+ArrowRight", selected)
    page.keyboard.press("Shift+ArrowRight")  # a character more: the space is not selected…
    expect(status).to_have_text(selected)
    page.keyboard.press("Shift+ArrowLeft")  # …and back
    assert page.evaluate("() => window.getSelection().toString()") == (
        "this tacit agreement in the East-West"
    )
    toolbar = page.get_by_role("toolbar", name="Annotate the selection")
    expect(toolbar).to_be_visible()

    # k opens the composer for a claim, with the focus in its text.
    page.keyboard.press("k")
    body = page.get_by_label("Text (Markdown)")
    expect(body).to_be_focused()
    page.keyboard.type("The agreement is inferred from behaviour, never written down.")
    tab_to(page, "Save")
    page.keyboard.press("Enter")
    panel = page.locator("#panel")
    expect(panel).to_contain_text("The agreement is inferred from behaviour")
    focus_in(page, "#panel")
    claim = Annotation.objects.get(kind="claim")
    assert (claim.exact, claim.author_id) == ("this tacit agreement in the East-West", ada.pk)
    expect(page.locator("#p1 mark.hl.k-claim")).to_have_text(claim.exact)
    # Escape closes the panel and takes the focus back to the paragraph.
    page.keyboard.press("Escape")
    expect(panel).to_be_empty()
    focus_in(page, "#p1")

    # Rosa opens the claim's thread from its highlight and replies, disputing it.
    rosa = new_page()
    log_in(rosa, base, "rosa")
    rosa.goto(base + document.get_absolute_url())
    tab_to(rosa, selector="mark.hl")
    rosa.keyboard.press("Enter")
    card = rosa.locator(f"#a-{claim.pk}")
    expect(card).to_contain_text("The agreement is inferred from behaviour")
    focus_in(rosa, "#panel")
    tab_to(rosa, selector=f"#a-{claim.pk} .reply-form textarea")
    rosa.keyboard.type("Both sides kept negotiating; that is no agreement.")
    rosa.keyboard.press("Tab")
    assert focused(rosa) == "Your stance"
    rosa.keyboard.press("ArrowDown")  # Comment → Supports
    rosa.keyboard.press("ArrowDown")  # → Disputes
    assert rosa.locator(f"#stance-{claim.pk}").input_value() == "disputes"
    tab_to(rosa, "Reply")
    rosa.keyboard.press("Enter")
    expect(card.locator(".thread")).to_contain_text("no agreement")
    expect(card.locator(".thread .stance")).to_have_text("Disputes")
    reply = Reply.objects.get()
    assert (reply.stance, reply.author.username) == ("disputes", "rosa")

    # …then follows the link to the claim's page and opens a formal dispute.
    follow(rosa, "The claim’s page: disputes, rulings, history")
    tab_to(rosa, "Dispute this claim")
    rosa.keyboard.press("Enter")  # opens the <details>
    rosa.keyboard.press("Tab")
    assert focused(rosa) == "Grounds"
    for _ in range(3):  # Misquotation → … → Missing context
        rosa.keyboard.press("ArrowDown")
    assert rosa.locator("#grounds").input_value() == "missing_context"
    rosa.keyboard.press("Tab")
    rosa.keyboard.type("Section II shows both sides kept negotiating.")
    rosa.keyboard.press("Tab")
    rosa.keyboard.type("were willing to negotiate as before")
    tab_to(rosa, "Open the dispute")
    with rosa.expect_navigation():
        rosa.keyboard.press("Enter")
    expect(rosa.get_by_text("Your dispute is open")).to_be_visible()
    dispute = Dispute.objects.get()
    assert dispute.grounds == "missing_context"

    # Miklós finds it in the moderation queue and rules.
    miklos = new_page()
    log_in(miklos, base, "miklos")
    follow(miklos, "Hungary 1956")
    follow(miklos, re.compile(r"^Moderation queue"))
    expect(miklos.locator("body")).to_contain_text("Open disputes 1")
    follow(miklos, "Rule")
    tab_to(miklos, selector="input[name=decision]")
    assert focused(miklos) == "Accept the dispute"
    miklos.keyboard.press("ArrowDown")  # moves to, and checks, "Dismiss the dispute"
    expect(miklos.get_by_label("Dismiss the dispute")).to_be_checked()
    miklos.keyboard.press("Tab")
    assert focused(miklos) == "Ruling (members read it)"
    miklos.keyboard.type("Negotiating is consistent with a tacit agreement; the claim stands.")
    miklos.keyboard.press("Tab")
    assert focused(miklos) == "Publish ruling"
    with miklos.expect_navigation():
        miklos.keyboard.press("Enter")
    expect(miklos.get_by_text("The ruling is published")).to_be_visible()
    expect(miklos.locator(".ruling")).to_contain_text("the claim stands")

    # …and exports the claim record, then downloads it from the exports page.
    tab_to(miklos, selector="#claim-export-format")
    miklos.keyboard.press("Tab")
    assert focused(miklos) == "Export"
    with miklos.expect_navigation():
        miklos.keyboard.press("Enter")
    expect(miklos.get_by_text("Your export is being built")).to_be_visible()
    download = miklos.get_by_role("link", name="Download")
    expect(download).to_be_visible(timeout=20_000)  # htmx polling swaps it in
    tab_to(miklos, "Download")
    with miklos.expect_download() as info:
        miklos.keyboard.press("Enter")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    record = saved.read_text(encoding="utf-8")
    assert "this tacit agreement in the East-West" in record
    assert "the claim stands" in record
    assert "no agreement" in record

    for p in (page, rosa, miklos):
        assert p.console_errors == [], p.url  # type: ignore[attr-defined]


def test_a_keyboard_selection_survives_the_page_changing_under_it(
    live_server: Any, new_page: Callable[[], Page], settings: Any
) -> None:
    """The toolbar is reachable and leaves again; a highlight and another member's live
    annotation re-render the paragraph without losing the focus or the selection; cancelling
    the composer goes back to the text."""
    settings.READER_POLL_SECONDS = 1
    ada = make_user(username="ada", display_name="Ada")
    seminar = make_seminar(ada, name="Hungary 1956")
    rosa = member(seminar, Role.MEMBER, username="rosa", display_name="Rosa")
    document = document_import(
        seminar=seminar, user=ada, title="Superpowers", source_text=SAMPLE.read_text(), format="ocr"
    )
    page = new_page()
    log_in(page, base := live_server.url, "ada")
    page.goto(base + document.get_absolute_url())
    status = page.locator(STATUS)
    tab_to(page, selector="#p1")
    page.keyboard.press("ArrowDown")  # the heading of section I
    page.keyboard.press("ArrowDown")
    assert page.evaluate(MATCHES, "#p2")

    # Two words, then into the toolbar and out again with the selection kept.
    page.keyboard.press("Enter")
    page.keyboard.press("Control+Shift+ArrowRight")
    page.keyboard.press("Control+Shift+ArrowRight")
    expect(status).to_have_text("Selected: “In this”.")
    page.keyboard.press("Enter")
    assert focused(page) == "Highlight h"
    page.keyboard.press("ArrowRight")
    assert focused(page) == "Comment c"
    page.keyboard.press("Escape")
    assert page.evaluate(MATCHES, "#p2")
    assert page.evaluate("() => window.getSelection().toString()") == "In this"

    # h saves a highlight; the paragraph is re-rendered with it and keeps the focus.
    page.keyboard.press("h")
    expect(page.locator("#p2 mark.hl")).to_have_text("In this")
    focus_in(page, "#p2")
    assert page.evaluate(MATCHES, "#p2")
    expect(page.locator("#keyboard-caret")).to_be_hidden()

    # Selecting again while Rosa annotates the same paragraph: her highlight arrives live, the
    # paragraph is re-rendered, and the caret, the selection and the focus stay.
    page.keyboard.press("Enter")
    for _ in range(3):
        page.keyboard.press("Control+Shift+ArrowRight")
    expect(status).to_have_text("Selected: “In this paper”.")
    text = document.current.text  # type: ignore[union-attr]
    at = text.index("closer look")
    annotation_create(document=document, user=rosa, start=at, end=at + 11, kind="highlight")
    expect(page.locator("#p2 mark.hl")).to_have_count(2, timeout=5000)
    focus_in(page, "#p2")
    assert page.evaluate("() => window.getSelection().toString()") == "In this paper"
    page.keyboard.press("Control+Shift+ArrowRight")
    expect(status).to_have_text("Selected: “In this paper I”.")

    # c opens the composer with the focus in its text; Cancel goes back to the paragraph.
    page.keyboard.press("c")
    expect(page.get_by_label("Text (Markdown)")).to_be_focused()
    tab_to(page, "Cancel and close the composer", back=True)
    page.keyboard.press("Enter")
    expect(page.locator("#panel")).to_be_empty()
    assert page.evaluate(MATCHES, "#p2")
    assert page.console_errors == []  # type: ignore[attr-defined]
