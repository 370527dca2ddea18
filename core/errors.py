"""Errors a service raises when a request cannot be carried out; each knows its HTTP status.

Field-level problems raise Django's `ValidationError` (400 in the API, 422 with the form
re-rendered in pages); these are for the rest.
"""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Conflict(ServiceError):
    """The request contradicts the current state (the last owner leaving, a stale edit)."""

    status = 409
    code = "conflict"


class Gone(ServiceError):
    """The thing existed but can no longer be used (an expired or used-up invitation)."""

    status = 410
    code = "gone"


class PayloadTooLarge(ServiceError):
    status = 413
    code = "too_large"


class UnsupportedMedia(ServiceError):
    """Input that is not text we can read (binary, an unknown encoding)."""

    status = 415
    code = "unsupported"


class Unprocessable(ServiceError):
    """Well-formed input that cannot be used (an empty file, edits outside the text)."""

    status = 422
    code = "unprocessable"


class TooManyRequests(ServiceError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def refusal(error: Exception) -> tuple[str, int]:
    """What a page says when a service refused (a ServiceError: its message and status) or a
    value was invalid (Django's ValidationError: its messages, 422)."""
    if isinstance(error, ServiceError):
        return error.message, error.status
    messages = getattr(error, "messages", None)  # ValidationError, without importing Django
    return (" ".join(messages) if messages else str(error)), 422
