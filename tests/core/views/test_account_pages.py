from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from rest_framework.authtoken.models import Token

from core.models import User
from tests.conftest import login
from tests.factories import make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def test_signup_logs_in(client: Client) -> None:
    response = client.post(
        "/accounts/signup/",
        {
            "username": "vera",
            "email": "vera@example.org",
            "display_name": "Vera Kovács",
            "password1": "a-long-passphrase-1956",
            "password2": "a-long-passphrase-1956",
        },
    )
    assert response.status_code == 302
    assert client.get("/").context["user"].username == "vera"


def test_signup_errors_are_shown_with_422(client: Client) -> None:
    make_user(username="vera", email="vera@example.org")
    response = client.post(
        "/accounts/signup/",
        {
            "username": "vera",
            "email": "VERA@example.org",
            "password1": "short",
            "password2": "different",
        },
    )
    assert response.status_code == 422
    assert "A user with that username already exists." in response.text
    assert "An account with this email address already exists." in response.text
    assert User.objects.count() == 1


def test_login_logout_and_password_change(client: Client) -> None:
    user = make_user(username="vera")
    response = client.post(
        "/accounts/login/", {"username": "vera", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "correct-horse-battery",
            "new_password1": "another-long-passphrase",
            "new_password2": "another-long-passphrase",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-long-passphrase")
    client.post("/accounts/logout/")
    assert client.get("/accounts/profile/").status_code == 302


def test_password_reset_by_email(client: Client) -> None:
    make_user(username="vera", email="vera@example.org")
    response = client.post("/accounts/password/reset/", {"email": "vera@example.org"})
    assert response.status_code == 302
    link = re.search(r"/accounts/password/reset/[^/]+/[^/\s]+/", str(mail.outbox[0].body))
    assert link
    form = client.get(link.group(0), follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "brand-new-passphrase", "new_password2": "brand-new-passphrase"},
    )
    assert done.status_code == 302
    assert client.login(username="vera", password="brand-new-passphrase")


def test_profile_display_name(client: Client) -> None:
    user = make_user(username="vera")
    response = login(client, user).post(
        "/accounts/profile/", {"display_name": "Vera K.", "email": "v@example.org"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.name == "Vera K."


def test_api_token_page_create_shows_key_once_and_revoke(client: Client) -> None:
    user = make_user()
    login(client, user)
    created = client.post("/accounts/tokens/new/", headers=HTMX)
    token = Token.objects.get(user=user)
    assert created.status_code == 201
    assert token.key in created.text
    page = client.get("/accounts/tokens/")
    assert token.key not in page.text
    assert token.key[-4:] in page.text
    client.post("/accounts/tokens/revoke/")
    assert not Token.objects.filter(user=user).exists()


def test_drf_create_token_command_works() -> None:
    from django.core.management import call_command

    user = make_user(username="scripted")
    call_command("drf_create_token", "scripted", verbosity=0)
    assert Token.objects.filter(user=user).exists()


def test_display_name_loses_bidi_and_control_characters(client: Client) -> None:
    # U+202E would turn "Vera" and the words after it around wherever the name is shown.
    user = make_user(username="vera")
    response = login(client, user).post(
        "/accounts/profile/",
        {"display_name": "\u202eVera\u2066 K.\u2069\n\x07Admin\u200f", "email": "v@example.org"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.name == "Vera K. Admin"


def test_display_name_of_only_controls_falls_back_to_username(client: Client) -> None:
    user = make_user(username="vera")
    login(client, user).post(
        "/accounts/profile/", {"display_name": "\u202e\u202d", "email": "v@example.org"}
    )
    user.refresh_from_db()
    assert user.display_name == "" and user.name == "vera"
