"""Accounts: sign-up and API tokens."""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token

from core.models import User


@transaction.atomic
def user_signup(*, username: str, email: str, password: str, display_name: str = "") -> User:
    """Create an account (emailed invitations are taken through their signed link)."""
    user = User(username=username, email=email, display_name=display_name.strip())
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def user_update_profile(*, user: User, display_name: str, email: str) -> User:
    user.display_name, user.email = display_name.strip(), email.strip()
    user.full_clean()
    user.save(update_fields=["display_name", "email"])
    return user


@transaction.atomic
def api_token_create(*, user: User) -> Token:
    """A new API token; it replaces (and so revokes) any earlier one."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


@transaction.atomic
def api_token_revoke(*, user: User) -> bool:
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)
