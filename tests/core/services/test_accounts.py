from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token

from core.models import User
from core.services import accounts
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_standard_create_user_still_works() -> None:
    user = User.objects.create_user("plain", "plain@example.org", "pw-123-456-789")
    assert user.check_password("pw-123-456-789")
    assert user.name == "plain"


def test_email_is_unique_ignoring_case() -> None:
    make_user(username="a", email="Same@Example.org")
    with pytest.raises(ValidationError) as raised:
        accounts.user_signup(username="b", email="same@example.org", password="pw-123-456-789")
    assert "already exists" in str(raised.value)
    assert not User.objects.filter(username="b").exists()


def test_profile_update_keeps_display_name_and_rejects_a_taken_email() -> None:
    make_user(username="a", email="a@example.org")
    user = make_user(username="b", email="b@example.org")
    accounts.user_update_profile(user=user, display_name=" Béla ", email="b2@example.org")
    user.refresh_from_db()
    assert (user.name, user.email) == ("Béla", "b2@example.org")
    with pytest.raises(ValidationError):
        accounts.user_update_profile(user=user, display_name="Béla", email="A@example.org")


def test_token_create_replaces_and_revoke_deletes() -> None:
    user = make_user()
    first = accounts.api_token_create(user=user)
    second = accounts.api_token_create(user=user)
    assert first.key != second.key
    assert list(Token.objects.filter(user=user).values_list("key", flat=True)) == [second.key]
    assert accounts.api_token_revoke(user=user) is True
    assert accounts.api_token_revoke(user=user) is False
