"""Invitations and membership, hardened (security probe 2026-12: M1, L5, M4), through the doors
the probe used: the seminar page's forms (htmx), /join/<token>/, the invitations page and the
emailed claim link."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from email import message_from_string
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotate.models import ModerationEvent
from core.models import Invitation, InviteLink, Membership, Role, Seminar, User
from core.services.invitations import claim_token
from tests.conftest import login
from tests.factories import make_seminar, make_user, member

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
REVOKED_LINK = "This invitation link has been revoked. Ask the seminar for a new one."
REVOKED_INVITATION = "This invitation has been revoked. Ask the seminar to invite you again."


def _mint_link(client: Client, seminar: Seminar, role: str) -> Any:
    return client.post(
        reverse("invite-link-create", args=[seminar.slug]),
        {"role": role, "days": "90", "max_uses": "1000"},
        headers=HTMX,
    )


def _invite(client: Client, seminar: Seminar, who: str, role: str = "member") -> Any:
    return client.post(
        reverse("invitation-create", args=[seminar.slug]),
        {"username_or_email": who, "role": role},
        headers=HTMX,
    )


def _old_link(seminar: Seminar, by: User, role: str = Role.MEMBER) -> InviteLink:
    """A link as the old code let it be made (a moderator's moderator link, say)."""
    return InviteLink.objects.create(
        seminar=seminar,
        created_by=by,
        role=role,
        max_uses=1000,
        expires_at=timezone.now() + timedelta(days=90),
    )


def _options(page: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]* id="{select_id}">(.*?)</select>', page, re.S)
    assert select, select_id
    return re.findall(r'<option value="([^"]*)"', select.group(1))


# --- L5: only owners invite moderators -------------------------------------------------------


def test_probe_l5_a_moderator_cannot_mint_a_moderator_link(
    client: Client, seminar: Seminar, roles: dict[str, User]
) -> None:
    response = _mint_link(login(client, roles["moderator"]), seminar, "moderator")
    assert response.status_code == 422
    # Next to the link form's role field (the person form has a role field too).
    assert (
        '<ul class="errorlist" id="id_link_role_error"><li>'
        "Only owners can invite moderators: invite as member or observer.</li>" in response.text
    )
    assert not InviteLink.objects.exists()


def test_probe_l5_a_moderator_cannot_invite_a_person_as_moderator(
    client: Client, seminar: Seminar, roles: dict[str, User]
) -> None:
    response = _invite(login(client, roles["moderator"]), seminar, "x@example.net", "moderator")
    assert response.status_code == 422
    assert "Only owners can invite moderators: invite as member or observer." in response.text
    assert not Invitation.objects.exists()


def test_moderators_are_offered_member_and_observer_owners_moderator_too(
    client: Client, seminar: Seminar, roles: dict[str, User]
) -> None:
    page = login(client, roles["moderator"]).get(seminar.get_absolute_url()).text
    for select in ("id_role", "id_link_role"):  # the person form's and the link form's
        assert _options(page, select) == ["member", "observer"]
    page = login(client, roles["owner"]).get(seminar.get_absolute_url()).text
    for select in ("id_role", "id_link_role"):
        assert _options(page, select) == ["moderator", "member", "observer"]
    assert _mint_link(client, seminar, "moderator").status_code == 201
    assert _mint_link(login(client, roles["moderator"]), seminar, "member").status_code == 201


def test_probe_l5_leave_and_rejoin_through_an_old_moderator_link_is_refused(
    client: Client, seminar: Seminar, roles: dict[str, User]
) -> None:
    """tom leaves and rejoins through a moderator link a moderator made before the fix."""
    link = _old_link(seminar, roles["moderator"], Role.MODERATOR)
    tom = roles["member"]
    login(client, tom)
    assert client.post(reverse("seminar-leave", args=[seminar.slug])).status_code == 302
    response = client.post(link.get_absolute_url())
    assert response.status_code == 410
    assert REVOKED_LINK in response.text
    assert not Membership.objects.filter(seminar=seminar, user=tom).exists()


# --- M1: removing a member ends the invitations they made ------------------------------------


def test_probe_m1_removed_moderator_cannot_rejoin_through_their_link(
    client: Client, seminar: Seminar, roles: dict[str, User]
) -> None:
    """The probe's sequence, with the link carl may still make (a member link)."""
    carl = member(seminar, Role.MODERATOR, username="carl", display_name="Carl")
    login(client, carl)
    assert _mint_link(client, seminar, "moderator").status_code == 422  # L5 first
    assert _mint_link(client, seminar, "member").status_code == 201
    assert _invite(client, seminar, "friend@example.net").status_code == 201
    link = InviteLink.objects.get(created_by=carl)
    carl_membership = Membership.objects.get(seminar=seminar, user=carl)

    login(client, roles["owner"])
    removed = client.post(
        reverse("member-remove", args=[seminar.slug, carl_membership.pk]), headers=HTMX
    )
    assert removed.status_code == 200

    link.refresh_from_db()
    assert link.revoked_at is not None
    assert Invitation.objects.get(invited_by=carl).status == Invitation.Status.REVOKED
    logged = ModerationEvent.objects.filter(seminar=seminar).order_by("pk")
    assert [(e.action, e.target_id, e.old_state, e.new_state) for e in logged] == [
        ("remove_member", carl.pk, "moderator", "removed"),
        ("revoke_invites", carl.pk, "active", "revoked"),
    ]
    assert logged[1].reason == "1 invitation link and 1 invitation revoked: Carl was removed."
    assert logged[1].actor == roles["owner"]

    login(client, carl)
    assert client.get(seminar.get_absolute_url()).status_code == 404
    for response in (client.get(link.get_absolute_url()), client.post(link.get_absolute_url())):
        assert response.status_code == 410
        assert REVOKED_LINK in response.text
    assert not Membership.objects.filter(seminar=seminar, user=carl).exists()


def test_probe_m1_exact_sequence_with_a_moderator_link_made_before_the_fix(
    client: Client, seminar: Seminar, roles: dict[str, User]
) -> None:
    """carl (moderator) holds a moderator link minted under the old code, is removed through
    the API, and tries to rejoin: refused."""
    from rest_framework.test import APIClient

    carl = member(seminar, Role.MODERATOR, username="carl")
    link = _old_link(seminar, carl, Role.MODERATOR)
    api = APIClient()
    api.force_authenticate(roles["owner"])
    assert api.delete(f"/api/v1/seminars/{seminar.slug}/members/carl/").status_code == 204
    response = login(client, carl).post(link.get_absolute_url())
    assert response.status_code == 410
    assert REVOKED_LINK in response.text
    assert not Membership.objects.filter(seminar=seminar, user=carl).exists()


def test_a_link_outliving_its_maker_answers_as_revoked(
    client: Client, seminar: Seminar, roles: dict[str, User]
) -> None:
    """Even a link the removal did not revoke (made in a race with it, or before this fix)
    is checked against its maker when used: gone with the maker's membership."""
    gone = make_user(username="gone")
    link = _old_link(seminar, gone)  # its maker is not (any more) a member
    login(client, make_user())
    for response in (client.get(link.get_absolute_url()), client.post(link.get_absolute_url())):
        assert response.status_code == 410
        assert REVOKED_LINK in response.text
        assert seminar.name not in response.text


def test_an_invitation_from_a_removed_member_answers_as_revoked(
    client: Client, seminar: Seminar, roles: dict[str, User]
) -> None:
    """Accepting on the invitations page, and claiming through the emailed link, re-check who
    sent it."""
    gone = make_user(username="gone")
    guest = make_user(username="guest")
    expires = timezone.now() + timedelta(days=7)
    named = Invitation.objects.create(
        seminar=seminar, invited_by=gone, invitee=guest, expires_at=expires
    )
    emailed = Invitation.objects.create(
        seminar=seminar, invited_by=gone, email="g@example.net", expires_at=expires
    )
    login(client, guest)
    accepted = client.post(reverse("invitation-respond", args=[named.pk, "accept"]))
    assert accepted.status_code == 410
    assert REVOKED_INVITATION in accepted.text
    claimed = client.get(reverse("invitation-claim", args=[claim_token(emailed)]))
    assert claimed.status_code == 410
    assert REVOKED_INVITATION in claimed.text
    assert not Membership.objects.filter(seminar=seminar, user=guest).exists()
    # Declining needs no inviter.
    declined = client.post(reverse("invitation-respond", args=[named.pk, "decline"]))
    assert declined.status_code == 302


def test_an_old_moderator_invitation_from_a_moderator_answers_as_revoked(
    client: Client, seminar: Seminar, roles: dict[str, User]
) -> None:
    guest = make_user()
    invitation = Invitation.objects.create(
        seminar=seminar,
        invited_by=roles["moderator"],
        invitee=guest,
        role=Role.MODERATOR,
        expires_at=timezone.now() + timedelta(days=7),
    )
    response = login(client, guest).post(
        reverse("invitation-respond", args=[invitation.pk, "accept"])
    )
    assert response.status_code == 410
    assert not Membership.objects.filter(user=guest).exists()


# --- M4: invitation emails are limited -------------------------------------------------------


def test_probe_m4_invitation_emails_are_limited_per_inviter(
    client: Client, seminar: Seminar, roles: dict[str, User], settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "invite_email": (2, 3600)}
    login(client, roles["owner"])
    answers = [_invite(client, seminar, f"victim{i}@example.net") for i in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert "Too many invitation emails: at most 2 in 1 hour. Try again in" in answers[2].text
    assert int(answers[2]["Retry-After"]) > 0
    assert Invitation.objects.count() == 2
    # Another inviter is not affected.
    assert _invite(login(client, roles["moderator"]), seminar, "v9@example.net").status_code == 201


def test_probe_m4_invitation_emails_are_limited_per_recipient_whoever_invites(
    client: Client, settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "invite_recipient": (1, 86400)}
    first, second = make_user(), make_user()
    one, two = make_seminar(first, name="Phish 1"), make_seminar(second, name="Phish 2")
    assert _invite(login(client, first), one, "victim@example.net").status_code == 201
    again = _invite(login(client, second), two, " Victim@Example.NET ")
    assert again.status_code == 429
    assert "Too many invitations to this address: at most 1 in 24 hours." in again.text
    assert "Retry-After" in again
    assert Invitation.objects.count() == 1
    # By username, the limit counts the account's address.
    make_user(username="vic", email="VICTIM@example.net")
    assert _invite(client, two, "vic").status_code == 429
    assert _invite(client, two, "someone-else@example.net").status_code == 201


def test_mistyped_invitations_do_not_count(
    client: Client, seminar: Seminar, roles: dict[str, User], settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "invite_email": (1, 3600)}
    login(client, roles["owner"])
    assert _invite(client, seminar, "nobody-by-that-name").status_code == 422
    assert _invite(client, seminar, "not-an-address@").status_code == 422
    assert _invite(client, seminar, "real@example.net").status_code == 201


# --- Seminar creation is limited --------------------------------------------------------------


def test_seminar_creation_is_limited_on_the_page(
    client: Client, owner: User, settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "seminar": (2, 86400)}
    login(client, owner)
    answers = [client.post(reverse("seminar-create"), {"name": f"S {i}"}) for i in range(3)]
    assert [a.status_code for a in answers] == [302, 302, 429]
    assert "Too many new seminars: at most 2 in 24 hours. Try again in" in answers[2].text
    assert int(answers[2]["Retry-After"]) > 0
    assert 'name="name"' in answers[2].text  # the form, as it was filled in
    assert not Seminar.objects.filter(name="S 2").exists()


# --- M4: what the email says ------------------------------------------------------------------

PHISH = "URGENT: your account is locked, verify at http://evil.example/login or www.evil.example"
# What mail clients link in plain text: a scheme, www., a dotted host name, an address.
LINKABLE = re.compile(r"[a-z]+://|www\.|\w\.(?:example|com|net|org)\b|\w@\w", re.I)


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_probe_m4_the_invitation_email_carries_no_link_of_the_inviters(
    client: Client, celery_worker: Any, worker_mail_dir: Path
) -> None:
    """The probe's phishing email, sent by the real worker: the subject names nothing a user
    chose, and the seminar's and inviter's names in the body cannot be clicked."""
    from rest_framework.test import APIClient

    eve = make_user(username="eve", display_name="Glossa Security Team (help@evil.example)")
    api = APIClient()
    api.force_authenticate(eve)
    created = api.post("/api/v1/seminars/", {"name": PHISH, "slug": "phish-1"}, format="json")
    assert created.status_code == 201
    seminar = Seminar.objects.get(slug="phish-1")
    assert _invite(login(client, eve), seminar, "phish-victim@example.net").status_code == 201

    deadline = time.monotonic() + 20
    while not (sent := [p.read_text() for p in worker_mail_dir.glob("*.log")]) or not any(
        "phish-victim@example.net" in text for text in sent
    ):
        assert time.monotonic() < deadline, "the worker did not send the invitation email"
        time.sleep(0.2)
    # The worker's file backend may append every email it sends to one file, one after the
    # other, each followed by a line of 79 dashes.
    messages = [m for text in sent for m in text.split("-" * 79 + "\n")]
    email = message_from_string(next(m for m in messages if "phish-victim@example.net" in m))
    assert email["Subject"] == "You have an invitation on Glossa"
    payload = email.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode()
    named, rest = body.split("Sign in (or sign up) and answer here: ")
    assert named.startswith(
        '"Glossa Security Team (help[@]evil[.]example)" invited you to read with the seminar '
        '"URGENT: your account is locked, verify at http[:]//evil[.]example/login or '
        'www[.]evil[.]example" on Glossa, as a member.'
    )
    assert not LINKABLE.search(named)
    assert rest.startswith(f"{django_settings.SITE_URL}/invitations/claim/")
    assert "evil" not in rest
