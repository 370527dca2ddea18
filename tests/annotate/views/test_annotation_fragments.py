"""The reader's htmx fragments for annotations, through Django's test client."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotate.models import Annotation, Document
from annotate.services import annotations as service
from annotate.services import moderation
from core.models import User
from tests.conftest import login

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def url(name: str, document: Document, *args: int) -> str:
    return reverse(name, args=[document.seminar.slug, document.pk, *args])


def words(document: Document, text: str) -> tuple[int, int]:
    assert document.current is not None
    start = document.current.text.index(text)
    return start, start + len(text)


def test_create_comment_swaps_panel_and_block(
    client: Client, document: Document, roles: dict[str, User]
) -> None:
    start, end = words(document, "tacit agreement")
    login(client, roles["member"])
    composer = client.get(
        url("annotation-composer", document),
        {"start": str(start), "end": str(end), "kind": "claim", "base": "1"},
        headers=HTMX,
    )
    assert composer.status_code == 200 and "tacit agreement" in composer.text
    response = client.post(
        url("annotation-create", document),
        {
            "start": start,
            "end": end,
            "base": 1,
            "kind": "claim",
            "visibility": "seminar",
            "body": "The *agreement* is inferred.",
            "tags": "status-quo, #argument",
        },
        headers=HTMX,
    )
    assert response.status_code == 201, response.text
    note = Annotation.objects.get()
    assert (note.kind, note.tags) == ("claim", ["status-quo", "argument"])
    assert f'id="a-{note.pk}"' in response.text
    assert "<em>agreement</em>" in response.text
    assert 'hx-swap-oob="true"' in response.text and "k-claim" in response.text


def test_bad_selection_and_empty_comment(
    client: Client, document: Document, roles: dict[str, User]
) -> None:
    login(client, roles["member"])
    bad = client.post(
        url("annotation-create", document),
        {
            "start": 10,
            "end": 10**7,
            "base": 1,
            "kind": "comment",
            "visibility": "seminar",
            "body": "x",
        },
        headers=HTMX,
    )
    assert bad.status_code == 422 and "not inside the text" in bad.text
    empty = client.post(
        url("annotation-create", document),
        {
            "start": 10,
            "end": 20,
            "base": 1,
            "kind": "comment",
            "visibility": "seminar",
            "body": " ",
        },
        headers=HTMX,
    )
    assert empty.status_code == 422 and "Write your comment" in empty.text
    assert not Annotation.objects.exists()


def test_observer_cannot_annotate(
    client: Client, document: Document, roles: dict[str, User]
) -> None:
    login(client, roles["observer"])
    response = client.post(
        url("annotation-create", document),
        {"start": 0, "end": 5, "base": 1, "kind": "highlight", "visibility": "seminar"},
    )
    assert response.status_code == 403
    page = client.get(document.get_absolute_url())
    assert 'data-annotate=""' in page.text


def test_panel_at_a_point_lists_overlapping_annotations(
    client: Client, document: Document, roles: dict[str, User]
) -> None:
    start, end = words(document, "tacit agreement in the East-West relationship")
    one = service.annotation_create(
        document=document, user=roles["member"], start=start, end=end, body="Wide."
    )
    two = service.annotation_create(
        document=document, user=roles["moderator"], start=start + 6, end=start + 15, body="Narrow."
    )
    service.annotation_create(
        document=document,
        user=roles["owner"],
        start=start + 6,
        end=start + 15,
        body="Secret.",
        visibility="private",
    )
    login(client, roles["member"])
    page = client.get(document.get_absolute_url())
    assert 'class="hl d2 k-comment mine"' in page.text  # overlap shows deeper, mine outlined
    panel = client.get(url("annotations-at", document, start + 8), headers=HTMX)
    assert f'id="a-{one.pk}"' in panel.text and f'id="a-{two.pk}"' in panel.text
    assert "Secret." not in panel.text and "2 annotations here" in panel.text


def test_reply_edit_conflict_and_delete(
    client: Client, document: Document, roles: dict[str, User]
) -> None:
    start, end = words(document, "tacit agreement")
    note = service.annotation_create(
        document=document, user=roles["member"], start=start, end=end, body="First."
    )
    login(client, roles["owner"])
    reply = client.post(
        url("reply-create", document, note.pk), {"body": "Hello @mark"}, headers=HTMX
    )
    assert reply.status_code == 201 and 'class="mention">@mark<' in reply.text
    login(client, roles["member"])
    edit_url = url("annotation-edit", document, note.pk)
    ok = client.post(
        edit_url,
        {"kind": "comment", "body": "Second.", "visibility": "seminar", "version": 1},
        headers=HTMX,
    )
    assert ok.status_code == 200 and "Second." in ok.text
    stale = client.post(
        edit_url,
        {"kind": "comment", "body": "Third.", "visibility": "seminar", "version": 1},
        headers=HTMX,
    )
    assert stale.status_code == 409
    assert "Someone changed this" in stale.text and "Second." in stale.text  # both versions
    assert "Third." in stale.text
    gone = client.post(url("annotation-delete", document, note.pk), headers=HTMX)
    assert gone.status_code == 200 and "deleted by its author" in gone.text
    assert "Hello" in gone.text  # the thread survives


def test_someone_elses_annotation_cannot_be_edited(
    client: Client, document: Document, roles: dict[str, User]
) -> None:
    start, end = words(document, "tacit agreement")
    note = service.annotation_create(
        document=document, user=roles["member"], start=start, end=end, body="Mine."
    )
    login(client, roles["moderator"])
    response = client.post(
        url("annotation-edit", document, note.pk),
        {"kind": "comment", "body": "Yours?", "visibility": "seminar", "version": 1},
    )
    assert response.status_code == 403


def test_changes_since(client: Client, document: Document, roles: dict[str, User]) -> None:
    login(client, roles["owner"])
    since = timezone.now().isoformat()
    quiet = client.get(url("annotation-changes", document), {"since": since})
    assert quiet.status_code == 204 and quiet["X-Glossa-Since"]
    start, end = words(document, "tacit agreement")
    note = service.annotation_create(
        document=document, user=roles["member"], start=start, end=end, body="Live!"
    )
    secret = service.annotation_create(
        document=document,
        user=roles["moderator"],
        start=start,
        end=end,
        body="Hidden",
        visibility="private",
    )
    news = client.get(url("annotation-changes", document), {"since": since})
    assert news.status_code == 200
    assert f'id="a-{note.pk}"' in news.text and "data-replace" in news.text
    assert f'id="a-{secret.pk}"' not in news.text and "Hidden" not in news.text
    later = client.get(url("annotation-changes", document), {"since": news["X-Glossa-Since"]})
    assert later.status_code == 204


def test_changes_render_only_the_cards_the_page_shows(
    client: Client, document: Document, roles: dict[str, User]
) -> None:
    login(client, roles["owner"])
    since = timezone.now().isoformat()
    start, end = words(document, "tacit agreement")
    shown, other = (
        service.annotation_create(
            document=document, user=roles["member"], start=start, end=end, body=body
        )
        for body in ("In the panel", "Elsewhere")
    )
    changes = url("annotation-changes", document)
    news = client.get(changes, {"since": since, "cards": f"{shown.pk},999999"})
    assert news.status_code == 200 and 'class="para"' in news.text  # the highlights' blocks
    assert f'id="a-{shown.pk}"' in news.text and f'id="a-{other.pk}"' not in news.text
    none = client.get(changes, {"since": since, "cards": ""})
    assert 'class="card annotation' not in none.text and 'class="para"' in none.text


def test_filters_and_search(client: Client, document: Document, roles: dict[str, User]) -> None:
    a = words(document, "tacit agreement")
    b = words(document, "Soviet Union")
    service.annotation_create(
        document=document,
        user=roles["member"],
        start=a[0],
        end=a[1],
        kind="question",
        body="Why tacit?",
        tags=["status-quo"],
    )
    service.annotation_create(
        document=document,
        user=roles["moderator"],
        start=b[0],
        end=b[1],
        kind="claim",
        body="Superpower.",
    )
    login(client, roles["owner"])
    assert '<mark class="hl' in client.get(document.get_absolute_url()).text
    only_claims = client.get(document.get_absolute_url(), {"kind": "claim"}).text
    assert "k-claim" in only_claims and "k-question" not in only_claims
    assert "Question (1)" in only_claims and "Claim (1)" in only_claims
    searched = client.get(document.get_absolute_url(), {"q": "tacit"}).text
    assert "k-question" in searched and "k-claim" not in searched
    hidden = client.get(document.get_absolute_url(), {"highlights": "off"}).text
    assert "<mark" not in hidden


def test_notifications_page_and_count(
    client: Client, document: Document, roles: dict[str, User]
) -> None:
    start, end = words(document, "tacit agreement")
    note = service.annotation_create(
        document=document, user=roles["member"], start=start, end=end, body="Mine."
    )
    service.reply_create(annotation=note, user=roles["owner"], body="Reply to you")
    login(client, roles["member"])
    page = client.get(reverse("notifications"))
    assert "replied to you" in page.text and 'aria-label="1 unread"' in page.text
    client.post(reverse("notifications"))
    assert 'aria-label="1 unread"' not in client.get(reverse("notifications")).text


def test_markdown_preview_is_sanitised(client: Client, owner: User) -> None:
    login(client, owner)
    response = client.post(
        reverse("markdown-preview"), {"body": "**bold** <script>alert(1)</script>"}
    )
    assert "<strong>bold</strong>" in response.text and "<script>" not in response.text


def test_panel_cards_give_moderators_their_tools(
    client: Client, document: Document, roles: dict[str, User]
) -> None:
    start, end = words(document, "tacit agreement")
    note = service.annotation_create(
        document=document, user=roles["member"], start=start, end=end, body="Note."
    )
    reply = service.reply_create(annotation=note, user=roles["owner"], body="Rude reply.")
    moderation.content_set_hidden(
        reply=reply, moderator=roles["moderator"], hidden=True, reason="Abuse"
    )
    at = url("annotations-at", document, start + 2)

    seen = login(client, roles["moderator"]).get(at, headers=HTMX)
    assert "Lock the thread" in seen.text and f"mod-reason-{note.pk}" in seen.text
    assert "Rude reply." in seen.text  # a moderator still reads what was hidden

    seen = login(client, roles["member"]).get(at, headers=HTMX)
    assert "Lock the thread" not in seen.text and "Rude reply." not in seen.text
    assert "Hidden by a moderator." in seen.text
