"""A seminar leader signs up, creates a seminar and a link; a second person joins through it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_up(page: Page, base: str, username: str, name: str) -> None:
    page.goto(f"{base}/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.org")
    page.get_by_label("Display name").fill(name)
    page.get_by_label("Password", exact=True).fill("a-long-passphrase-1956")
    page.get_by_label("Password confirmation").fill("a-long-passphrase-1956")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Your seminars")).to_be_visible()


def test_leader_invites_a_reader_by_link(live_server: Any, new_page: Callable[[], Page]) -> None:
    base = live_server.url
    leader = new_page()
    sign_up(leader, base, "ada", "Ada Lindqvist")
    leader.get_by_role("link", name="New seminar").first.click()
    leader.get_by_label("Name").fill("Hungary 1956")
    leader.get_by_label("Description").fill("Reading Békés, one paragraph at a time.")
    leader.get_by_role("button", name="Create seminar").click()
    expect(leader.get_by_role("heading", name="Hungary 1956")).to_be_visible()
    expect(leader).to_have_url(re.compile(r"/s/hungary-1956/$"))

    # htmx swaps the invitations panel in place: the page does not reload.
    leader.evaluate("window.__marker = 'same page'")
    leader.get_by_label("Use limit").fill("5")
    leader.get_by_role("button", name="Create link").click()
    link_field = leader.get_by_label("Invitation link, member")
    expect(link_field).to_be_visible()
    assert leader.evaluate("window.__marker") == "same page"
    invite_url = link_field.input_value()
    assert "/join/" in invite_url

    reader = new_page()
    reader.goto(invite_url)
    expect(reader).to_have_url(re.compile(r"/accounts/login/"))  # must sign in first
    reader.get_by_role("link", name="Create an account").click()
    reader.get_by_label("Username").fill("rosa")
    reader.get_by_label("Email").fill("rosa@example.org")
    reader.get_by_label("Password", exact=True).fill("a-long-passphrase-1956")
    reader.get_by_label("Password confirmation").fill("a-long-passphrase-1956")
    reader.get_by_role("button", name="Sign up").click()
    expect(reader.get_by_role("heading", name="Hungary 1956")).to_be_visible()
    reader.get_by_role("button", name="Join Hungary 1956").click()
    expect(reader.get_by_text("Welcome to Hungary 1956.")).to_be_visible()
    expect(reader.locator("#members")).to_contain_text("rosa")
    expect(reader.locator("#members")).to_contain_text("Ada Lindqvist")

    # The leader sees the new member, and the link counts its use.
    leader.reload()
    expect(leader.locator("#members")).to_contain_text("rosa")
    expect(leader.locator("#invites")).to_contain_text("used 1 of 5")
    assert leader.console_errors == [] and reader.console_errors == []  # type: ignore[attr-defined]
