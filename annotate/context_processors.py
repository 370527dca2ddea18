"""Template context every page needs: the signed-in member's unread notification count."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from annotate import access


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: templates that never show the count cost no query.
    return {
        "unread_notifications": lambda: (
            access.notifications(user).filter(read_at__isnull=True).count()
        )
    }
