"""NUL characters are refused with a 400 before they can reach PostgreSQL."""

from __future__ import annotations

import pytest
from django.test import Client

from core.models import User
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "path", "data", "content_type"),
    [
        ("get", "/s/x%00y/", None, None),
        ("get", "/api/v1/documents/?seminar=a%00b", None, None),
        ("post", "/seminars/new/", "name=a%00b", "application/x-www-form-urlencoded"),
        ("post", "/api/v1/seminars/", '{"name": "a\\u0000b"}', "application/json"),
    ],
)
def test_nul_is_a_clear_400(
    client: Client, owner: User, method: str, path: str, data: object, content_type: str | None
) -> None:
    login(client, owner)
    kwargs = {"content_type": content_type} if content_type else {}
    response = getattr(client, method)(path, data, **kwargs)
    assert response.status_code == 400
    assert b"NUL" in response.content
