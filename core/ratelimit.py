"""Per-member rate limits on writing (annotations, replies, flags, disputes, imports), kept in
Redis.

A sliding window per member and action, shared by every web process and cheap (a few Redis
calls): this window's count plus the share of the previous one's that still falls in the last
minute (or hour). Fixed windows alone let a flood spend a whole allowance at the start of
every window, a burst that slows everyone (tests/load); this spreads it out. Going over answers
429 with a clear message (core.errors.TooManyRequests). While Redis is away the limits are off
(fail open): members keep writing, and the outage is logged.

A client refused by refuse_if_over() is remembered, by its session (remember_refusal), until
its Retry-After passes: core.middleware.FloodGateMiddleware then refuses its next tries at
the same action first thing, before the session, the user or the form are loaded. A flood
costs the server a few Redis calls a request. A client that keeps sending while refused (more
tries than the limit allows in its window) is refused for RATE_LIMIT_PENALTY_SECONDS, on any
session and through the API too: a script hammering the server gets nothing through, not a
trickle at the limit. API clients (tokens) meet the same limits and penalty in check().

Commands that write for members (seed_demo's threads) run inside suspended(): no limits.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import time
from collections.abc import Iterator
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from core.errors import TooManyRequests

logger = logging.getLogger(__name__)

NOUNS = {
    "annotate": "annotations",
    "reply": "replies",
    "flag": "flags",
    "dispute": "disputes",
    "import": "imports",
    "edit": "edits",
    "text_preview": "import previews",
    "text_import": "text imports",
    "export": "exports",
    "seminar": "new seminars",
    "invite_email": "invitation emails",
    "invite_recipient": "invitations to this address",
    "reset_recipient": "password-reset emails to this address",
    "reset_client": "password-reset requests",
    "login_pair": "failed sign-ins",
    "login_account": "failed sign-ins to this account",
    "login_client": "failed sign-ins from this address",
}

# Whose allowance: a member's id, or a string (an email address, a client address).
type Subject = int | str

_suspended: ContextVar[bool] = ContextVar("ratelimit_suspended", default=False)


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """No limits, nothing counted, inside the block: for management commands that write on
    members' behalf faster than any member may (the demo seminar's threads). Never for a
    request."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


def check(user_id: Subject, action: str, *, penalise: bool = True) -> None:
    """Count one `action` by the user; raise TooManyRequests past the configured limit.

    `user_id` may also be a string (an email address, a client address, a username): limits
    on things that are not a member's writes. `penalise=False` never escalates to the
    penalty (sign-in failures, where the account's owner must not be locked out for long)."""
    if _suspended.get():
        return
    limit, seconds = settings.RATE_LIMITS[action]
    key, previous = _keys(user_id, action, seconds)
    penalty = _penalty_key(user_id, action)
    try:
        cache.add(key, 0, timeout=2 * seconds + 5)  # read as the previous window, next
        count = cache.incr(key)
        found = cache.get_many([previous, penalty])
    except (RedisError, ValueError) as error:  # ValueError: Redis restarted between the two
        logger.warning("rate limit %s not checked (Redis unavailable): %s", action, error)
        return
    if (until := found.get(penalty)) and until > time.time():  # from any client: page or API
        raise _penalised(action, until)
    before = found.get(previous) or 0
    if _recent(count, before, seconds) <= limit:
        return
    # As many refused tries as allowed ones: kept sending while refused.
    if penalise and count > 2 * limit:
        raise _penalised(action, _begin_penalty(user_id, action, _penalty_ends()))
    raise _refusal(action, limit, seconds, count + 1, before)


def refuse_if_over(user_id: Subject, action: str) -> None:
    """Raise TooManyRequests if the user is already past the limit, counting nothing.

    One Redis read, for views to refuse a flood before any other work: a client hammering
    the server then costs it little (check() still counts every attempt that gets further).
    """
    if _suspended.get():
        return
    limit, seconds = settings.RATE_LIMITS[action]
    key, previous = _keys(user_id, action, seconds)
    penalty = _penalty_key(user_id, action)
    try:
        found = cache.get_many([key, previous, penalty])
    except RedisError:  # check() logs it, if the request gets that far
        return
    if (until := found.get(penalty)) and until > time.time():
        raise _penalised(action, until)
    count, before = found.get(key) or 0, found.get(previous) or 0
    if _recent(count + 1, before, seconds) > limit:
        raise _refusal(action, limit, seconds, count + 1, before)


def remember_refusal(
    client: str, user_id: Subject, action: str, error: TooManyRequests, *, penalise: bool = True
) -> None:
    """Note that the client (client_key()) may not `action` for error.retry_after seconds.

    The refusal counts as a try, and so does every try refused on record (refusal_on_record)
    within the limit's window, however short each Retry-After: a script that sends again the
    moment each refusal lapses (a trickle at the limit) meets the penalty as a flood does.
    `penalise=False`: never escalates (sign-ins, whose owner must not be locked out long)."""
    limit, seconds = settings.RATE_LIMITS[action]
    until = time.time() + error.retry_after
    gate_key, tries_key = _gate_key(client, action), _tries_key(client, action)
    try:
        cache.add(tries_key, 0, timeout=max(seconds, error.retry_after))
        tries = cache.incr(tries_key)
        if penalise and _kept_sending(tries, limit):
            until = _begin_penalty(user_id, action, max(until, _penalty_ends()))
        gate = (until, user_id, penalise and _kept_sending(tries, limit), penalise)
        cache.set(gate_key, gate, timeout=max(1, math.ceil(until - time.time())))
    except (RedisError, ValueError):  # ValueError: the count expired between the two
        return


def refusal_on_record(client: str, action: str) -> TooManyRequests | None:
    """The refusal remembered for the client and action, if it still holds. This try counts:
    past the limit's worth of them, the refusal becomes the penalty, for the user on any
    session."""
    limit, seconds = settings.RATE_LIMITS[action]
    gate, tries = _gate_key(client, action), _tries_key(client, action)
    try:
        found = cache.get(gate)
        if not found or found[0] <= time.time():
            return None
        until, user_id, penalised, escalates = found
        if not penalised and escalates:
            cache.add(tries, 0, timeout=seconds)  # lapsed with the window: counting again
            if _kept_sending(cache.incr(tries), limit):
                until = _begin_penalty(user_id, action, max(until, _penalty_ends()))
                penalised = True
                value = (until, user_id, True, True)
                cache.set(gate, value, timeout=math.ceil(until - time.time()))
    except (RedisError, ValueError):  # ValueError: the count expired between the two
        return None
    if penalised:
        return _penalised(action, until)
    retry = max(1, math.ceil(until - time.time()))
    return TooManyRequests(
        f"Too many {NOUNS.get(action, action)}: at most {limit} in {_duration(seconds)}. "
        f"Try again in {_duration(retry)}.",
        retry_after=retry,
    )


def _kept_sending(tries: int, limit: int) -> bool:
    """Refused once, then as many refused tries as the limit allows: more is a script."""
    return tries > limit + 1


def client_key(session_key: str) -> str:
    """Who is asking, for remember_refusal(): a digest of their session cookie (never the
    cookie itself, which would let anyone who reads Redis sign in as them)."""
    return hashlib.sha256(session_key.encode()).hexdigest()[:32]


def _gate_key(client: str, action: str) -> str:
    return f"ratelimit:gate:{action}:{client}"


def _tries_key(client: str, action: str) -> str:
    return f"ratelimit:tries:{action}:{client}"


def _penalty_key(user_id: Subject, action: str) -> str:
    return f"ratelimit:penalty:{action}:{_who(user_id)}"


def _penalty_ends() -> float:
    return time.time() + settings.RATE_LIMIT_PENALTY_SECONDS


def _begin_penalty(user_id: Subject, action: str, until: float) -> float:
    """Refuse the user `action` until `until`, on any session and through the API (logged
    once, here). Without Redis, only this refusal says so."""
    timeout = math.ceil(until - time.time())
    with contextlib.suppress(RedisError):
        cache.set(_penalty_key(user_id, action), until, timeout=timeout)
    logger.warning("rate limit %s: user %s kept sending; refused %s s", action, user_id, timeout)
    return until


def _penalised(action: str, until: float) -> TooManyRequests:
    limit, seconds = settings.RATE_LIMITS[action]
    retry = max(1, math.ceil(until - time.time()))
    return TooManyRequests(
        f"Too many {NOUNS.get(action, action)}: at most {limit} in {_duration(seconds)}, and "
        f"more kept coming while you were asked to wait. Try again in {_duration(retry)}.",
        retry_after=retry,
    )


def _keys(user_id: Subject, action: str, seconds: int) -> tuple[str, str]:
    """This window's counter and the previous window's."""
    window, who = int(time.time() // seconds), _who(user_id)
    return (f"ratelimit:{action}:{who}:{window}", f"ratelimit:{action}:{who}:{window - 1}")


def _who(user_id: Subject) -> str:
    """A member's id as it is; any other subject (an address, a name) as a short digest, so
    keys stay small and Redis holds no email addresses."""
    if isinstance(user_id, int):
        return str(user_id)
    return "h" + hashlib.sha256(user_id.strip().lower().encode()).hexdigest()[:24]


def _recent(count: int, before: int, seconds: int) -> float:
    """How many in the last `seconds`, taking the previous window's as spread evenly."""
    return count + before * (1 - (time.time() % seconds) / seconds)


def _refusal(action: str, limit: int, seconds: int, count: int, before: int) -> TooManyRequests:
    """The 429, saying when another try (this window's `count`-th) will pass."""
    into = time.time() % seconds
    if count <= limit and before:
        wait = seconds * (1 - (limit - count) / before) - into
    else:  # not before the next window, whose share of this one's shrinks in turn
        wait = seconds - into + seconds * max(0.0, 1 - (limit - 1) / max(count - 1, 1))
    retry = max(1, int(wait + 0.999))
    return TooManyRequests(
        f"Too many {NOUNS.get(action, action)}: at most {limit} in "
        f"{_duration(seconds)}. Try again in {_duration(retry)}.",
        retry_after=retry,
    )


def _duration(seconds: int) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours > 1 else ''}"
    if seconds >= 60:
        minutes = round(seconds / 60)
        return f"{minutes} minute{'s' if minutes > 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def reset(user_id: Subject, action: str) -> None:
    """Forget what the user has counted for `action` (a sign-in that succeeds clears the
    failures before it)."""
    _, seconds = settings.RATE_LIMITS[action]
    with contextlib.suppress(RedisError):
        cache.delete_many([*_keys(user_id, action, seconds), _penalty_key(user_id, action)])
