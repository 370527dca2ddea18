"""The claims and moderation API: who may see and do what, the transitions, the log."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from annotate.models import (
    Annotation,
    ClaimStatusChange,
    Dispute,
    Document,
    Flag,
    ModerationEvent,
    Reply,
    Ruling,
)
from annotate.services import annotations as notes
from annotate.services import moderation
from annotate.services.documents import document_import
from core.models import Role, Seminar, User
from tests.factories import make_seminar, make_user, member

pytestmark = pytest.mark.django_db

ROLES = ("owner", "moderator", "member", "observer", "outsider")
MODERATORS = ("owner", "moderator")


def api(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def body(response: Any) -> Any:
    return json.loads(response.content)


def post(user: User, url: str, data: Any = None) -> Any:
    return api(user).post(url, data if data is not None else {}, format="json")


def make_claim(
    document: Document, user: User, words: str = "tacit agreement", **kwargs: Any
) -> Annotation:
    assert document.current is not None
    start = document.current.text.index(words)
    kwargs.setdefault("body", f"A claim about {words}.")
    return notes.annotation_create(
        document=document, user=user, start=start, end=start + len(words), kind="claim", **kwargs
    )


def open_dispute(claim: Annotation, user: User, **kwargs: Any) -> Dispute:
    kwargs.setdefault("grounds", "missing_context")
    kwargs.setdefault("statement", "Section II says more.")
    return moderation.claim_dispute(claim=claim, user=user, **kwargs)


@pytest.fixture
def claim(document: Document, roles: dict[str, User]) -> Annotation:
    return make_claim(document, roles["member"])


@pytest.fixture
def elsewhere(sample_text: str) -> dict[str, Any]:
    """Another seminar, its moderator (a stranger to ours), a claim and a dispute there."""
    boss = make_user(username="elsa")
    seminar = make_seminar(boss, name="Elsewhere")
    writer = member(seminar, Role.MEMBER, username="walt")
    document = document_import(
        seminar=seminar, user=boss, title="Same text", source_text=sample_text, format="ocr"
    )
    claim = make_claim(document, writer)
    return {
        "seminar": seminar,
        "moderator": boss,
        "claim": claim,
        "dispute": open_dispute(claim, boss),
    }


def claims_url(seminar: Seminar, query: str = "") -> str:
    return f"/api/v1/seminars/{seminar.slug}/claims/{query}"


def listed(user: User, seminar: Seminar, query: str = "") -> list[int]:
    response = api(user).get(claims_url(seminar, query))
    assert response.status_code == 200, response.content
    return [item["id"] for item in body(response)["results"]]


# --- The list of claims ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_member_lists_claims_and_outsiders_get_404(
    role: str, seminar: Seminar, claim: Annotation, roles: dict[str, User]
) -> None:
    response = api(roles[role]).get(claims_url(seminar))
    if role == "outsider":
        assert response.status_code == 404
        assert body(response)["code"] == "not_found"
        return
    assert response.status_code == 200
    assert [item["id"] for item in body(response)["results"]] == [claim.pk]


def test_anonymous_requests_are_refused(seminar: Seminar, claim: Annotation) -> None:
    assert api().get(claims_url(seminar)).status_code in (401, 403)
    assert api().post(f"/api/v1/claims/{claim.pk}/withdraw/").status_code in (401, 403)


def test_a_listed_claim(
    seminar: Seminar, document: Document, claim: Annotation, roles: dict[str, User]
) -> None:
    notes.reply_create(annotation=claim, user=roles["owner"], body="Yes.", stance="supports")
    notes.reply_create(annotation=claim, user=roles["owner"], body="Still yes.", stance="supports")
    notes.reply_create(annotation=claim, user=roles["moderator"], body="No.", stance="disputes")
    notes.reply_create(annotation=claim, user=roles["owner"], body="Which?", stance="asks")
    open_dispute(claim, roles["moderator"])
    item = body(api(roles["observer"]).get(claims_url(seminar)))["results"][0]
    assert (
        item["iri"] == f"http://testserver/api/v1/seminars/{seminar.slug}/annotations/{claim.pk}/"
    )
    assert (item["document"], item["exact"], item["author"]) == (
        document.pk,
        "tacit agreement",
        "mark",
    )
    assert item["body"] == "A claim about tacit agreement."
    assert item["status"] == "disputed"
    assert item["stances"] == {"supports": 1, "disputes": 1, "asks": 1}
    assert item["open_disputes"] == 1
    assert item["hidden"] is False and item["modified"]


def test_a_private_claim_of_another_member_is_neither_listed_nor_readable(
    seminar: Seminar, document: Document, claim: Annotation, roles: dict[str, User]
) -> None:
    secret = make_claim(document, roles["moderator"], "Imre Nagy", visibility="private")
    assert listed(roles["moderator"], seminar) == [secret.pk, claim.pk]
    for role in ("owner", "member", "observer"):
        assert listed(roles[role], seminar) == [claim.pk]
        assert api(roles[role]).get(f"/api/v1/claims/{secret.pk}/").status_code == 404
    assert api(roles["moderator"]).get(f"/api/v1/claims/{secret.pk}/").status_code == 200
    # Not even a moderator may act on it: for everyone else it does not exist.
    assert (
        post(roles["owner"], f"/api/v1/annotations/{secret.pk}/hide/", {"reason": "x"}).status_code
        == 404
    )
    assert (
        post(
            roles["owner"], "/api/v1/flags/", {"annotation": secret.pk, "reason": "spam"}
        ).status_code
        == 404
    )
    assert (
        post(
            roles["member"],
            f"/api/v1/claims/{secret.pk}/disputes/",
            {"grounds": "other", "statement": "No."},
        ).status_code
        == 404
    )


def test_filters(
    seminar: Seminar, document: Document, claim: Annotation, roles: dict[str, User]
) -> None:
    other_text = document_import(
        seminar=seminar,
        user=roles["owner"],
        title="Another",
        source_text="Claims can be made here too.",
        format="plain",
    )
    theirs = make_claim(other_text, roles["owner"], "Claims")
    reviewed = make_claim(document, roles["owner"], "Imre Nagy")
    moderation.claim_set_status(
        claim=reviewed, actor=roles["moderator"], status="under_review", reason="Checking."
    )
    observer = roles["observer"]
    assert listed(observer, seminar, "?status=open") == [theirs.pk, claim.pk]
    assert listed(observer, seminar, "?status=under_review") == [reviewed.pk]
    assert listed(observer, seminar, "?status=upheld") == []
    assert listed(observer, seminar, f"?document={other_text.pk}") == [theirs.pk]
    assert listed(observer, seminar, "?member=mark") == [claim.pk]
    assert listed(observer, seminar, "?member=olivia&status=open") == [theirs.pk]
    assert listed(observer, seminar, "?member=nobody") == []
    for query in ("?status=maybe", "?document=abc", "?sort=random", "?document=-1"):
        response = api(observer).get(claims_url(seminar, query))
        assert response.status_code == 400, query
        assert body(response)["detail"]


def test_sorted_by_activity_or_by_contest(
    seminar: Seminar, document: Document, claim: Annotation, roles: dict[str, User]
) -> None:
    calm = make_claim(document, roles["owner"], "Imre Nagy")
    hot = make_claim(document, roles["moderator"], "Soviet")
    notes.reply_create(annotation=hot, user=roles["member"], body="No.", stance="disputes")
    notes.reply_create(annotation=claim, user=roles["owner"], body="No.", stance="disputes")
    notes.reply_create(annotation=claim, user=roles["moderator"], body="No.", stance="disputes")
    open_dispute(hot, roles["owner"])
    open_dispute(hot, roles["member"])
    # Newest activity first: disputes and replies touch a claim.
    assert listed(roles["member"], seminar) == [hot.pk, claim.pk, calm.pk]
    assert listed(roles["member"], seminar, "?sort=activity") == [hot.pk, claim.pk, calm.pk]
    notes.reply_create(annotation=calm, user=roles["member"], body="Hm.", stance="comment")
    assert listed(roles["member"], seminar)[0] == calm.pk
    # hot: 1 disputing member + 2 open disputes; claim: 2 disputing members; calm: none.
    assert listed(roles["member"], seminar, "?sort=contested") == [hot.pk, claim.pk, calm.pk]


def test_the_list_is_paginated_and_its_queries_do_not_grow(
    seminar: Seminar, document: Document, claim: Annotation, roles: dict[str, User]
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api(roles["member"]).get(claims_url(seminar)).status_code == 200
        return len(captured)

    few = queries()
    for words in ("Imre Nagy", "Soviet", "Hungary", "Eisenhower"):
        made = make_claim(document, roles["owner"], words)
        notes.reply_create(annotation=made, user=roles["member"], body="Yes.", stance="supports")
    assert queries() == few
    data = body(api(roles["member"]).get(claims_url(seminar)))
    assert data["count"] == 5 and data["next"] is None and len(data["results"]) == 5


# --- Hidden content --------------------------------------------------------------------------


def test_a_hidden_claim_is_a_notice_except_to_its_author_and_moderators(
    seminar: Seminar, document: Document, roles: dict[str, User]
) -> None:
    claim = make_claim(document, roles["member"])
    other = member(seminar, Role.MEMBER, username="mia")
    moderation.content_set_hidden(
        moderator=roles["moderator"], annotation=claim, hidden=True, reason="Abusive."
    )
    expected = {"owner": True, "moderator": True, "member": True, "observer": False}
    for role, full in [*expected.items(), ("mia", False)]:
        user = other if role == "mia" else roles[role]
        item = body(api(user).get(claims_url(seminar)))["results"][0]
        detail = body(api(user).get(f"/api/v1/claims/{claim.pk}/"))
        for shown in (item, detail):
            assert shown["hidden"] is True
            assert shown["exact"] == "tacit agreement"
            assert shown["body"] == ("A claim about tacit agreement." if full else None), role


# --- One claim -------------------------------------------------------------------------------


def test_a_claim_with_its_thread_disputes_rulings_and_history(
    claim: Annotation, roles: dict[str, User]
) -> None:
    first = notes.reply_create(
        annotation=claim, user=roles["owner"], body="Yes.", stance="supports"
    )
    notes.reply_create(
        annotation=claim, user=roles["moderator"], body="Why?", stance="asks", parent=first
    )
    rude = notes.reply_create(
        annotation=claim, user=roles["owner"], body="Rude words.", stance="disputes"
    )
    moderation.content_set_hidden(
        moderator=roles["moderator"], reply=rude, hidden=True, reason="Rude."
    )
    dispute = open_dispute(
        claim,
        roles["owner"],
        evidence=[
            {"kind": "passage", "start": 0, "end": 8},
            {"kind": "url", "url": "https://example.org/nsc-5608", "title": "NSC 5608"},
        ],
    )
    moderation.dispute_rule(
        dispute=dispute, moderator=roles["moderator"], decision="dismiss", text="It stands."
    )

    data = body(api(roles["observer"]).get(f"/api/v1/claims/{claim.pk}/"))
    assert data["id"] == claim.pk and data["status"] == "upheld"
    assert data["stances"] == {"supports": 1, "disputes": 0, "asks": 1}
    thread = [
        (r["author"], r["stance"], r["body"], r["depth"], r["hidden"]) for r in data["thread"]
    ]
    assert thread == [
        ("olivia", "supports", "Yes.", 0, False),
        ("mona", "asks", "Why?", 1, False),
        ("olivia", "disputes", None, 0, True),
    ]
    assert data["thread"][1]["parent"] == first.pk
    [shown] = data["disputes"]
    assert {k: shown[k] for k in ("grounds", "statement", "status", "opened_by")} == {
        "grounds": "missing_context",
        "statement": "Section II says more.",
        "status": "dismissed",
        "opened_by": "olivia",
    }
    assert shown["evidence"][0]["exact"] == "The fate" and shown["created"]
    ruling = shown["ruling"]
    assert (ruling["decision"], ruling["text"], ruling["moderator"], ruling["claim_status"]) == (
        "dismiss",
        "It stands.",
        "mona",
        "upheld",
    )
    history = [(h["old"], h["new"], h["actor"]) for h in data["history"]]
    assert history == [("open", "disputed", "olivia"), ("disputed", "upheld", "mona")]
    assert data["history"][1]["reason"] == "Ruling: It stands."

    moderators_view = body(api(roles["moderator"]).get(f"/api/v1/claims/{claim.pk}/"))
    assert moderators_view["thread"][2]["body"] == "Rude words."
    authors_view = body(api(roles["owner"]).get(f"/api/v1/claims/{claim.pk}/"))
    assert authors_view["thread"][2]["body"] == "Rude words."


def test_a_claims_detail_is_for_members_only(
    document: Document, claim: Annotation, roles: dict[str, User], elsewhere: dict[str, Any]
) -> None:
    for role in ("owner", "moderator", "member", "observer"):
        assert api(roles[role]).get(f"/api/v1/claims/{claim.pk}/").status_code == 200
    assert api(roles["outsider"]).get(f"/api/v1/claims/{claim.pk}/").status_code == 404
    other = f"/api/v1/claims/{elsewhere['claim'].pk}/"
    assert api(roles["owner"]).get(other).status_code == 404
    comment = notes.annotation_create(
        document=document, user=roles["member"], start=0, end=8, body="Not a claim."
    )
    assert api(roles["member"]).get(f"/api/v1/claims/{comment.pk}/").status_code == 404
    assert api(roles["member"]).get("/api/v1/claims/999999999/").status_code == 404
    notes.annotation_delete(annotation=claim, user=roles["member"])
    assert api(roles["member"]).get(f"/api/v1/claims/{claim.pk}/").status_code == 404


def test_the_detail_makes_a_bounded_number_of_queries(
    claim: Annotation, roles: dict[str, User]
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api(roles["member"]).get(f"/api/v1/claims/{claim.pk}/").status_code == 200
        return len(captured)

    notes.reply_create(annotation=claim, user=roles["owner"], body="Yes.", stance="supports")
    open_dispute(claim, roles["owner"])
    few = queries()
    for name in ("moderator", "observer"):
        notes.reply_create(annotation=claim, user=roles["owner"], body=f"To {name}.")
    moderation.dispute_rule(
        dispute=Dispute.objects.get(),
        moderator=roles["moderator"],
        decision="accept",
        text="Right.",
    )
    assert queries() == few


# --- Disputes --------------------------------------------------------------------------------


def disputes_url(claim: Annotation) -> str:
    return f"/api/v1/claims/{claim.pk}/disputes/"


DISPUTE = {
    "grounds": "misreading",
    "statement": "Read the next sentence.",
    "evidence": [
        {"kind": "passage", "start": 4, "end": 8},
        {"kind": "source", "citation": "NSC 5608/1", "page": "3"},
        {"kind": "url", "url": "http://example.org/doc", "title": "A page"},
    ],
}


def test_a_member_disputes_a_claim(claim: Annotation, roles: dict[str, User]) -> None:
    response = post(roles["observer"], disputes_url(claim), DISPUTE)
    assert response.status_code == 403
    response = post(roles["outsider"], disputes_url(claim), DISPUTE)
    assert response.status_code == 404
    response = post(roles["owner"], disputes_url(claim), DISPUTE)
    assert response.status_code == 201, response.content
    data = body(response)
    assert data["claim"] == claim.pk and data["opened_by"] == "olivia"
    assert (data["grounds"], data["statement"], data["status"]) == (
        "misreading",
        "Read the next sentence.",
        "open",
    )
    assert data["evidence"][0] == {
        "kind": "passage",
        "start": 4,
        "end": 8,
        "exact": "fate",
        "revision": 1,
    }
    assert data["evidence"][1]["citation"] == "NSC 5608/1"
    assert data["ruling"] is None and data["created"]
    claim.refresh_from_db()
    assert claim.claim_status == "disputed"
    # A second dispute by someone else is fine; its author cannot dispute it.
    assert post(roles["moderator"], disputes_url(claim), DISPUTE).status_code == 201
    response = post(roles["member"], disputes_url(claim), DISPUTE)
    assert response.status_code == 409
    assert "your own claim" in body(response)["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"grounds": "vibes"}, "grounds"),
        ({"grounds": None}, "grounds"),
        ({"statement": "   "}, "State why"),
        ({"statement": ""}, "State why"),
        ({"evidence": [{"kind": "passage", "start": 5, "end": 10**7}]}, "inside the text"),
        ({"evidence": [{"kind": "passage", "start": "a", "end": 3}]}, "inside the text"),
        ({"evidence": [{"kind": "passage", "start": 8, "end": 4}]}, "inside the text"),
        ({"evidence": [{"kind": "url", "url": "javascript:alert(1)"}]}, "http(s)"),
        ({"evidence": [{"kind": "url", "url": "ftp://example.org/"}]}, "http(s)"),
        ({"evidence": [{"kind": "source", "citation": "  "}]}, "source"),
        ({"evidence": [{"kind": "rumour"}]}, "passage, a source or a URL"),
        ({"evidence": ["https://example.org/"]}, "passage, a source or a URL"),
        ({"evidence": "https://example.org/"}, "evidence"),
        ({"evidence": {"kind": "url"}}, "evidence"),
        ({"evidence": [{"kind": "source", "citation": "x"}] * 21}, "20"),
    ],
)
def test_bad_disputes_are_400_with_a_clear_detail(
    change: dict[str, Any], field: str, claim: Annotation, roles: dict[str, User]
) -> None:
    response = post(roles["owner"], disputes_url(claim), {**DISPUTE, **change})
    assert response.status_code == 400, response.content
    detail = body(response)["detail"]
    assert field in detail, detail
    assert not Dispute.objects.exists()


def test_missing_fields_and_junk_bodies_are_400(claim: Annotation, roles: dict[str, User]) -> None:
    for data in ({}, {"grounds": "other"}, ["grounds"], "statement"):
        response = post(roles["owner"], disputes_url(claim), data)
        assert response.status_code == 400, data
        assert body(response)["detail"]
    response = api(roles["owner"]).post(
        disputes_url(claim), "{not json", content_type="application/json"
    )
    assert response.status_code == 400 and body(response)["detail"]


def test_a_withdrawn_claim_cannot_be_disputed(claim: Annotation, roles: dict[str, User]) -> None:
    assert post(roles["member"], f"/api/v1/claims/{claim.pk}/withdraw/").status_code == 200
    response = post(roles["owner"], disputes_url(claim), DISPUTE)
    assert response.status_code == 409
    assert "withdrawn" in body(response)["detail"]


# --- Withdrawing -----------------------------------------------------------------------------


def test_only_its_author_withdraws_a_claim_while_it_is_open(
    claim: Annotation, roles: dict[str, User], elsewhere: dict[str, Any]
) -> None:
    url = f"/api/v1/claims/{claim.pk}/withdraw/"
    for role in ("owner", "moderator", "observer"):
        response = post(roles[role], url, {"reason": "Mine now."})
        assert response.status_code == 403, role
        assert "author" in body(response)["detail"]
    assert post(roles["outsider"], url).status_code == 404
    assert post(elsewhere["moderator"], url).status_code == 404
    response = post(roles["member"], url, {"reason": "I was wrong."})
    assert response.status_code == 200, response.content
    assert body(response)["status"] == "withdrawn"
    change = ClaimStatusChange.objects.get(claim=claim)
    assert (change.new, change.reason) == ("withdrawn", "I was wrong.")
    assert post(roles["member"], url).status_code == 200  # again: nothing changes
    assert ClaimStatusChange.objects.filter(claim=claim).count() == 1


def test_a_disputed_claim_cannot_be_withdrawn(claim: Annotation, roles: dict[str, User]) -> None:
    open_dispute(claim, roles["owner"])
    response = post(roles["member"], f"/api/v1/claims/{claim.pk}/withdraw/")
    assert response.status_code == 409
    assert "only while it is open" in body(response)["detail"]


# --- A claim's status ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_moderators_set_a_claims_status(
    role: str, claim: Annotation, roles: dict[str, User]
) -> None:
    url = f"/api/v1/claims/{claim.pk}/status/"
    response = post(roles[role], url, {"status": "under_review", "reason": "Checking sources."})
    expected = {"owner": 200, "moderator": 200, "member": 403, "observer": 403, "outsider": 404}
    assert response.status_code == expected[role], response.content
    if role in MODERATORS:
        assert body(response)["status"] == "under_review"
        event = ModerationEvent.objects.get()
        assert (event.action, event.old_state, event.new_state, event.reason) == (
            "set_claim_status",
            "open",
            "under_review",
            "Checking sources.",
        )
    else:
        assert "moderat" in body(response)["detail"] or role == "outsider"
        assert not ModerationEvent.objects.exists()


def test_setting_the_status_a_claim_has_writes_no_log_row(
    claim: Annotation, roles: dict[str, User]
) -> None:
    url = f"/api/v1/claims/{claim.pk}/status/"
    for _ in range(2):
        response = post(roles["moderator"], url, {"status": "upheld", "reason": "Sourced."})
        assert response.status_code == 200
    assert ModerationEvent.objects.count() == 1
    assert ClaimStatusChange.objects.filter(claim=claim).count() == 1


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"status": "withdrawn", "reason": "x"}, "only its author withdraws"),
        ({"status": "sideways", "reason": "x"}, "under_review"),
        ({"status": "rejected", "reason": "  "}, "reason"),
        ({"reason": "x"}, "status"),
    ],
)
def test_bad_status_changes_are_400(
    data: dict[str, Any], words: str, claim: Annotation, roles: dict[str, User]
) -> None:
    response = post(roles["moderator"], f"/api/v1/claims/{claim.pk}/status/", data)
    assert response.status_code == 400
    assert words in body(response)["detail"]
    assert not ModerationEvent.objects.exists()


# --- Rulings ---------------------------------------------------------------------------------


def ruling_url(dispute: Dispute) -> str:
    return f"/api/v1/disputes/{dispute.pk}/ruling/"


@pytest.mark.parametrize("role", ROLES)
def test_moderators_rule_on_a_dispute(role: str, claim: Annotation, roles: dict[str, User]) -> None:
    dispute = open_dispute(claim, roles["owner"])
    response = post(roles[role], ruling_url(dispute), {"decision": "accept", "text": "Quite."})
    expected = {"owner": 201, "moderator": 201, "member": 403, "observer": 403, "outsider": 404}
    assert response.status_code == expected[role], response.content
    if role not in MODERATORS:
        assert not Ruling.objects.exists()
        return
    data = body(response)
    assert (data["dispute"], data["decision"], data["text"], data["claim_status"]) == (
        dispute.pk,
        "accept",
        "Quite.",
        "rejected",
    )
    assert data["moderator"] == roles[role].username and data["created"]
    claim.refresh_from_db()
    assert claim.claim_status == "rejected"


def test_a_dispute_is_ruled_on_once(claim: Annotation, roles: dict[str, User]) -> None:
    dispute = open_dispute(claim, roles["owner"])
    ruled = post(
        roles["moderator"],
        ruling_url(dispute),
        {"decision": "dismiss", "text": "It stands.", "claim_status": "open"},
    )
    assert ruled.status_code == 201 and body(ruled)["claim_status"] == "open"
    again = post(roles["owner"], ruling_url(dispute), {"decision": "accept", "text": "No!"})
    assert again.status_code == 409
    assert body(again) == {
        "detail": "This dispute has already been ruled on.",
        "code": "conflict",
    }
    assert Ruling.objects.count() == 1
    assert ModerationEvent.objects.filter(action__startswith="rule_").count() == 1


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"decision": "maybe", "text": "Hm."}, "accept, dismiss"),
        ({"text": "Hm."}, "decision"),
        ({"decision": "accept", "text": " "}, "Write the ruling"),
        ({"decision": "accept", "text": "Hm.", "claim_status": "withdrawn"}, "after the ruling"),
        ({"decision": "accept", "text": "Hm.", "claim_status": "gone"}, "claim_status"),
    ],
)
def test_bad_rulings_are_400(
    data: dict[str, Any], words: str, claim: Annotation, roles: dict[str, User]
) -> None:
    dispute = open_dispute(claim, roles["owner"])
    response = post(roles["moderator"], ruling_url(dispute), data)
    assert response.status_code == 400, response.content
    assert words in body(response)["detail"]
    assert not Ruling.objects.exists()


def test_moderators_cannot_moderate_another_seminar(
    seminar: Seminar, claim: Annotation, roles: dict[str, User], elsewhere: dict[str, Any]
) -> None:
    """Our moderators are strangers there: everything of that seminar is 404 to them."""
    mine = roles["moderator"]
    theirs = elsewhere["claim"]
    reply = notes.reply_create(annotation=theirs, user=elsewhere["moderator"], body="Hm.")
    flag = moderation.flag_create(user=elsewhere["moderator"], annotation=theirs, reason="spam")
    attempts = [
        (ruling_url(elsewhere["dispute"]), {"decision": "accept", "text": "Mine now."}),
        (f"/api/v1/claims/{theirs.pk}/status/", {"status": "rejected", "reason": "x"}),
        (f"/api/v1/claims/{theirs.pk}/disputes/", DISPUTE),
        (f"/api/v1/annotations/{theirs.pk}/hide/", {"reason": "x"}),
        (f"/api/v1/annotations/{theirs.pk}/lock/", {"reason": "x"}),
        (f"/api/v1/replies/{reply.pk}/hide/", {"reason": "x"}),
        (f"/api/v1/flags/{flag.pk}/dismiss/", {}),
        ("/api/v1/flags/", {"annotation": theirs.pk, "reason": "spam"}),
        ("/api/v1/flags/", {"reply": reply.pk, "reason": "spam"}),
    ]
    for url, data in attempts:
        response = post(mine, url, data)
        assert response.status_code == 404, url
        assert body(response)["code"] == "not_found"
    slug = elsewhere["seminar"].slug
    for url in (
        f"/api/v1/seminars/{slug}/claims/",
        f"/api/v1/seminars/{slug}/moderation-log/",
        f"/api/v1/seminars/{slug}/moderation-queue/",
        f"/api/v1/claims/{theirs.pk}/",
    ):
        assert api(mine).get(url).status_code == 404, url
    assert not Ruling.objects.exists() and not ModerationEvent.objects.exists()
    assert Flag.objects.get() == flag


# --- Flags -----------------------------------------------------------------------------------


def test_members_flag_an_annotation_once(claim: Annotation, roles: dict[str, User]) -> None:
    data = {"annotation": claim.pk, "reason": "misquotes", "note": "Not what it says."}
    assert post(roles["observer"], "/api/v1/flags/", data).status_code == 403
    assert post(roles["outsider"], "/api/v1/flags/", data).status_code == 404
    response = post(roles["owner"], "/api/v1/flags/", data)
    assert response.status_code == 201, response.content
    flagged = body(response)
    assert {k: flagged[k] for k in ("annotation", "reply", "reason", "note", "status")} == {
        "annotation": claim.pk,
        "reply": None,
        "reason": "misquotes",
        "note": "Not what it says.",
        "status": "open",
    }
    assert flagged["reporter"] == "olivia"
    again = post(roles["owner"], "/api/v1/flags/", {**data, "reason": "spam"})
    assert again.status_code == 409
    assert body(again)["detail"] == "You have already flagged this."
    assert post(roles["moderator"], "/api/v1/flags/", data).status_code == 201
    assert Flag.objects.count() == 2


def test_members_flag_a_reply(claim: Annotation, roles: dict[str, User]) -> None:
    reply = notes.reply_create(annotation=claim, user=roles["owner"], body="Spam spam.")
    response = post(roles["member"], "/api/v1/flags/", {"reply": reply.pk, "reason": "spam"})
    assert response.status_code == 201
    assert (body(response)["reply"], body(response)["annotation"]) == (reply.pk, None)
    assert (
        post(roles["member"], "/api/v1/flags/", {"reply": reply.pk, "reason": "spam"}).status_code
        == 409
    )


@pytest.mark.parametrize(
    "data",
    [
        {"reason": "spam"},
        {"annotation": "CLAIM", "reply": "REPLY", "reason": "spam"},
        {"annotation": "CLAIM", "reason": "because"},
        {"annotation": "CLAIM"},
        {"annotation": "x", "reason": "spam"},
        {"annotation": 10**30, "reason": "spam"},
        {"annotation": "CLAIM", "reason": "spam", "note": "x" * 2001},
    ],
)
def test_bad_flags_are_400(data: dict[str, Any], claim: Annotation, roles: dict[str, User]) -> None:
    reply = notes.reply_create(annotation=claim, user=roles["owner"], body="Hm.")
    ids = {"CLAIM": claim.pk, "REPLY": reply.pk}
    data = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in data.items()}
    response = post(roles["member"], "/api/v1/flags/", data)
    assert response.status_code == 400, response.content
    assert body(response)["detail"]
    assert not Flag.objects.exists()


def test_flags_on_what_you_cannot_see_are_404(
    document: Document, claim: Annotation, roles: dict[str, User]
) -> None:
    secret = notes.annotation_create(
        document=document, user=roles["owner"], start=0, end=8, body="Mine.", visibility="private"
    )
    for data in (
        {"annotation": secret.pk, "reason": "spam"},
        {"annotation": 999999999, "reason": "spam"},
        {"reply": 999999999, "reason": "spam"},
    ):
        assert post(roles["member"], "/api/v1/flags/", data).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_moderators_dismiss_flags_once(
    role: str, claim: Annotation, roles: dict[str, User]
) -> None:
    flag = moderation.flag_create(user=roles["owner"], annotation=claim, reason="spam")
    url = f"/api/v1/flags/{flag.pk}/dismiss/"
    response = post(roles[role], url, {"reason": "Not spam."})
    expected = {"owner": 200, "moderator": 200, "member": 403, "observer": 403, "outsider": 404}
    assert response.status_code == expected[role]
    if role in MODERATORS:
        assert body(response)["status"] == "dismissed"
        assert post(roles[role], url).status_code == 200
        event = ModerationEvent.objects.get()
        assert (event.action, event.target_type, event.target_id, event.reason) == (
            "dismiss_flag",
            "flag",
            flag.pk,
            "Not spam.",
        )
    else:
        flag.refresh_from_db()
        assert flag.status == "open" and not ModerationEvent.objects.exists()
    assert post(roles[role], "/api/v1/flags/999999999/dismiss/").status_code == 404


# --- Hiding, restoring, locking --------------------------------------------------------------

ANNOTATION_ACTIONS = [
    ("hide", "restore", "hidden"),
    ("lock", "unlock", "locked"),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("on", "off", "state"), ANNOTATION_ACTIONS)
def test_moderator_actions_on_annotations(
    role: str, on: str, off: str, state: str, claim: Annotation, roles: dict[str, User]
) -> None:
    user = roles[role]
    response = post(user, f"/api/v1/annotations/{claim.pk}/{on}/", {"reason": "Heated."})
    expected = {"owner": 200, "moderator": 200, "member": 403, "observer": 403, "outsider": 404}
    assert response.status_code == expected[role], response.content
    if role not in MODERATORS:
        claim.refresh_from_db()
        assert getattr(claim, state) is False and not ModerationEvent.objects.exists()
        return
    assert body(response)[state] is True and body(response)["id"] == claim.pk
    # Again: 200, nothing changes, nothing is logged.
    assert (
        post(user, f"/api/v1/annotations/{claim.pk}/{on}/", {"reason": "Again."}).status_code == 200
    )
    assert list(ModerationEvent.objects.values_list("action", flat=True)) == [on]
    response = post(user, f"/api/v1/annotations/{claim.pk}/{off}/", {"reason": "Calmer."})
    assert response.status_code == 200 and body(response)[state] is False
    assert post(user, f"/api/v1/annotations/{claim.pk}/{off}/", {"reason": "x"}).status_code == 200
    assert sorted(ModerationEvent.objects.values_list("action", flat=True)) == sorted([on, off])


def test_hiding_needs_a_reason_and_actions_open_flags(
    claim: Annotation, roles: dict[str, User]
) -> None:
    flag = moderation.flag_create(user=roles["owner"], annotation=claim, reason="abusive")
    response = post(roles["moderator"], f"/api/v1/annotations/{claim.pk}/hide/", {})
    assert response.status_code == 400 and "reason" in body(response)["detail"]
    assert (
        post(
            roles["moderator"], f"/api/v1/annotations/{claim.pk}/hide/", {"reason": "Abusive."}
        ).status_code
        == 200
    )
    flag.refresh_from_db()
    assert flag.status == "actioned"


def test_a_locked_claim_is_listed_as_locked(claim: Annotation, roles: dict[str, User]) -> None:
    assert (
        post(
            roles["moderator"], f"/api/v1/annotations/{claim.pk}/lock/", {"reason": "Heated."}
        ).status_code
        == 200
    )
    data = body(api(roles["member"]).get(claims_url(claim.seminar)))["results"][0]
    assert data["locked"] is True


def test_moderators_act_on_any_annotation_they_can_see(
    document: Document, roles: dict[str, User]
) -> None:
    comment = notes.annotation_create(
        document=document, user=roles["member"], start=0, end=8, body="Plain comment."
    )
    response = post(roles["owner"], f"/api/v1/annotations/{comment.pk}/hide/", {"reason": "Off."})
    assert response.status_code == 200 and body(response)["kind"] == "comment"
    assert (
        post(roles["owner"], "/api/v1/annotations/999999999/hide/", {"reason": "x"}).status_code
        == 404
    )


@pytest.mark.parametrize("role", ROLES)
def test_moderator_actions_on_replies(role: str, claim: Annotation, roles: dict[str, User]) -> None:
    reply = notes.reply_create(annotation=claim, user=roles["member"], body="Rude words.")
    user = roles[role]
    url = f"/api/v1/replies/{reply.pk}/"
    response = post(user, f"{url}hide/", {"reason": "Rude."})
    expected = {"owner": 200, "moderator": 200, "member": 403, "observer": 403, "outsider": 404}
    assert response.status_code == expected[role], response.content
    if role not in MODERATORS:
        assert not Reply.objects.get().hidden and not ModerationEvent.objects.exists()
        return
    assert body(response) == {
        **body(response),
        "id": reply.pk,
        "annotation": claim.pk,
        "hidden": True,
    }
    assert post(user, f"{url}hide/", {"reason": "Again."}).status_code == 200
    assert ModerationEvent.objects.count() == 1
    response = post(user, f"{url}restore/", {"reason": "Fair enough."})
    assert response.status_code == 200 and body(response)["hidden"] is False
    assert post(user, f"{url}restore/", {"reason": "x"}).status_code == 200
    assert list(ModerationEvent.objects.values_list("action", "target_type")) == [
        ("restore", "reply"),
        ("hide", "reply"),
    ]


def test_replies_in_a_private_thread_are_404_to_others(
    document: Document, roles: dict[str, User]
) -> None:
    secret = make_claim(document, roles["member"], visibility="private")
    reply = notes.reply_create(annotation=secret, user=roles["member"], body="Note to self.")
    assert (
        post(roles["owner"], f"/api/v1/replies/{reply.pk}/hide/", {"reason": "x"}).status_code
        == 404
    )
    assert (
        post(roles["owner"], "/api/v1/replies/999999999/hide/", {"reason": "x"}).status_code == 404
    )


# --- The moderation log ----------------------------------------------------------------------


def log_url(seminar: Seminar, query: str = "") -> str:
    return f"/api/v1/seminars/{seminar.slug}/moderation-log/{query}"


@pytest.fixture
def logged(seminar: Seminar, claim: Annotation, roles: dict[str, User]) -> None:
    """Four log rows: mona locks and hides the claim, olivia hides a reply, mona rules."""
    reply = notes.reply_create(annotation=claim, user=roles["member"], body="Rude.")
    moderation.thread_set_locked(
        annotation=claim, moderator=roles["moderator"], locked=True, reason="Heated."
    )
    moderation.content_set_hidden(
        moderator=roles["owner"], reply=reply, hidden=True, reason="Rude."
    )
    dispute = open_dispute(claim, roles["owner"])
    moderation.dispute_rule(
        dispute=dispute, moderator=roles["moderator"], decision="accept", text="Right."
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_member_reads_the_log(
    role: str, seminar: Seminar, logged: None, roles: dict[str, User]
) -> None:
    response = api(roles[role]).get(log_url(seminar))
    if role == "outsider":
        assert response.status_code == 404
        return
    assert response.status_code == 200
    data = body(response)
    assert data["count"] == 3
    assert [e["action"] for e in data["results"]] == ["rule_accept", "hide", "lock"]
    newest = data["results"][0]
    assert (newest["actor"], newest["actor_name"], newest["target_type"]) == (
        "mona",
        roles["moderator"].name,
        "dispute",
    )
    assert (newest["old_state"], newest["new_state"], newest["reason"]) == (
        "disputed",
        "rejected",
        "Right.",
    )
    assert newest["created"] and newest["target_id"] == Dispute.objects.get().pk


def test_log_filters(seminar: Seminar, logged: None, roles: dict[str, User]) -> None:
    def actions(query: str) -> list[str]:
        response = api(roles["observer"]).get(log_url(seminar, query))
        assert response.status_code == 200, response.content
        return [e["action"] for e in body(response)["results"]]

    assert actions("?action=hide") == ["hide"]
    assert actions("?actor=mona") == ["rule_accept", "lock"]
    assert actions("?actor=olivia") == ["hide"]
    assert actions("?actor=nobody") == []
    assert actions("?target_type=annotation") == ["lock"]
    assert actions("?target_type=reply&actor=olivia") == ["hide"]
    assert actions("?action=lock&actor=olivia") == []
    for query in ("?action=delete_everything", "?target_type=seminar"):
        response = api(roles["observer"]).get(log_url(seminar, query))
        assert response.status_code == 400 and body(response)["detail"]


def test_the_log_is_paginated(seminar: Seminar, claim: Annotation, roles: dict[str, User]) -> None:
    for n in range(52):  # PAGE_SIZE is 50
        moderation.thread_set_locked(
            annotation=claim, moderator=roles["moderator"], locked=n % 2 == 0, reason=f"{n}"
        )
    first = body(api(roles["member"]).get(log_url(seminar)))
    assert first["count"] == 52 and len(first["results"]) == 50
    assert [e["reason"] for e in first["results"][:2]] == ["51", "50"]
    second = body(api(roles["member"]).get(first["next"]))
    assert [e["reason"] for e in second["results"]] == ["1", "0"] and second["next"] is None
    assert second["previous"]
    assert api(roles["member"]).get(log_url(seminar, "?page=9")).status_code == 404


# --- The moderation queue --------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_queue_is_for_moderators(
    role: str, seminar: Seminar, document: Document, claim: Annotation, roles: dict[str, User]
) -> None:
    flag = moderation.flag_create(user=roles["owner"], annotation=claim, reason="spam")
    dispute = open_dispute(claim, roles["owner"])
    reviewed = make_claim(document, roles["owner"], "Imre Nagy")
    moderation.claim_set_status(
        claim=reviewed, actor=roles["moderator"], status="under_review", reason="Checking."
    )
    secret = make_claim(document, roles["owner"], "Soviet", visibility="private")
    moderation.claim_set_status(
        claim=secret, actor=roles["owner"], status="under_review", reason="Mine."
    )
    response = api(roles[role]).get(f"/api/v1/seminars/{seminar.slug}/moderation-queue/")
    expected = {"owner": 200, "moderator": 200, "member": 403, "observer": 403, "outsider": 404}
    assert response.status_code == expected[role]
    if role not in MODERATORS:
        return
    data = body(response)
    review = [reviewed.pk, secret.pk] if role == "owner" else [reviewed.pk]
    assert data["counts"] == {"flags": 1, "disputes": 1, "under_review": len(review)}
    assert [f["id"] for f in data["flags"]] == [flag.pk]
    assert [d["id"] for d in data["disputes"]] == [dispute.pk]
    assert data["disputes"][0]["claim"] == claim.pk
    assert [c["id"] for c in data["under_review"]] == review
