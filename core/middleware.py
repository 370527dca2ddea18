"""Refuse input PostgreSQL cannot store before it reaches a view."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, JsonResponse

NUL_MESSAGE = "The request contains a NUL character, which Glossa does not accept."


class RejectNulMiddleware:
    """A NUL byte (raw, %00, or \\u0000 in JSON) anywhere in the request: 400, never a 500.

    PostgreSQL text cannot hold NUL, so without this every field would need its own check.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw_query = request.META.get("QUERY_STRING", "")
        suspicious = (
            "\x00" in request.path
            or b"\x00" in unquote_to_bytes(raw_query)
            or self._body_has_nul(request)
        )
        if suspicious:
            if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
                return JsonResponse({"detail": NUL_MESSAGE, "code": "invalid"}, status=400)
            return HttpResponse(NUL_MESSAGE, status=400, content_type="text/plain")
        return self.get_response(request)

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
