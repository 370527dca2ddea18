from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from annotate.models import Annotation, Document
from core.models import User
from tests.conftest import login

pytestmark = pytest.mark.django_db


def _highlight(client: Client, document: Document, start: int) -> Any:
    """A highlight made in the reader (through htmx), as a member would."""
    url = reverse("annotation-create", args=[document.seminar.slug, document.pk])
    return client.post(
        url,
        {"start": start, "end": start + 5, "base": 1, "kind": "highlight"},
        headers={"HX-Request": "true"},
    )


def _w3c_highlight(document: Document, start: int) -> dict[str, Any]:
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "highlighting",
        "target": {
            "source": f"http://testserver/api/v1/documents/{document.pk}/",
            "selector": [{"type": "TextPositionSelector", "start": start, "end": start + 8}],
        },
    }


def test_annotation_flood_gets_429_with_a_message(
    client: Client, document: Document, roles: dict[str, User], settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "annotate": (3, 60)}
    login(client, roles["member"])
    statuses = [_highlight(client, document, 10 * i).status_code for i in range(5)]
    assert statuses == [201, 201, 201, 429, 429]
    last = _highlight(client, document, 100)
    assert "Too many annotations: at most 3 in 1 minute" in last.text
    assert Annotation.objects.count() == 3
    # Another member is not affected.
    login(client, roles["moderator"])
    assert _highlight(client, document, 200).status_code == 201


def test_api_answers_429_with_retry_after(
    document: Document, roles: dict[str, User], settings: Any
) -> None:
    from rest_framework.test import APIClient

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "annotate": (1, 60)}
    client = APIClient()
    client.force_authenticate(roles["member"])
    container = f"/api/v1/seminars/{document.seminar.slug}/annotations/"
    body = _w3c_highlight(document, 0)
    assert client.post(container, body, format="json").status_code == 201
    response = client.post(container, body, format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many annotations" in response.json()["detail"]


def test_a_flood_is_refused_before_any_other_work(
    client: Client,
    document: Document,
    roles: dict[str, User],
    settings: Any,
    django_assert_max_num_queries: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from annotate.services.annotations import annotation_create

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "reply": (1, 60)}
    note = annotation_create(
        document=document, user=roles["owner"], start=0, end=5, kind="comment", body="Hm."
    )
    login(client, roles["member"])
    url = reverse("reply-create", args=[document.seminar.slug, document.pk, note.pk])
    hx = {"HX-Request": "true"}
    assert client.post(url, {"body": "One."}, headers=hx).status_code == 201
    with django_assert_max_num_queries(2):  # the session and the user: nothing else
        refused = client.post(url, {"body": "Two."}, headers=hx)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many replies: at most 1 in 1 minute" in refused.text
    assert refused["HX-Reswap"] == "afterbegin"  # above the form, which keeps what was typed
    # Now the session is on record: the next tries are refused before it is even loaded.
    caplog.clear()
    with django_assert_max_num_queries(0):
        again = client.post(url, {"body": "Three."}, headers=hx)
    assert not caplog.records  # the first refusal was logged; a flood is not a log flood
    assert again.status_code == 429 and again["HX-Reswap"] == "afterbegin"
    assert "Too many replies: at most 1 in 1 minute. Try again in" in again.text
    assert 0 < int(again["Retry-After"]) <= int(refused["Retry-After"])
    assert note.replies.count() == 1
    # Only that session, and only that action: the member may still annotate, and another
    # member may still reply.
    annotate = reverse("annotation-create", args=[document.seminar.slug, document.pk])
    assert (
        client.post(
            annotate, {"start": 10, "end": 15, "base": 1, "kind": "highlight"}, headers=hx
        ).status_code
        == 201
    )
    other = Client()
    login(other, roles["moderator"])
    assert other.post(url, {"body": "Mine."}, headers=hx).status_code == 201


def test_a_refusal_on_record_lapses_with_its_retry_after(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from core import ratelimit
    from core.errors import TooManyRequests

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "reply": (10, 60)}
    now = [1000.0]
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now[0]))
    client = ratelimit.client_key("a-session-key")
    assert client != "a-session-key" and len(client) == 32
    ratelimit.remember_refusal(client, 7, "reply", TooManyRequests("Too many.", retry_after=30))
    assert ratelimit.refusal_on_record(client, "annotate") is None
    now[0] = 1012.0
    held = ratelimit.refusal_on_record(client, "reply")
    assert held is not None and held.retry_after == 18
    assert held.message == "Too many replies: at most 10 in 1 minute. Try again in 18 seconds."
    now[0] = 1030.0
    assert ratelimit.refusal_on_record(client, "reply") is None


def test_a_trickle_at_the_limit_meets_the_penalty_too(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A script that tries again the moment each short Retry-After lapses is refused anew
    each time (remember_refusal), never on record: those refusals count as tries as well, over
    the limit's window, so it is penalised as a flood is (make load's abuser got 95
    annotations through in 5 minutes, at the limit, before this)."""
    from types import SimpleNamespace

    from core import ratelimit
    from core.errors import TooManyRequests

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "annotate": (3, 60)}
    settings.RATE_LIMIT_PENALTY_SECONDS = 600
    now = [5000.0]
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now[0]))
    client = ratelimit.client_key("a-script")
    for _ in range(3):  # each refusal lapses after a second, and the next comes then
        ratelimit.remember_refusal(client, 9, "annotate", TooManyRequests("No.", retry_after=1))
        now[0] += 1.5
        assert ratelimit.refusal_on_record(client, "annotate") is None
    ratelimit.remember_refusal(client, 9, "annotate", TooManyRequests("No.", retry_after=1))
    held = ratelimit.refusal_on_record(client, "annotate")
    assert held is not None and held.retry_after > 590
    with pytest.raises(TooManyRequests, match="more kept coming"):
        ratelimit.check(9, "annotate")  # on any session, through the API too
    # Sign-ins never escalate: their owner must not be locked out for long.
    other = ratelimit.client_key("someone-signing-in")
    for _ in range(10):
        ratelimit.remember_refusal(
            other, "mark", "login_pair", TooManyRequests("No.", retry_after=1), penalise=False
        )
    held = ratelimit.refusal_on_record(other, "login_pair")
    assert held is not None and held.retry_after == 1


def test_a_member_who_keeps_sending_while_refused_is_refused_for_longer(
    client: Client, document: Document, roles: dict[str, User], settings: Any
) -> None:
    # A script at 10 requests a second would otherwise get the limit's worth through every
    # minute, for ever; a person who waits as asked never meets this.
    from annotate.services.annotations import annotation_create

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "reply": (2, 60)}
    settings.RATE_LIMIT_PENALTY_SECONDS = 600
    note = annotation_create(
        document=document, user=roles["owner"], start=0, end=5, kind="comment", body="Hm."
    )
    login(client, roles["member"])
    url = reverse("reply-create", args=[document.seminar.slug, document.pk, note.pk])
    hx = {"HX-Request": "true"}
    answers = [client.post(url, {"body": f"R{i}"}, headers=hx) for i in range(5)]
    # Two replies; refused; refused on record, twice (the limit's worth): a short wait still.
    assert [a.status_code for a in answers] == [201, 201, 429, 429, 429]
    assert int(answers[-1]["Retry-After"]) <= 120
    penalised = client.post(url, {"body": "more"}, headers=hx)
    assert penalised.status_code == 429 and int(penalised["Retry-After"]) > 590
    assert "more kept coming while you were asked to wait. Try again in 10 minutes" in (
        penalised.text
    )
    # On any session: signing in again does not lift it; other members are not touched.
    fresh = Client()
    login(fresh, roles["member"])
    again = fresh.post(url, {"body": "new session"}, headers=hx)
    assert again.status_code == 429 and "Try again in 10 minutes" in again.text
    other = Client()
    login(other, roles["moderator"])
    assert other.post(url, {"body": "Mine."}, headers=hx).status_code == 201
    assert note.replies.filter(author=roles["member"]).count() == 2


def test_the_window_slides_so_a_flood_cannot_burst_every_minute(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from core import ratelimit
    from core.errors import TooManyRequests

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "annotate": (6, 60)}
    now = [600.0]  # a window starts
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now[0]))
    for _ in range(6):  # a whole minute's allowance at once: allowed
        ratelimit.check(424242, "annotate")
    with pytest.raises(TooManyRequests):
        ratelimit.check(424242, "annotate")  # counted too: seven tries
    now[0] = 660.0  # the next window, but the last minute still holds all seven
    with pytest.raises(TooManyRequests, match="Try again in 18 seconds"):
        ratelimit.refuse_if_over(424242, "annotate")
    now[0] = 678.0  # 18 s on, 7 x 42/60 of them are still in the last minute: room for one
    ratelimit.refuse_if_over(424242, "annotate")
    ratelimit.check(424242, "annotate")
    with pytest.raises(TooManyRequests):
        ratelimit.check(424242, "annotate")


def test_w3c_imports_are_limited_per_hour(
    document: Document,
    roles: dict[str, User],
    settings: Any,
    django_assert_max_num_queries: Any,
) -> None:
    # One import brings up to 5,000 annotations: without its own limit it would be the way
    # around the per-minute one.
    from rest_framework.test import APIClient

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "import": (2, 3600)}
    client = APIClient()
    client.force_authenticate(roles["member"])
    url = f"/api/v1/documents/{document.pk}/import-annotations/"
    source = f"http://testserver/api/v1/documents/{document.pk}/"
    item = {
        "type": "Annotation",
        "motivation": "highlighting",
        "target": {"source": source, "selector": {"type": "TextQuoteSelector", "exact": "the"}},
    }
    for _ in range(2):
        assert client.post(url, [item, item], format="json").status_code == 201
    with django_assert_max_num_queries(4):  # who asks and the text: no parsing, no anchoring
        refused = client.post(url, [item] * 500, format="json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 60
    assert "Too many imports: at most 2 in 1 hour" in refused.json()["detail"]
    assert Annotation.objects.filter(author=roles["member"]).count() == 4


def test_an_api_client_that_keeps_sending_while_refused_is_refused_for_longer(
    client: Client, document: Document, roles: dict[str, User], settings: Any
) -> None:
    from rest_framework.test import APIClient

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "annotate": (2, 60)}
    settings.RATE_LIMIT_PENALTY_SECONDS = 600
    api = APIClient()
    api.force_authenticate(roles["member"])
    container = f"/api/v1/seminars/{document.seminar.slug}/annotations/"
    answers = [
        api.post(container, _w3c_highlight(document, 10 * i), format="json") for i in range(5)
    ]
    # Two in; refused twice with a short wait; the fifth try (as many refused as allowed)
    # begins the penalty.
    assert [a.status_code for a in answers] == [201, 201, 429, 429, 429]
    assert int(answers[3]["Retry-After"]) <= 120
    assert int(answers[4]["Retry-After"]) > 590
    assert "more kept coming" in answers[4].json()["detail"]
    # The pages refuse the member too; another member writes on.
    login(client, roles["member"])
    page = _highlight(client, document, 300)
    assert page.status_code == 429 and "Try again in 10 minutes" in page.text
    other = APIClient()
    other.force_authenticate(roles["moderator"])
    assert other.post(container, _w3c_highlight(document, 400), format="json").status_code == 201
    assert Annotation.objects.filter(author=roles["member"]).count() == 2


def test_a_member_penalised_on_the_pages_is_refused_through_the_api(
    client: Client, document: Document, roles: dict[str, User], settings: Any
) -> None:
    from rest_framework.test import APIClient

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "annotate": (1, 60)}
    login(client, roles["member"])
    # One in, refused, refused on record, then the penalty.
    statuses = [_highlight(client, document, 10 * i).status_code for i in range(4)]
    assert statuses == [201, 429, 429, 429]
    api = APIClient()
    api.force_authenticate(roles["member"])
    container = f"/api/v1/seminars/{document.seminar.slug}/annotations/"
    answer = api.post(container, _w3c_highlight(document, 500), format="json")
    assert answer.status_code == 429 and "more kept coming" in answer.json()["detail"]
    assert Annotation.objects.filter(author=roles["member"]).count() == 1
