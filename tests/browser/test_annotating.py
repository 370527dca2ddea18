"""Two members annotate together in two browsers; the text is corrected under them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from annotate.models import Annotation, Document
from annotate.services.documents import Edit, document_import, revision_correct
from core.models import Role
from tests.browser.test_texts import SAMPLE, log_in
from tests.factories import make_seminar, make_user, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SELECT = """([block, words]) => {
  // Select `words` in the block as a person would, even across highlight boundaries.
  const root = document.querySelector(block);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  let text = "", node;
  while ((node = walker.nextNode())) {
    if (node.parentElement.closest("[data-nontext]")) continue;
    nodes.push([node, text.length]);
    text += node.data;
  }
  const at = text.indexOf(words);
  if (at < 0) return false;
  const place = (offset, isEnd) => {
    for (const [n, base] of nodes) {
      const inside = isEnd ? offset <= base + n.data.length : offset < base + n.data.length;
      if (offset >= base && inside) return [n, offset - base];
    }
  };
  const range = document.createRange();
  range.setStart(...place(at, false));
  range.setEnd(...place(at + words.length, true));
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  document.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
  return true;
}"""


def select(page: Page, block: str, words: str) -> None:
    assert page.evaluate(SELECT, [block, words]), f"{words!r} not found in {block}"
    expect(page.locator("#selection-toolbar")).to_be_visible()


@pytest.fixture
def reading(settings: Any) -> tuple[Document, str]:
    settings.READER_POLL_SECONDS = 1
    ada = make_user(username="ada", display_name="Ada")
    seminar = make_seminar(ada, name="Hungary 1956")
    member(seminar, Role.MEMBER, username="rosa", display_name="Rosa")
    document = document_import(
        seminar=seminar, user=ada, title="Superpowers", source_text=SAMPLE.read_text(), format="ocr"
    )
    return document, document.get_absolute_url()


def test_two_members_annotate_and_reply_live(
    live_server: Any, new_page: Callable[[], Page], reading: tuple[Document, str]
) -> None:
    _, path = reading
    a, b = new_page(), new_page()
    log_in(a, live_server.url, "ada")
    log_in(b, live_server.url, "rosa")
    a.goto(live_server.url + path)
    b.goto(live_server.url + path)

    select(a, "#p1", "tacit agreement")
    a.keyboard.press("c")  # the comment shortcut
    a.get_by_label("Text (Markdown)").fill("Inferred from *behaviour*, never written down.")
    a.get_by_label("Tags").fill("status-quo")
    a.get_by_role("button", name="Save").click()
    expect(a.locator("#panel")).to_contain_text("Inferred from behaviour")
    expect(a.locator("#p1 mark.hl.k-comment.mine")).to_have_text("tacit agreement")
    note = Annotation.objects.get()
    assert (note.exact, note.kind, note.tags) == ("tacit agreement", "comment", ["status-quo"])

    # Rosa sees it appear without reloading, opens it and replies.
    b.evaluate("window.__same = true")
    mark = b.locator("#p1 mark.hl.k-comment")
    expect(mark).to_have_text("tacit agreement", timeout=5000)
    assert b.evaluate("window.__same") is True
    mark.click()
    card = b.locator(f"#a-{note.pk}")
    expect(card).to_contain_text("Inferred from behaviour")
    card.get_by_label("Reply (Markdown)").fill("Agreed, @ada — but see section II.")
    card.get_by_role("button", name="Reply").last.click()
    expect(card.locator(".thread")).to_contain_text("see section II")

    # Ada's open panel shows the reply without a reload.
    expect(a.locator(f"#a-{note.pk} .thread")).to_contain_text("see section II", timeout=5000)

    # Overlapping highlight: Rosa highlights a longer span around Ada's.
    select(b, "#p1", "this tacit agreement in the East-West")
    b.keyboard.press("h")
    expect(b.locator("#p1 mark.hl.d2")).to_have_count(1)
    expect(b.locator("#p1 mark.hl.d2")).to_have_text("tacit agreement")
    assert a.console_errors == [] and b.console_errors == []  # type: ignore[attr-defined]


def test_correction_relocates_and_orphans(
    live_server: Any, new_page: Callable[[], Page], reading: tuple[Document, str]
) -> None:
    document, path = reading
    page = new_page()
    log_in(page, live_server.url, "ada")
    page.goto(live_server.url + path)
    select(page, "#p1", "public opinion in Hungaiy regarded")
    page.keyboard.press("h")
    expect(page.locator("#p1 mark.hl")).to_have_count(1)
    select(page, "#p1", "rule of thumb in the chilliest")
    page.keyboard.press("h")
    expect(page.locator("#p1 mark.hl")).to_have_count(2)

    current = document.revisions.get()
    text = current.text
    hungaiy = text.index("Hungaiy")
    thumb = text.index("rule of thumb in the chilliest")
    editor = document.seminar.memberships.get(role="owner").user
    revision_correct(
        document=document,
        user=editor,
        edits=[
            Edit(thumb, thumb + len("rule of thumb in the chilliest"), "practice in the coldest"),
            Edit(hungaiy, hungaiy + 7, "Hungary"),
        ],
    )
    page.reload()
    expect(page.get_by_text(re.compile(r"1 annotation moved to the closest match"))).to_be_visible()
    expect(page.locator("#p1 mark.hl")).to_have_text("public opinion in Hungary regarded")
    orphans = page.get_by_role("region", name="Orphaned annotations")
    expect(orphans).to_contain_text("rule of thumb in the chilliest")


def test_selection_offsets_count_code_points(
    live_server: Any, new_page: Callable[[], Page]
) -> None:
    ada = make_user(username="ada")
    seminar = make_seminar(ada, name="Astral")
    document = document_import(
        seminar=seminar,
        user=ada,
        title="Astral",
        source_text="The 𝔊𝔩𝔬𝔰𝔰𝔞 project 🙂 reads closely.\n\nA second paragraph here.",
        format="plain",
    )
    page = new_page()
    log_in(page, live_server.url, "ada")
    page.goto(live_server.url + document.get_absolute_url())
    select(page, "#p1", "reads closely")
    page.keyboard.press("h")
    expect(page.locator("mark.hl")).to_have_text("reads closely")
    note = Annotation.objects.get()
    assert note.exact == "reads closely"
    assert document.current is not None
    assert document.current.text[note.start : note.end] == "reads closely"


def test_a_member_over_the_rate_limit_is_told_and_keeps_what_they_typed(
    live_server: Any, new_page: Callable[[], Page], reading: tuple[Document, str], settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "annotate": (1, 60)}
    _, path = reading
    page = new_page()
    log_in(page, live_server.url, "rosa")
    page.goto(live_server.url + path)
    select(page, "#p1", "tacit agreement")
    page.keyboard.press("h")
    expect(page.locator("#p1 mark.hl")).to_have_count(1)

    select(page, "#p1", "East-West relationship")
    page.keyboard.press("c")
    page.get_by_label("Text (Markdown)").fill("A second thought, typed with care.")
    alerts = page.get_by_role("alert").filter(has_text="Too many annotations")
    for tries in (1, 2):  # refused by the view, then by FloodGateMiddleware: the same answer
        page.get_by_role("button", name="Save").click()
        expect(alerts).to_have_count(tries)
        expect(alerts.first).to_contain_text("at most 1 in 1 minute. Try again in")
    expect(page.get_by_label("Text (Markdown)")).to_have_value("A second thought, typed with care.")
    assert Annotation.objects.count() == 1
    errors = page.console_errors  # type: ignore[attr-defined]
    assert [e for e in errors if "status of 429" not in e] == []
