"""Password-reset emails are limited (probe finding M4, its reset half): per recipient address,
without telling whether the address has an account, and per client address."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from tests.factories import make_user

pytestmark = pytest.mark.django_db

RESET, SENT = "/accounts/password/reset/", "/accounts/password/reset/sent/"


@pytest.fixture(autouse=True)
def _limits(settings: Any) -> None:
    """The limits as configured out of the box (tests otherwise raise them out of reach)."""
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "reset_recipient": (3, 3600),
        "reset_client": (10, 3600),
    }


def ask(client: Client, email: str, *, address: str = "203.0.113.7") -> Any:
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address)


def test_a_fourth_reset_to_one_address_sends_nothing_and_says_the_same(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    # The probe: five resets in a row sent five emails to june.
    make_user(username="june", email="june@example.org")
    for i in range(3):
        response = ask(client, "june@example.org", address=f"192.0.2.{i}")
        assert (response.status_code, response["Location"]) == (302, SENT)
    assert len(mail.outbox) == 3
    with caplog.at_level("WARNING"):
        for i in range(3):
            response = ask(client, "June@Example.org", address=f"198.51.100.{i}")
            assert (response.status_code, response["Location"]) == (302, SENT)
    assert len(mail.outbox) == 3
    assert "If an account uses that address" in client.get(SENT).text
    lines = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(lines) == 1, lines  # once for the episode, not once a request
    assert lines[0].startswith(
        "password reset to 'June@Example.org' not sent: too many to this address "
        "(asked from 198.51.100.0);"
    )


def test_an_address_without_an_account_answers_alike_past_the_limit(client: Client) -> None:
    make_user(username="june", email="june@example.org")
    known = [ask(client, "june@example.org", address="192.0.2.1") for _ in range(4)]
    unknown = [ask(client, "nobody@example.org", address="192.0.2.2") for _ in range(4)]
    assert [(r.status_code, r["Location"]) for r in known] == [(302, SENT)] * 4
    assert [(r.status_code, r["Location"]) for r in unknown] == [(302, SENT)] * 4
    assert len(mail.outbox) == 3


def test_one_client_asking_for_many_addresses_is_refused_with_429(client: Client) -> None:
    for i in range(10):
        make_user(username=f"reader{i}", email=f"reader{i}@example.org")
        assert ask(client, f"reader{i}@example.org").status_code == 302
    make_user(username="june", email="june@example.org")
    refused = ask(client, "june@example.org")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many password-reset requests: at most 10 in 1 hour. Try again in" in refused.text
    assert 'value="june@example.org"' in refused.text  # the form, as it was filled in
    assert len(mail.outbox) == 10
    # Another client still can.
    assert ask(Client(), "june@example.org", address="198.51.100.9").status_code == 302
    assert len(mail.outbox) == 11
