"""Failed sign-ins are limited (probe finding M3): by account and client address together, by
account, by client address; on /accounts/login/ and /admin/login/ alike."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.test import Client
from django.test.utils import override_settings

from core.models import User
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
ATTACKER, OWNER = "203.0.113.7", "198.51.100.20"
WRONG = "not-the-password"


@pytest.fixture(autouse=True)
def _limits(settings: Any) -> None:
    """The limits as configured out of the box (tests otherwise raise them out of reach)."""
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "login_pair": (5, 900),
        "login_account": (20, 900),
        "login_client": (40, 900),
    }


@pytest.fixture
def june(db: None) -> User:
    return make_user(username="june", is_staff=True, is_superuser=True)


@pytest.fixture
def password_checks() -> Iterator[list[str]]:
    """Each time a password was checked, by outcome (Django's own sign-in signals)."""
    seen: list[str] = []

    def failed(**_: Any) -> None:
        seen.append("failed")

    def succeeded(**_: Any) -> None:
        seen.append("succeeded")

    user_login_failed.connect(failed)
    user_logged_in.connect(succeeded)
    yield seen
    user_login_failed.disconnect(failed)
    user_logged_in.disconnect(succeeded)


def sign_in(
    client: Client, username: str = "june", password: str = WRONG, *, address: str = ATTACKER
) -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_the_sixth_wrong_password_in_a_row_is_refused_with_429(
    client: Client, june: User, password_checks: list[str]
) -> None:
    # The probe: 40 wrong passwords, all 200, then the right one signed in.
    statuses = [sign_in(client, password=f"wrong{i}").status_code for i in range(5)]
    assert statuses == [200] * 5
    refused = sign_in(client, password=PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 2 * 900
    minutes = re.search(
        r"Too many failed sign-ins: at most 5 in 15 minutes\. Try again in (\d+) minutes?\.",
        refused.text,
    )
    assert minutes and 1 <= int(minutes.group(1)) <= 30
    assert 'name="username" value="june"' in refused.text  # the form keeps the username
    assert "_auth_user_id" not in client.session
    # Refused before the password was looked at: no hashing, and the right one did not count.
    assert password_checks == ["failed"] * 5


def test_a_refused_flood_checks_no_password(
    client: Client, june: User, password_checks: list[str]
) -> None:
    for i in range(5):
        sign_in(client, password=f"wrong{i}")
    statuses = {sign_in(client, password=f"again{i}").status_code for i in range(20)}
    assert statuses == {429}
    assert len(password_checks) == 5


def test_once_refused_a_flood_of_sign_ins_is_answered_before_any_other_work(
    client: Client, june: User, django_assert_num_queries: Any
) -> None:
    """make load's abuser: a refused sign-in rendered the whole page (15 ms of the server's
    time a try). Until its Retry-After the same client's tries at the same account get a
    small 429 from core.middleware.FloodGateMiddleware: no session, user or database."""
    for i in range(6):
        sign_in(client, password=f"wrong{i}")
    with django_assert_num_queries(0):
        gated = sign_in(client, password="again")
    assert gated.status_code == 429 and int(gated["Retry-After"]) > 0
    assert "Too many failed sign-ins: at most 5 in 15 minutes" in gated.text
    assert 'href="/accounts/login/"' in gated.text and "<form" not in gated.text
    # Another account from the same address, and the same account elsewhere, are not gated.
    assert sign_in(client, username="nobody", password="x").status_code == 200
    assert sign_in(Client(), password=PASSWORD, address=OWNER).status_code == 302


def test_the_owner_elsewhere_still_signs_in(client: Client, june: User) -> None:
    for i in range(6):
        sign_in(client, password=f"wrong{i}")
    assert sign_in(client, password=PASSWORD).status_code == 429
    assert sign_in(Client(), password=PASSWORD, address=OWNER).status_code == 302


def test_a_successful_sign_in_clears_that_clients_failures(client: Client, june: User) -> None:
    for i in range(4):
        assert sign_in(client, password=f"typo{i}", address=OWNER).status_code == 200
    assert sign_in(client, password=PASSWORD, address=OWNER).status_code == 302
    client.post("/accounts/logout/")
    # Without the reset, 4 + 4 failures would be past the 5 allowed.
    statuses = [sign_in(client, password=f"typo{i}", address=OWNER).status_code for i in range(6)]
    assert statuses == [200] * 5 + [429]


@pytest.mark.parametrize("username", ["june", "nobody"])
def test_an_account_is_limited_from_any_address(client: Client, june: User, username: str) -> None:
    # 20 failures from 5 addresses, none past its own 5; names without an account count
    # the same, so a refusal tells nothing about which exist.
    for host in range(5):
        for i in range(4):
            response = sign_in(client, username, f"guess{i}", address=f"192.0.2.{host}")
            assert response.status_code == 200
    refused = sign_in(client, username, PASSWORD, address="192.0.2.99")
    assert refused.status_code == 429
    assert "Too many failed sign-ins to this account: at most 20 in 15 minutes" in refused.text
    # Its username in any case is the same account.
    assert sign_in(client, username.upper(), address="192.0.2.98").status_code == 429


def test_an_address_is_limited_across_accounts(client: Client, june: User) -> None:
    for name in range(10):
        for i in range(4):
            assert sign_in(client, f"user{name}", f"guess{i}").status_code == 200
    refused = sign_in(client, "june", PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed sign-ins from this address: at most 40 in 15 minutes" in refused.text
    # Someone else, somewhere else, is not affected.
    assert sign_in(Client(), "june", PASSWORD, address=OWNER).status_code == 302


def test_the_admin_sign_in_counts_with_the_main_one(client: Client, june: User) -> None:
    for i in range(3):
        sign_in(client, password=f"wrong{i}")
    for i in range(2):
        response = client.post(
            ADMIN_LOGIN, {"username": "june", "password": f"admin{i}"}, REMOTE_ADDR=ATTACKER
        )
        assert response.status_code == 200
    refused = client.post(
        ADMIN_LOGIN, {"username": "june", "password": PASSWORD}, REMOTE_ADDR=ATTACKER
    )
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many failed sign-ins: at most 5 in 15 minutes" in refused.text
    assert 'name="username" value="june"' in refused.text
    assert "Django site admin" in refused.text  # the admin's own page
    assert sign_in(client, password=PASSWORD).status_code == 429


def test_the_admin_sign_in_alone_is_limited(client: Client, june: User) -> None:
    statuses = [
        client.post(
            ADMIN_LOGIN, {"username": "june", "password": f"wrong{i}"}, REMOTE_ADDR=ATTACKER
        ).status_code
        for i in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    staff = Client()
    answer = staff.post(ADMIN_LOGIN, {"username": "june", "password": PASSWORD}, REMOTE_ADDR=OWNER)
    assert answer.status_code == 302


def test_a_members_right_password_on_the_admin_page_is_no_failure(client: Client) -> None:
    make_user(username="mark")
    for _ in range(6):
        response = client.post(
            ADMIN_LOGIN, {"username": "mark", "password": PASSWORD}, REMOTE_ADDR=ATTACKER
        )
        assert response.status_code == 200  # "a staff account", not a refusal
    assert sign_in(client, "mark", PASSWORD).status_code == 302


def test_a_refusal_is_logged_once_with_the_username_and_address(
    client: Client, june: User, caplog: pytest.LogCaptureFixture
) -> None:
    for i in range(5):
        sign_in(client, password=f"wrong{i}")
    caplog.clear()
    with caplog.at_level("WARNING"):
        statuses = [sign_in(client, password=f"more{i}").status_code for i in range(4)]
    assert statuses == [429] * 4
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    line = warnings[0].getMessage()
    assert line.startswith("sign-in refused (login_pair): username 'june' from 203.0.113.7;")
    assert warnings[0].name == "core.services.accounts"


def test_blank_fields_count_nothing(client: Client, june: User) -> None:
    for _ in range(10):
        assert client.post(LOGIN, {"username": "june", "password": ""}).status_code == 200
    assert sign_in(client, password=PASSWORD).status_code == 302


@override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_behind_the_proxy_each_client_counts_by_its_forwarded_address(
    client: Client, june: User
) -> None:
    proxy = "10.0.0.2"

    def through_proxy(forwarded: str, password: str = WRONG) -> int:
        return client.post(
            LOGIN,
            {"username": "june", "password": password},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=forwarded,
        ).status_code

    # What the client writes before the proxy's own entry changes nothing.
    statuses = [through_proxy(f"198.18.0.{i}, {ATTACKER}") for i in range(6)]
    assert statuses == [200] * 5 + [429]
    # Everyone else comes through the same proxy, and is not refused with the attacker.
    assert through_proxy(OWNER, PASSWORD) == 302


def test_without_the_proxy_a_forwarded_header_is_not_believed(client: Client, june: User) -> None:
    statuses = [
        client.post(
            LOGIN,
            {"username": "june", "password": "wrong"},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"198.18.0.{i}",
        ).status_code
        for i in range(6)
    ]
    assert statuses == [200] * 5 + [429]


def test_ipv6_clients_count_by_their_64(client: Client, june: User) -> None:
    statuses = [
        sign_in(client, password="wrong", address=f"2001:db8:1:2::{i:x}").status_code
        for i in range(1, 7)
    ]
    assert statuses == [200] * 5 + [429]
