from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from annotate.models import Annotation, Document
from core.models import User
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_annotation_flood_gets_429_with_a_message(
    client: Client, document: Document, roles: dict[str, User], settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "annotate": (3, 60)}
    login(client, roles["member"])
    url = reverse("annotation-create", args=[document.seminar.slug, document.pk])
    statuses = [
        client.post(
            url,
            {"start": 10 * i, "end": 10 * i + 5, "base": 1, "kind": "highlight"},
            headers={"HX-Request": "true"},
        ).status_code
        for i in range(5)
    ]
    assert statuses == [201, 201, 201, 429, 429]
    last = client.post(
        url,
        {"start": 100, "end": 105, "base": 1, "kind": "highlight"},
        headers={"HX-Request": "true"},
    )
    assert "Too many annotations: at most 3 in 1 minute" in last.text
    assert Annotation.objects.count() == 3
    # Another member is not affected.
    login(client, roles["moderator"])
    ok = client.post(
        url,
        {"start": 200, "end": 205, "base": 1, "kind": "highlight"},
        headers={"HX-Request": "true"},
    )
    assert ok.status_code == 201


def test_api_answers_429_with_retry_after(
    document: Document, roles: dict[str, User], settings: Any
) -> None:
    from rest_framework.test import APIClient

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "annotate": (1, 60)}
    client = APIClient()
    client.force_authenticate(roles["member"])
    container = f"/api/v1/seminars/{document.seminar.slug}/annotations/"
    source = f"http://testserver/api/v1/documents/{document.pk}/"
    body = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "highlighting",
        "target": {
            "source": source,
            "selector": [{"type": "TextPositionSelector", "start": 0, "end": 8}],
        },
    }
    assert client.post(container, body, format="json").status_code == 201
    response = client.post(container, body, format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many annotations" in response.json()["detail"]
