"""A member makes a claim, another disputes it with evidence, a moderator rules; all see it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from annotate.models import Annotation, Dispute
from annotate.services.documents import document_import
from core.models import Role
from tests.browser.test_annotating import select
from tests.browser.test_texts import SAMPLE, log_in
from tests.factories import make_seminar, make_user, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_claim_dispute_ruling_and_log(live_server: Any, new_page: Callable[[], Page]) -> None:
    base = live_server.url
    ada = make_user(username="ada", display_name="Ada")
    seminar = make_seminar(ada, name="Hungary 1956")
    member(seminar, Role.MEMBER, username="rosa", display_name="Rosa")
    member(seminar, Role.MEMBER, username="tom", display_name="Tom")
    member(seminar, Role.MODERATOR, username="miklos", display_name="Miklós")
    document = document_import(
        seminar=seminar, user=ada, title="Superpowers", source_text=SAMPLE.read_text(), format="ocr"
    )

    # Rosa makes a claim from the reader.
    rosa = new_page()
    log_in(rosa, base, "rosa")
    rosa.goto(base + document.get_absolute_url())
    select(rosa, "#p1", "this tacit agreement in the East-West relationship")
    rosa.keyboard.press("k")
    rosa.get_by_label("Text (Markdown)").fill("The agreement is inferred, never written.")
    rosa.get_by_role("button", name="Save").click()
    expect(rosa.locator("#panel")).to_contain_text("The claim’s page")
    claim = Annotation.objects.get(kind="claim")

    # Tom disputes it, citing another passage of the same text.
    tom = new_page()
    log_in(tom, base, "tom")
    tom.goto(f"{base}/s/{seminar.slug}/claims/")
    tom.get_by_role("link", name=re.compile("tacit agreement")).click()
    tom.get_by_text("Dispute this claim").click()
    tom.get_by_label("Grounds").select_option("missing_context")
    tom.get_by_label("Statement").fill("Section II shows both sides kept negotiating.")
    tom.get_by_label("Evidence: quote another passage of this text").fill(
        "were willing to negotiate as before"
    )
    tom.get_by_role("button", name="Open the dispute").click()
    expect(tom.get_by_text("Your dispute is open")).to_be_visible()
    expect(tom.locator(".dispute")).to_contain_text("were willing to negotiate as before")
    dispute = Dispute.objects.get()

    # Miklós sees it in the queue and rules.
    miklos = new_page()
    log_in(miklos, base, "miklos")
    miklos.goto(f"{base}/s/{seminar.slug}/moderation/")
    expect(miklos.locator("body")).to_contain_text("Open disputes 1")
    miklos.get_by_role("link", name="Rule").click()
    miklos.get_by_label("Dismiss the dispute").check()
    miklos.get_by_label("Ruling (members read it)").fill(
        "Negotiating is consistent with a tacit agreement; the claim stands."
    )
    miklos.get_by_role("button", name="Publish ruling").click()
    expect(miklos.get_by_text("The ruling is published")).to_be_visible()

    # Both parties see the ruling and the log entry.
    for page in (rosa, tom):
        page.goto(f"{base}/s/{seminar.slug}/claims/{claim.pk}/")
        expect(page.locator(".ruling")).to_contain_text("the claim stands")
        expect(page.locator(".claim-page .status")).to_have_text(re.compile("upheld", re.I))
        page.goto(f"{base}/s/{seminar.slug}/log/")
        expect(page.locator("table.log")).to_contain_text("rule dismiss")
        expect(page.locator("table.log")).to_contain_text("Miklós")
    dispute.refresh_from_db()
    assert dispute.status == "dismissed"
