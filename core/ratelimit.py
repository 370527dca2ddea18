"""Per-member rate limits on writing (annotations, replies, flags, disputes), kept in Redis.

A fixed window per member and action: simple, shared by every web process, and cheap (one
INCR). Going over answers 429 with a clear message (core.errors.TooManyRequests).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from core.errors import TooManyRequests

NOUNS = {
    "annotate": "annotations",
    "reply": "replies",
    "flag": "flags",
    "dispute": "disputes",
}


def check(user_id: int, action: str) -> None:
    """Count one `action` by the user; raise TooManyRequests past the configured limit."""
    limit, seconds = settings.RATE_LIMITS[action]
    window = int(time.time() // seconds)
    key = f"ratelimit:{action}:{user_id}:{window}"
    cache.add(key, 0, timeout=seconds + 5)
    count = cache.incr(key)
    if count > limit:
        retry = seconds - int(time.time() % seconds)
        raise TooManyRequests(
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
