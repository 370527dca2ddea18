"""The API side of the invitation hardening (security probe 2026-12: M1, M4): removing a member
through DELETE /api/v1/seminars/<slug>/members/<user>/ revokes what they made, on the log the
API filters; creating seminars is limited."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from core.models import Invitation, InviteLink, Role, Seminar, User
from core.services import invitations
from tests.factories import member

pytestmark = pytest.mark.django_db


def as_user(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_probe_m1_api_removal_revokes_the_members_links_and_invitations(
    seminar: Seminar, owner: User
) -> None:
    carl = member(seminar, Role.MODERATOR, username="carl", display_name="Carl")
    link = invitations.invite_link_create(seminar=seminar, actor=carl, max_uses=1000, days=90)
    invitation = invitations.invitation_create(
        seminar=seminar, actor=carl, username_or_email="friend@example.net"
    )
    api = as_user(owner)
    assert api.delete(f"/api/v1/seminars/{seminar.slug}/members/carl/").status_code == 204
    link.refresh_from_db()
    invitation.refresh_from_db()
    assert (link.state, invitation.status) == ("revoked", Invitation.Status.REVOKED)

    log = f"/api/v1/seminars/{seminar.slug}/moderation-log/"
    revoked = api.get(log, {"action": "revoke_invites"})
    assert revoked.status_code == 200, revoked.json()
    (event,) = revoked.json()["results"]
    assert event["actor"] == owner.username
    assert (event["target_type"], event["target_id"]) == ("user", carl.pk)
    assert (event["old_state"], event["new_state"]) == ("active", "revoked")
    assert event["reason"] == "1 invitation link and 1 invitation revoked: Carl was removed."
    removed = api.get(log, {"action": "remove_member", "target_type": "user"})
    assert removed.status_code == 200, removed.json()
    assert [e["action"] for e in removed.json()["results"]] == ["remove_member"]

    # carl's own token still reaches the API, and his link admits nobody.
    assert as_user(carl).get(f"/api/v1/seminars/{seminar.slug}/").status_code == 404
    assert not InviteLink.objects.filter(revoked_at=None).exists()


def test_api_seminar_creation_is_limited(owner: User, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "seminar": (2, 86400)}
    api = as_user(owner)
    answers = [api.post("/api/v1/seminars/", {"name": f"S {i}"}, format="json") for i in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    body = answers[2].json()
    assert body["code"] == "rate_limited"
    assert body["detail"].startswith("Too many new seminars: at most 2 in 24 hours. Try again in")
    assert int(answers[2]["Retry-After"]) > 0
    assert not Seminar.objects.filter(name="S 2").exists()
