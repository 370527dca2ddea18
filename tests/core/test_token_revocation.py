"""A changed password revokes the API token, whichever way it was changed (probe finding L8:
the old token kept answering 200 after POST /accounts/password/)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from rest_framework.authtoken.models import Token

from core.models import User
from tests.conftest import login
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-passphrase-1956"


def api_status(key: str) -> int:
    return Client().get("/api/v1/seminars/", HTTP_AUTHORIZATION=f"Token {key}").status_code


def token_of(client: Client) -> str:
    """A token made on the token page, as a member would."""
    client.post("/accounts/tokens/new/")
    user = client.get("/accounts/tokens/").context["user"]
    key = Token.objects.get(user=user).key
    assert api_status(key) == 200
    return key


def test_the_password_change_page_revokes_the_token(client: Client) -> None:
    key = token_of(login(client, make_user(username="june")))
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1] == ("/accounts/password/done/", 302)
    assert api_status(key) == 401
    assert "If you had an API token, it is revoked" in response.text
    # The member's session goes on (Django keeps it across their own change).
    assert client.get("/accounts/tokens/").status_code == 200


def test_a_reset_link_revokes_the_token(client: Client) -> None:
    make_user(username="june", email="june@example.org")
    key = token_of(login(Client(), User.objects.get(username="june")))
    client.post("/accounts/password/reset/", {"email": "june@example.org"})
    link = re.search(r"/accounts/password/reset/[^/]+/[^/\s]+/", str(mail.outbox[0].body))
    assert link
    form = client.get(link.group(0), follow=True)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert done.redirect_chain[-1] == ("/accounts/password/reset/done/", 302)
    assert api_status(key) == 401
    assert "If you had an API token, it is revoked" in done.text


def test_the_admins_password_form_revokes_the_token(client: Client) -> None:
    june = make_user(username="june")
    key = token_of(login(Client(), june))
    login(client, make_user(username="root", is_staff=True, is_superuser=True))
    response = client.post(
        f"/admin/core/user/{june.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    june.refresh_from_db()
    assert june.check_password(NEW_PASSWORD)
    assert api_status(key) == 401


def test_signing_in_keeps_the_token_even_when_the_hash_is_upgraded(
    client: Client, settings: Any
) -> None:
    june = make_user(username="june")  # stored with MD5 (tests/conftest.py)
    key = token_of(login(Client(), june))
    # A stronger hasher first: signing in rehashes the password, which is no change of it.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.ScryptPasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    response = client.post("/accounts/login/", {"username": "june", "password": PASSWORD})
    assert response.status_code == 302
    june.refresh_from_db()
    assert june.password.startswith("scrypt$")
    assert api_status(key) == 200


def test_the_pages_say_so(client: Client) -> None:
    login(client, make_user())
    assert "Changing your password revokes your API token." in client.get("/accounts/tokens/").text
    change = client.get("/accounts/password/").text
    assert "A new password also revokes your API token, if you have one." in change
