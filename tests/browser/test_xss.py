"""Hostile Markdown in annotations and replies never runs in a real browser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Dialog, Page, expect

from annotate.models import Annotation
from annotate.services.annotations import annotation_create, reply_create
from annotate.services.documents import document_import
from core.models import Role
from tests.browser.test_texts import SAMPLE, log_in
from tests.factories import make_seminar, make_user, member
from tests.security.xss_corpus import MARKDOWN as PAYLOADS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOOKS = """() => {
  window.__fired = [];
  for (const name of ["alert", "confirm", "prompt"]) {
    window[name] = (...args) => { window.__fired.push(name + ":" + args.join(",")); };
  }
  document.addEventListener("securitypolicyviolation",
    (e) => window.__fired.push("csp:" + e.violatedDirective + ":" + e.blockedURI));
}"""


def test_payloads_render_inert(live_server: Any, new_page: Callable[[], Page]) -> None:
    ada = make_user(username="ada")
    seminar = make_seminar(ada, name="Hostile")
    eve = member(seminar, Role.MEMBER, username="eve")
    document = document_import(
        seminar=seminar, user=ada, title="Text", source_text=SAMPLE.read_text(), format="ocr"
    )
    assert document.current is not None
    note = annotation_create(
        document=document,
        user=eve,
        start=0,
        end=20,
        kind="comment",
        body="\n\n".join(PAYLOADS),
        tags=['"><img src=x onerror=alert(1)>'],
    )
    for payload in PAYLOADS:
        reply_create(annotation=note, user=eve, body=payload)

    dialogs: list[str] = []
    page = new_page()

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.add_init_script(f"({HOOKS})()")
    log_in(page, live_server.url, "ada")
    page.goto(live_server.url + document.get_absolute_url())
    page.locator("#p1 mark.hl").first.click()
    card = page.locator(f"#a-{note.pk}")
    expect(card).to_be_visible()
    expect(card.locator(".reply")).to_have_count(len(PAYLOADS))
    page.wait_for_timeout(500)
    assert page.evaluate("window.__fired") == []
    page.goto(live_server.url + "/notifications/")
    page.wait_for_timeout(500)
    assert dialogs == []
    assert page.evaluate("window.__fired") == []
    assert Annotation.objects.count() == 1
