"""Accounts: sign-up, API tokens, and the limits on failed sign-ins and password resets."""

from __future__ import annotations

import hashlib
import logging

from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError
from rest_framework.authtoken.models import Token

from core import ratelimit
from core.errors import TooManyRequests
from core.models import User

logger = logging.getLogger(__name__)


@transaction.atomic
def member_lock(*, user_id: int) -> None:
    """Hold the user's row until the transaction ends, so that one member's concurrent
    requests for a limited thing (their export or import jobs) are decided one at a time. FOR
    NO KEY UPDATE does not block rows that merely refer to the user (their new job, say)."""
    list(User.objects.select_for_update(no_key=True).filter(pk=user_id).values_list("pk"))


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


def api_tokens_revoke_on_password_change(*, user: User) -> None:
    """A new password locks out programs holding the old token: after an account is taken
    back, whoever took it keeps no way in (core.passwords calls this on every change)."""
    if user.pk and api_token_revoke(user=user):
        logger.info("API token of %s revoked: the password changed", user.username)


# --- Failed sign-ins -------------------------------------------------------------------------
# Only failures count, by the account and client address together (the tight limit: someone
# mistyping their own password), by the account from anywhere (looser: a spread-out guess at
# one account) and by the client address at any account (credential stuffing). None escalates
# to the penalty and refused tries are not counted, so a refused owner waits out the window's
# share of old failures, never longer; names without an account count like the others, so a
# refusal says nothing about which exist.


def _signin_subjects(username: str, client: str) -> dict[str, str]:
    account = username.strip().lower()
    # A client address holds no space, so "address name" names one pair only.
    return {"login_pair": f"{client} {account}", "login_account": account, "login_client": client}


def signin_refuse_if_over(*, username: str, client: str) -> None:
    """Raise TooManyRequests, before the password is checked (and hashed), if this account or
    this client is already past a limit on failed sign-ins."""
    for action, subject in _signin_subjects(username, client).items():
        try:
            ratelimit.refuse_if_over(subject, action)
        except TooManyRequests as refusal:
            _log_signin_refusal(action, subject, refusal, username=username, client=client)
            raise


def signin_failed(*, username: str, client: str) -> None:
    """Count a failed sign-in against each limit; raise TooManyRequests if one is now past it
    (only when failures arrive together: refuse_if_over() stops the next one otherwise)."""
    refusals = []
    for action, subject in _signin_subjects(username, client).items():
        try:
            ratelimit.check(subject, action, penalise=False)
        except TooManyRequests as refusal:
            _log_signin_refusal(action, subject, refusal, username=username, client=client)
            refusals.append(refusal)
    if refusals:
        raise refusals[0]


def signin_succeeded(*, username: str, client: str) -> None:
    """The right password: its earlier failures from this client no longer count (those at the
    account from elsewhere, and the client's at other accounts, still do)."""
    ratelimit.reset(_signin_subjects(username, client)["login_pair"], "login_pair")


def _log_signin_refusal(
    action: str, subject: str, refusal: TooManyRequests, *, username: str, client: str
) -> None:
    if _first_refusal(action, subject, refusal):
        logger.warning(
            "sign-in refused (%s): username %r from %s; refused for %s s",
            action,
            username,
            client,
            refusal.retry_after,
        )


def _first_refusal(action: str, subject: str, refusal: TooManyRequests) -> bool:
    """Whether this refusal begins one (none was made for the subject within its Retry-After):
    a flood is logged once, not once a request."""
    digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:24]
    try:
        return bool(
            cache.add(f"ratelimit:refused:{action}:{digest}", 1, timeout=refusal.retry_after)
        )
    except RedisError:
        return True


# --- Password resets -------------------------------------------------------------------------


def password_reset_allowed(*, email: str, client: str) -> bool:
    """Count one password-reset request. Raise TooManyRequests past the client's limit; answer
    False (send nothing, and say nothing different: the page would tell whether the address has
    an account) past the limit on emails to this address."""
    try:
        ratelimit.refuse_if_over(client, "reset_client")
        ratelimit.check(client, "reset_client", penalise=False)
    except TooManyRequests as refusal:
        if _first_refusal("reset_client", client, refusal):
            logger.warning(
                "password reset refused: too many requests from %s; refused for %s s",
                client,
                refusal.retry_after,
            )
        raise
    try:
        ratelimit.refuse_if_over(email, "reset_recipient")
        ratelimit.check(email, "reset_recipient", penalise=False)
    except TooManyRequests as refusal:
        if _first_refusal("reset_recipient", email, refusal):
            logger.warning(
                "password reset to %r not sent: too many to this address (asked from %s); "
                "none sent for %s s",
                email,
                client,
                refusal.retry_after,
            )
        return False
    return True
