"""Refuse floods and input PostgreSQL cannot store before they reach a view; say 503 while the
database is away."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.contrib import messages
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import reswap

from core import ratelimit
from core.errors import ServiceError
from core.http import client_of, flood_refusal, is_htmx, with_retry_after

logger = logging.getLogger(__name__)

NUL_MESSAGE = "The request contains a NUL character, which Glossa does not accept."
UTF8_MESSAGE = "The request is not valid UTF-8 text, the only encoding Glossa reads."


class BodyLimitMiddleware:
    """A body larger than any request Glossa accepts (DATA_UPLOAD_MAX_MEMORY_SIZE: the largest
    upload plus room for the form) is refused by its Content-Length, 413, before a byte of it
    is read: no 30 MB upload is spooled to disk only to be refused, or to answer a non-member
    404 afterwards. Without a Content-Length the server hands Django no body at all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            message = (
                f"The request is {_size(length)}, larger than Glossa accepts: a file can be "
                f"at most {_size(settings.UPLOAD_MAX_BYTES)}."
            )
            if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
                return JsonResponse({"detail": message, "code": "too_large"}, status=413)
            return reswap(
                HttpResponse(
                    f'<p class="message message-error" role="alert">{message}</p>', status=413
                ),
                "afterbegin",
            )
        return self.get_response(request)


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count / 1e3:.0f} KB"


class ServiceErrorMiddleware:
    """A service's refusal (core.errors.ServiceError) that a page view did not catch answers
    with its status and message, never a 500: into the htmx target without replacing it, or
    back on the page the member came from."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ServiceError) or request.path.startswith("/api/"):
            return None
        response: HttpResponse
        if is_htmx(request):  # this middleware runs inside django_htmx's
            response = HttpResponse(
                f'<p class="message message-error" role="alert">{escape(exception.message)}</p>',
                status=exception.status,
            )
            return with_retry_after(reswap(response, "afterbegin"), exception)
        messages.error(request, exception.message)
        back = request.headers.get("Referer", "")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return with_retry_after(HttpResponseRedirect(back), exception)
        response = HttpResponse(
            escape(exception.message),
            status=exception.status,
            content_type="text/plain; charset=utf-8",
        )
        return with_retry_after(response, exception)


class FloodGateMiddleware:
    """A client refused for flooding (core.http.refuse_floods) is refused again here, until its
    Retry-After passes, before its session, user, CSRF token or form are looked at: one Redis
    read. Other requests pass untouched (a POST to a rate-limited view costs that read)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            try:
                view = resolve(request.path_info).func
            except Resolver404:
                view = None
            action = getattr(view, "flood_action", None)
            # Whose refusal: the session's, or what the view says (the sign-in page: the client
            # address and the account tried, as its limits count them).
            client = getattr(view, "flood_client", client_of)(request) if action else ""
            if client and (refusal := ratelimit.refusal_on_record(client, str(action))):
                page = not request.headers.get("HX-Request")
                back = request.path if hasattr(view, "flood_client") else "/"
                response = flood_refusal(refusal, whole_page=page, back=back)
                # Logged once, when refused in the view (and when a penalty begins): a flood
                # is not also a flood of "Too Many Requests" lines in the log.
                response._has_been_logged = True  # type: ignore[attr-defined]
                return response
        return self.get_response(request)


class RejectNulMiddleware:
    """A NUL byte (raw, %00, or \\u0000 in JSON) anywhere in the request: 400, never a 500.

    PostgreSQL text cannot hold NUL, so without this every field would need its own check.
    Invalid UTF-8 in the query string, a form body or a multipart form's text fields is
    refused too (Django would replace it with U+FFFD, storing something nobody sent); uploaded
    files are decoded, and refused with their own message, by the import.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw_query = unquote_to_bytes(request.META.get("QUERY_STRING", ""))
        problem = ""
        if "\x00" in request.path or b"\x00" in raw_query or self._body_has_nul(request):
            problem = NUL_MESSAGE
        elif (
            not _is_utf8(raw_query)
            or not _is_utf8(self._form_body(request))
            or not all(_is_utf8(field) for field in self._multipart_fields(request))
        ):
            problem = UTF8_MESSAGE
        if problem:
            if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
                return JsonResponse({"detail": problem, "code": "invalid"}, status=400)
            return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _form_body(request: HttpRequest) -> bytes:
        """A url-encoded form body, decoded to bytes (b"" for any other request)."""
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return b""
        if not request.headers.get("Content-Type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return b""
        charset = (request.content_params or {}).get("charset", "utf-8")
        if charset.lower() not in ("utf-8", "utf8"):
            return b""  # Django decodes a form in the charset it declares
        try:
            return unquote_to_bytes(request.body.replace(b"+", b" "))
        except Exception:  # too large: Django answers that itself
            return b""

    @staticmethod
    def _multipart_fields(request: HttpRequest) -> list[bytes]:
        """The raw values of a multipart form's fields that are not files ([] otherwise)."""
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return []
        if not request.headers.get("Content-Type", "").startswith("multipart/form-data"):
            return []
        params = request.content_params or {}
        boundary = params.get("boundary", "")
        if not boundary or params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
            return []  # Django refuses the first; it decodes in the declared charset
        try:
            body = request.body  # bounded by DATA_UPLOAD_MAX_MEMORY_SIZE; Django parses it after
        except Exception:  # too large: Django answers that itself
            return []
        fields = []
        for part in body.split(b"--" + boundary.encode("latin-1"))[1:]:
            head, _, value = part.partition(b"\r\n\r\n")
            if b"filename=" not in head.lower() and b"content-disposition" in head.lower():
                fields.append(value.removesuffix(b"\r\n"))
        return fields

    @staticmethod
    def _body_has_nul(request: HttpRequest) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return False
        content_type = request.headers.get("Content-Type", "")
        if content_type.startswith("multipart/"):
            return False  # uploads are decoded and checked by the import itself
        try:
            body = request.body
        except Exception:  # too large: Django answers that itself
            return False
        if b"\x00" in body or b"\\u0000" in body:
            return True
        return content_type.startswith("application/x-www-form-urlencoded") and (b"%00" in body)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


DATABASE_UNAVAILABLE = "The database is not answering just now. Try again in a few seconds."


class DatabaseUnavailableMiddleware:
    """PostgreSQL down or restarting: 503 with Retry-After at once, not a 500 page.

    An OperationalError (connection refused or lost, recovery in progress, a deadlock or lock
    timeout) is transient: the client should try again. What failed was rolled back; a change
    committed before the connection broke stands (a retry meets it as usual).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable: %s %s", request.method, request.path, exc_info=True)
        if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
            response: HttpResponse = JsonResponse(
                {"detail": DATABASE_UNAVAILABLE, "code": "unavailable"}, status=503
            )
        else:
            response = HttpResponse(DATABASE_UNAVAILABLE, status=503, content_type="text/plain")
        response["Retry-After"] = "5"
        return response
