"""One shape for API errors: {"detail", "code"}, plus field errors where there are some."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ServiceError, TooManyRequests


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": "The request body is larger than Glossa accepts.", "code": "too_large"},
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
