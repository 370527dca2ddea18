"""One shape for API errors: {"detail", "code"}, plus field errors where there are some."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import bad_request as bad_request_page
from django.views.defaults import page_not_found
from drf_spectacular.utils import OpenApiResponse
from rest_framework import parsers, serializers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ServiceError, TooManyRequests

TOO_LARGE = "The request body is larger than Glossa accepts."
MAX_JSON_DEPTH = 100


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": TOO_LARGE, "code": "too_large"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, ServiceError):
        answer = Response({"detail": exc.message, "code": exc.code}, status=exc.status)
        if isinstance(exc, TooManyRequests):
            answer["Retry-After"] = str(exc.retry_after)
        return answer
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            body: dict[str, Any] = dict(exc.message_dict)
            body.setdefault("detail", " ".join(m for ms in exc.message_dict.values() for m in ms))
        else:
            body = {"detail": " ".join(exc.messages)}
        body["code"] = "invalid"
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data.setdefault("code", _code(exc))
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        # DRF's field errors: keep them, and add the one-line summary every error has.
        problems = [
            f"{field}: {' '.join(map(str, messages)) if isinstance(messages, list) else messages}"
            for field, messages in response.data.items()
        ]
        response.data = {**response.data, "detail": "; ".join(problems), "code": "invalid"}
    elif response is not None and isinstance(response.data, list):
        response.data = {"detail": " ".join(map(str, response.data)), "code": "invalid"}
    return response


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing what would fail later as a 500: JSON nested deeper than
    Python recurses (or than any request needs), and lone surrogates ("\\ud800"), which JSON
    escapes allow but no UTF-8 text, so no PostgreSQL column, can hold."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"The JSON is nested too deeply (at most {MAX_JSON_DEPTH}).") from None
        pending: list[tuple[Any, int]] = [(data, 1)]
        while pending:
            item, depth = pending.pop()
            if depth > MAX_JSON_DEPTH:
                raise ParseError(f"The JSON is nested too deeply (at most {MAX_JSON_DEPTH}).")
            if isinstance(item, dict):
                pending += [(key, depth) for key in item]
                pending += [(value, depth + 1) for value in item.values()]
            elif isinstance(item, list):
                pending += [(value, depth + 1) for value in item]
            elif isinstance(item, str) and not item.isascii():
                try:
                    item.encode()
                except UnicodeEncodeError:
                    raise ParseError(
                        "The JSON holds a lone surrogate (such as \\ud800), which is not text."
                    ) from None
        return data


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 (a request refused before any view): 413 when it is too large, and JSON
    in the API's shape under /api/."""
    too_large = isinstance(exception, RequestDataTooBig)
    if request.path.startswith("/api/"):
        detail = TOO_LARGE if too_large else "Glossa cannot read this request."
        code = "too_large" if too_large else "invalid"
        return JsonResponse({"detail": detail, "code": code}, status=413 if too_large else 400)
    if too_large:
        return HttpResponse(TOO_LARGE, status=413, content_type="text/plain; charset=utf-8")
    return bad_request_page(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 (no route matches): JSON in the API's shape under /api/, else the page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "There is no API operation at this address.", "code": "not_found"},
            status=404,
        )
    return page_not_found(request, exception)


def _code(exc: Exception) -> str:
    """A stable machine-readable code for DRF's own errors (404, 403, 401, 405, …)."""
    if isinstance(exc, Http404):
        return "not_found"
    if isinstance(exc, DjangoPermissionDenied):
        return "permission_denied"
    if isinstance(exc, APIException):
        codes = exc.get_codes()
        return codes if isinstance(codes, str) else exc.default_code
    return "error"


# --- The errors in the OpenAPI schema --------------------------------------------------------


class ErrorSerializer(serializers.Serializer[Any]):
    """An error: a message for people, a code for programs (a 400 adds messages per field)."""

    detail = serializers.CharField()
    code = serializers.CharField()


def error(description: str) -> OpenApiResponse:
    """An error answer an operation documents in @extend_schema(responses=...)."""
    return OpenApiResponse(ErrorSerializer, description=description)


ERROR_SCHEMA = {
    "type": "object",
    "description": "An error: a message for people, a code for programs (a 400 adds "
    "messages per field).",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail", "code"],
}


def document_errors(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the errors any operation of its kind can answer.

    Every request can be malformed (400: a NUL character, broken JSON, invalid fields); a
    signed-in operation answers 401 without credentials and 403 without the role; one with
    ids in its path (or a `format`) 404 for what does not exist or you cannot see; one with
    a body 413 when it is too large and 415 when it is not JSON or a form. Errors particular
    to an operation (409, 412, 422, 428, 429) are declared on it.
    """
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault("Error", ERROR_SCHEMA)
    answer = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            parameters = operation.get("parameters", [])
            security = operation.get("security")
            found = {
                "400": "Malformed: invalid fields, JSON or characters",
                "401": "Not signed in" if security and {} not in security else "",
                "403": "Not allowed (your role), or a session without CSRF token"
                if security and {} not in security
                else "",
                "404": "Not found, or not yours to see"
                if any(p["in"] == "path" or p["name"] == "format" for p in parameters)
                else "",
                "413": "The request body is too large" if "requestBody" in operation else "",
                "415": "Not JSON or a form" if "requestBody" in operation else "",
            }
            responses = operation.setdefault("responses", {})
            for status_code, description in found.items():
                if description and status_code not in responses:
                    responses[status_code] = {"description": description, "content": answer}
    return result
