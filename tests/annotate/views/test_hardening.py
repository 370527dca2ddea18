"""Costly or unsafe requests the security probe sent (L7, L8): each refused as a member would
meet it, through the page, its htmx fragments and the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.models import Annotation, Document, Reply
from annotate.services import annotations as notes
from core.models import User
from tests.conftest import login

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def note(document: Document, roles: dict[str, User]) -> Annotation:
    assert document.current is not None
    return notes.annotation_create(
        document=document,
        user=roles["member"],
        revision=document.current,
        start=10,
        end=30,
        kind="comment",
        body="First thoughts.",
    )


def _edit(client: Client, note: Annotation, body: str) -> Any:
    note.refresh_from_db()
    url = reverse("annotation-edit", args=[note.seminar.slug, note.document_id, note.pk])
    data = {"kind": "comment", "body": body, "tags": "", "visibility": "seminar"}
    return client.post(url, {**data, "version": note.version}, headers=HTMX)


class TestEditLimits:
    def test_edits_past_the_limit_are_429_and_keep_what_was_typed(
        self, client: Client, note: Annotation, roles: dict[str, User], settings: Any
    ) -> None:
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "edit": (3, 60)}
        login(client, roles["member"])
        statuses = [_edit(client, note, f"Take {i}.").status_code for i in range(3)]
        assert statuses == [200, 200, 200]
        refused = _edit(client, note, "A long second thought I do not want to lose.")
        assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
        assert "Too many edits: at most 3 in 1 minute" in refused.text
        assert "A long second thought I do not want to lose." in refused.text  # still in the form
        note.refresh_from_db()
        assert note.body == "Take 2."

    def test_deletes_replies_and_reattachments_count_too(
        self, client: Client, note: Annotation, roles: dict[str, User], settings: Any
    ) -> None:
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "edit": (2, 60)}
        login(client, roles["member"])
        reply = notes.reply_create(annotation=note, user=roles["member"], body="A reply.")
        args = [note.seminar.slug, note.document_id, note.pk]
        edit = reverse("reply-edit", args=[*args, reply.pk])
        assert client.post(edit, {"body": "Edited.", "version": 1}, headers=HTMX).status_code == 200
        reattach = reverse("annotation-reattach", args=args)
        assert client.post(reattach, {"start": 40, "end": 50}, headers=HTMX).status_code == 200
        refused = client.post(reverse("reply-delete", args=[*args, reply.pk]), headers=HTMX)
        assert refused.status_code == 429 and "Too many edits" in refused.text
        assert refused["Retry-After"]
        refused = client.post(reverse("annotation-delete", args=args), headers=HTMX)
        assert refused.status_code == 429
        assert Reply.objects.get(pk=reply.pk).deleted_at is None
        assert Annotation.objects.get(pk=note.pk).deleted_at is None

    def test_the_api_meets_the_same_limit(
        self, note: Annotation, roles: dict[str, User], settings: Any
    ) -> None:
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "edit": (2, 60)}
        client = APIClient()
        client.force_authenticate(roles["member"])
        url = f"/api/v1/seminars/{note.seminar.slug}/annotations/{note.pk}/"
        statuses = []
        for i in range(3):
            current = client.get(url)
            body = {**current.json(), "body": {"type": "TextualBody", "value": f"Take {i}."}}
            response = client.put(url, body, format="json", HTTP_IF_MATCH=current["ETag"])
            statuses.append(response.status_code)
        assert statuses == [200, 200, 429]
        assert "Too many edits" in response.json()["detail"] and response["Retry-After"]


class TestOpenRedirect:
    def test_the_moderation_forms_next_stays_on_the_site_on_both_paths(
        self, client: Client, note: Annotation, roles: dict[str, User]
    ) -> None:
        login(client, roles["moderator"])
        url = reverse("moderate", args=[note.seminar.slug, "hide"])
        queue = reverse("moderation", args=[note.seminar.slug])
        for reason in ("", "abusive"):  # refused (no reason), then done
            for evil in ("https://evil.example/phish", "//evil.example/", "/\\evil.example"):
                response = client.post(url, {"annotation": note.pk, "reason": reason, "next": evil})
                assert response.status_code == 302
                assert response["Location"] == queue, (reason, evil)
        page = note.document.get_absolute_url()
        response = client.post(url, {"annotation": note.pk, "reason": "x", "next": page})
        assert response["Location"] == page


class TestBodyLimit:
    def test_an_upload_over_the_limit_is_refused_before_it_is_read(
        self, client: Client, document: Document, roles: dict[str, User], settings: Any
    ) -> None:
        settings.UPLOAD_MAX_BYTES = 20_000
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 30_000
        url = reverse("document-import", args=[document.seminar.slug])
        form = {"title": "Big", "language": "en", "format": "auto", "preview": "1"}
        big = b"words " * 10_000
        for who in ("owner", "outsider"):  # the same answer, member or not: nothing is read
            login(client, roles[who])
            response = client.post(url, {**form, "source_text": big.decode()}, headers=HTMX)
            assert response.status_code == 413, who
            assert "The request is 60 KB, larger than Glossa accepts" in response.text
            assert "a file can be at most 20 KB" in response.text
        api = APIClient()
        api.force_authenticate(roles["owner"])
        body = {"seminar": document.seminar.slug, "preview": True, "source_text": big.decode()}
        answer = api.post("/api/v1/documents/", body, format="json")
        assert answer.status_code == 413 and answer.json()["code"] == "too_large"
