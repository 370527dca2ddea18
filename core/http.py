"""Answering a request with a whole page or, for htmx, just the part that changed."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import reswap
from django_htmx.middleware import HtmxDetails
from rest_framework.request import Request

from core import ratelimit
from core.errors import TooManyRequests
from core.models import User

View = Callable[..., HttpResponse]


class HtmxRequest(HttpRequest):
    """A request as the views see it: django_htmx's HtmxMiddleware (installed for every
    request) has said whether htmx sent it, and what for."""

    htmx: HtmxDetails


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx sent the request (django_htmx's HX-Request, not the header by hand)."""
    return bool(cast(HtmxRequest, request).htmx)


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render `template`, or only its `{% partialdef partial %}` when htmx asked for it."""
    name = f"{template}#{partial}" if partial and is_htmx(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def refuse_floods(action: str) -> Callable[[View], View]:
    """Answer 429 at once, before any other work, to a member already past a rate limit.

    The refusal is remembered for the member's session, so that FloodGateMiddleware answers
    their next tries even sooner (see core.ratelimit).
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def refusing(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.user.is_authenticated:
                try:
                    ratelimit.refuse_if_over(request.user.pk, action)
                except TooManyRequests as error:
                    client = client_of(request)
                    if client:
                        ratelimit.remember_refusal(client, request.user.pk, action, error)
                    return flood_refusal(error)
            return view(request, *args, **kwargs)

        refusing.flood_action = action  # type: ignore[attr-defined]  # for FloodGateMiddleware
        return refusing

    return decorate


def flood_refusal(
    error: TooManyRequests, *, whole_page: bool = False, back: str = "/"
) -> HttpResponse:
    """The 429 for a flood. The message goes first into the htmx target (`HX-Reswap:
    afterbegin`), so a form the member was filling in stays as it was; a form sent without
    htmx gets a small page of its own, with the way back (built here: no template, session or
    user is loaded for a refusal)."""
    message = f'<p class="message message-error" role="alert">{escape(error.message)}</p>'
    if whole_page:
        message = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>Too many requests · Glossa</title></head><body><main>"
            f'{message}<p><a href="{escape(back)}">Back</a></p></main></body></html>'
        )
    response = HttpResponse(message, status=429, headers={"Retry-After": str(error.retry_after)})
    return reswap(response, "afterbegin")


def with_retry_after[R: HttpResponseBase](response: R, error: Exception | None) -> R:
    """The response, saying when to try again if a rate limit refused the request."""
    if isinstance(error, TooManyRequests):
        response["Retry-After"] = str(error.retry_after)
    return response


def client_of(request: HttpRequest) -> str:
    """ratelimit.client_key() of the request's session cookie ("" without one)."""
    session = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    return ratelimit.client_key(session) if session else ""


def client_address(request: HttpRequest) -> str:
    """The network address a request came from, for limits by client (sign-ins, resets).

    Behind the TLS proxy (BEHIND_TLS_PROXY, which sets SECURE_PROXY_SSL_HEADER) REMOTE_ADDR is
    the proxy's own, the same for everyone: the client is then the last X-Forwarded-For entry,
    the one the proxy added (those before it are whatever the client sent). An IPv6 client
    counts as its /64, which one host usually holds whole and could otherwise rotate through.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    candidates = [remote]
    if settings.SECURE_PROXY_SSL_HEADER:
        candidates.insert(0, request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip())
    for candidate in candidates:
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        if isinstance(address, ipaddress.IPv6Address):
            if address.ipv4_mapped:
                return str(address.ipv4_mapped)
            return str(ipaddress.ip_network(f"{address}/64", strict=False))
        return str(address)
    return remote or "unknown"


def signed_in_user(request: HttpRequest | Request) -> User:
    """The user behind a request that login_required (or IsAuthenticated) already let through."""
    user = request.user
    assert isinstance(user, User), "signed_in_user needs an authenticated request"
    return user


def site_request() -> HttpRequest:
    """A request standing for the site (SITE_URL), for building absolute URLs outside a
    request: in Celery tasks."""
    parts = urlsplit(settings.SITE_URL)
    request = HttpRequest()
    request.META["HTTP_HOST"] = parts.netloc
    request.META["SERVER_PORT"] = str(parts.port or (443 if parts.scheme == "https" else 80))
    if parts.scheme == "https":
        request.META["wsgi.url_scheme"] = "https"
        request.META["HTTPS"] = "on"
    return request


def safe_next(request: HttpRequest, default: str) -> str:
    """Where a form's `next` asks to go, if it is on this site; else `default`. Every view
    that follows a `next` goes through here, so none can be made an open redirect."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else default
