"""Claim pages, disputes, rulings, flags, the moderation queue and log, through the client."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from annotate.models import Annotation, Dispute, Document, Flag, ModerationEvent
from annotate.services import annotations as notes
from core.models import User
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(document: Document, roles: dict[str, User]) -> Annotation:
    assert document.current is not None
    start = document.current.text.index("tacit agreement")
    return notes.annotation_create(
        document=document,
        user=roles["member"],
        start=start,
        end=start + 15,
        kind="claim",
        body="Never *written* down.",
    )


def test_claim_page_shows_passage_in_context(
    client: Client, claim: Annotation, roles: dict[str, User]
) -> None:
    notes.reply_create(annotation=claim, user=roles["owner"], body="Agreed.", stance="supports")
    page = login(client, roles["observer"]).get(reverse("claim", args=["hungary-1956", claim.pk]))
    assert page.status_code == 200
    assert '<mark class="hl d1 k-claim">tacit agreement</mark>' in page.text
    assert "<em>written</em>" in page.text and "¶1" in page.text and "p. 1" in page.text
    assert "<strong>1</strong> member support" in page.text
    assert "Dispute this claim" not in page.text  # observers read only


def test_claims_list_filters_and_privacy(
    client: Client, claim: Annotation, document: Document, roles: dict[str, User]
) -> None:
    secret = notes.annotation_create(
        document=document,
        user=roles["moderator"],
        start=0,
        end=8,
        kind="claim",
        body="Secret claim.",
        visibility="private",
    )
    login(client, roles["owner"])
    listing = client.get(reverse("claims", args=["hungary-1956"]))
    assert "tacit agreement" in listing.text and "The fate" not in listing.text
    assert client.get(reverse("claim", args=["hungary-1956", secret.pk])).status_code == 404
    assert (
        "tacit"
        not in client.get(reverse("claims", args=["hungary-1956"]), {"status": "upheld"}).text
    )
    login(client, roles["outsider"])
    assert client.get(reverse("claims", args=["hungary-1956"])).status_code == 404


def test_dispute_rule_and_log(client: Client, claim: Annotation, roles: dict[str, User]) -> None:
    login(client, roles["owner"])
    response = client.post(
        reverse("claim-dispute", args=["hungary-1956", claim.pk]),
        {
            "grounds": "missing_context",
            "statement": "See section II.",
            "passage": "The fate of East-Central Europe",
            "url": "https://example.org/a",
        },
    )
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert [e["kind"] for e in dispute.evidence] == ["passage", "url"]
    bad = client.post(
        reverse("claim-dispute", args=["hungary-1956", claim.pk]),
        {"grounds": "other", "statement": "x", "passage": "words that are not in the text"},
    )
    assert bad.status_code == 422 and "is not in the text" in bad.text
    login(client, roles["member"])
    denied = client.post(
        reverse("dispute-rule", args=["hungary-1956", dispute.pk]),
        {"decision": "accept", "text": "Mine."},
    )
    assert denied.status_code == 403
    login(client, roles["moderator"])
    ruled = client.post(
        reverse("dispute-rule", args=["hungary-1956", dispute.pk]),
        {"decision": "accept", "text": "The context changes the reading."},
    )
    assert ruled.status_code == 302
    again = client.post(
        reverse("dispute-rule", args=["hungary-1956", dispute.pk]),
        {"decision": "dismiss", "text": "Twice."},
    )
    assert again.status_code == 409 and "already been ruled" in again.text
    login(client, roles["observer"])
    log = client.get(reverse("moderation-log", args=["hungary-1956"]))
    assert "rule accept" in log.text and "The context changes the reading." in log.text
    claim.refresh_from_db()
    assert claim.claim_status == "rejected"
    assert ModerationEvent.objects.count() == 1


def test_flag_queue_and_hide(
    client: Client, claim: Annotation, document: Document, roles: dict[str, User]
) -> None:
    login(client, roles["owner"])
    flagged = client.post(
        reverse("flag", args=["hungary-1956"]), {"annotation": claim.pk, "reason": "abusive"}
    )
    assert flagged.status_code == 201
    twice = client.post(
        reverse("flag", args=["hungary-1956"]), {"annotation": claim.pk, "reason": "spam"}
    )
    assert twice.status_code == 409
    login(client, roles["member"])
    assert client.get(reverse("moderation", args=["hungary-1956"])).status_code == 403
    login(client, roles["moderator"])
    queue = client.get(reverse("moderation", args=["hungary-1956"]))
    assert "Abusive" in queue.text and "tacit agreement" in queue.text
    hidden = client.post(
        reverse("moderate", args=["hungary-1956", "hide"]),
        {"annotation": claim.pk, "reason": "Abusive."},
    )
    assert hidden.status_code == 302
    assert Flag.objects.get().status == "actioned"
    login(client, roles["observer"])
    reader = client.get(document.get_absolute_url())
    assert "k-claim" not in reader.text  # members no longer see the hidden claim
    login(client, roles["member"])  # its author still does, marked
    assert "k-claim" in client.get(document.get_absolute_url()).text


def test_moderator_hides_a_reply_from_the_reader(
    client: Client, claim: Annotation, document: Document, roles: dict[str, User]
) -> None:
    reply = notes.reply_create(annotation=claim, user=roles["owner"], body="Rude words here.")
    login(client, roles["moderator"])
    response = client.post(
        reverse("moderate", args=["hungary-1956", "hide"]),
        {"reply": reply.pk, "reason": "Abusive.", "next": document.get_absolute_url()},
    )
    assert response.status_code == 302 and response["Location"] == document.get_absolute_url()
    login(client, roles["observer"])
    panel = client.get(
        reverse("annotations-at", args=["hungary-1956", document.pk, claim.start]),
        headers={"HX-Request": "true"},
    )
    assert "Rude words" not in panel.text and "Hidden by a moderator." in panel.text
    login(client, roles["owner"])  # its author still sees it
    panel = client.get(
        reverse("annotations-at", args=["hungary-1956", document.pk, claim.start]),
        headers={"HX-Request": "true"},
    )
    assert "Rude words" in panel.text


def test_members_flag_a_reply_from_the_panel(
    client: Client, claim: Annotation, document: Document, roles: dict[str, User]
) -> None:
    reply = notes.reply_create(annotation=claim, user=roles["owner"], body="Spam spam.")
    login(client, roles["member"])
    panel = client.get(
        reverse("annotations-at", args=["hungary-1956", document.pk, claim.start]),
        headers={"HX-Request": "true"},
    )
    assert f'name="reply" value="{reply.pk}"' in panel.text
    flagged = client.post(
        reverse("flag", args=["hungary-1956"]),
        {"reply": reply.pk, "reason": "spam"},
        headers={"HX-Request": "true"},
    )
    assert flagged.status_code == 201
    assert Flag.objects.get().reply == reply
