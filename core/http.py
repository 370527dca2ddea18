"""Answering a request with a whole page or, for htmx, just the part that changed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from rest_framework.request import Request

from core.models import User


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render `template`, or only its `{% partialdef partial %}` when htmx asked for it."""
    is_htmx = bool(getattr(request, "htmx", False))
    name = f"{template}#{partial}" if partial and is_htmx else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def signed_in_user(request: HttpRequest | Request) -> User:
    """The user behind a request that login_required (or IsAuthenticated) already let through."""
    user = request.user
    assert isinstance(user, User), "signed_in_user needs an authenticated request"
    return user


def site_request() -> HttpRequest:
    """A request standing for the site (SITE_URL), for building absolute URLs outside a
    request: in Celery tasks."""
    from urllib.parse import urlsplit

    from django.conf import settings

    parts = urlsplit(settings.SITE_URL)
    request = HttpRequest()
    request.META["HTTP_HOST"] = parts.netloc
    request.META["SERVER_PORT"] = str(parts.port or (443 if parts.scheme == "https" else 80))
    if parts.scheme == "https":
        request.META["wsgi.url_scheme"] = "https"
        request.META["HTTPS"] = "on"
    return request
