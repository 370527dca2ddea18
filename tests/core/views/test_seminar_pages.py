"""The seminar pages and their htmx fragments, through Django's test client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import Invitation, InviteLink, Membership, Role, Seminar, User
from tests.conftest import login
from tests.factories import make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def test_anonymous_home_is_the_landing_page(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "Read one text closely, together." in response.text


def test_dashboard_lists_my_seminars_with_my_role(client: Client, roles: dict[str, User]) -> None:
    response = login(client, roles["observer"]).get("/")
    assert "Hungary 1956" in response.text
    assert "observer" in response.text


def test_create_seminar_redirects_to_it(client: Client, owner: User) -> None:
    response = login(client, owner).post(
        reverse("seminar-create"), {"name": "Békés reading group", "description": "Weekly."}
    )
    seminar = Seminar.objects.get(name="Békés reading group")
    assert response.status_code == 302
    assert response["Location"] == f"/s/{seminar.slug}/"


def test_duplicate_slug_rerenders_the_form_with_a_message(
    client: Client, seminar: Seminar, owner: User
) -> None:
    response = login(client, owner).post(
        reverse("seminar-create"), {"name": "Other", "slug": seminar.slug}
    )
    assert response.status_code == 422
    assert "already exists" in response.text
    assert Seminar.objects.count() == 1


@pytest.mark.parametrize("who", ["owner", "moderator", "member", "observer"])
def test_members_see_the_seminar_page(client: Client, roles: dict[str, User], who: str) -> None:
    response = login(client, roles[who]).get("/s/hungary-1956/")
    assert response.status_code == 200
    assert "mark" in response.text  # the members list
    assert ("Invite people" in response.text) == (who in {"owner", "moderator"})


def test_non_members_and_anonymous_get_404_or_login(client: Client, roles: dict[str, User]) -> None:
    assert client.get("/s/hungary-1956/").status_code == 302  # to the login page
    response = login(client, roles["outsider"]).get("/s/hungary-1956/")
    assert response.status_code == 404
    assert "Hungary 1956" not in response.text
    assert client.get("/s/no-such-seminar/").status_code == 404


def test_htmx_role_change_returns_only_the_members_fragment(
    client: Client, seminar: Seminar, roles: dict[str, User]
) -> None:
    target = Membership.objects.get(seminar=seminar, user=roles["member"])
    response = login(client, roles["owner"]).post(
        reverse("member-role", args=[seminar.slug, target.pk]), {"role": "moderator"}, headers=HTMX
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="card" id="members"')
    assert "<html" not in response.text
    assert "HX-Request" in response["Vary"]
    target.refresh_from_db()
    assert target.role == Role.MODERATOR


def test_demoting_the_last_owner_answers_409_with_the_reason(
    client: Client, seminar: Seminar, roles: dict[str, User]
) -> None:
    own = Membership.objects.get(seminar=seminar, user=roles["owner"])
    response = login(client, roles["owner"]).post(
        reverse("member-role", args=[seminar.slug, own.pk]), {"role": "member"}, headers=HTMX
    )
    assert response.status_code == 409
    assert "at least one owner" in response.text
    own.refresh_from_db()
    assert own.role == Role.OWNER


@pytest.mark.parametrize(("who", "status"), [("moderator", 403), ("outsider", 404)])
def test_role_change_needs_an_owner(
    client: Client, seminar: Seminar, roles: dict[str, User], who: str, status: int
) -> None:
    target = Membership.objects.get(seminar=seminar, user=roles["member"])
    response = login(client, roles[who]).post(
        reverse("member-role", args=[seminar.slug, target.pk]), {"role": "owner"}
    )
    assert response.status_code == status
    target.refresh_from_db()
    assert target.role == Role.MEMBER


def test_remove_member_without_javascript_redirects_back(
    client: Client, seminar: Seminar, roles: dict[str, User]
) -> None:
    target = Membership.objects.get(seminar=seminar, user=roles["observer"])
    response = login(client, roles["owner"]).post(
        reverse("member-remove", args=[seminar.slug, target.pk])
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=target.pk).exists()


def test_leave(client: Client, seminar: Seminar, roles: dict[str, User]) -> None:
    response = login(client, roles["member"]).post(reverse("seminar-leave", args=[seminar.slug]))
    assert response.status_code == 302
    assert client.get(f"/s/{seminar.slug}/").status_code == 404


def test_create_link_fragment_shows_a_copyable_url(
    client: Client, seminar: Seminar, roles: dict[str, User]
) -> None:
    response = login(client, roles["moderator"]).post(
        reverse("invite-link-create", args=[seminar.slug]),
        {"role": "member", "days": "7", "max_uses": "3"},
        headers=HTMX,
    )
    assert response.status_code == 201
    link = InviteLink.objects.get(seminar=seminar)
    assert f"/join/{link.token}/" in response.text
    assert link.max_uses == 3


def test_bad_link_options_answer_422_with_the_form(
    client: Client, seminar: Seminar, roles: dict[str, User]
) -> None:
    response = login(client, roles["owner"]).post(
        reverse("invite-link-create", args=[seminar.slug]),
        {"role": "owner", "days": "500"},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "Invite as moderator, member or observer" in response.text
    assert not InviteLink.objects.exists()


def test_members_cannot_create_links(
    client: Client, seminar: Seminar, roles: dict[str, User]
) -> None:
    response = login(client, roles["member"]).post(
        reverse("invite-link-create", args=[seminar.slug]), {"role": "member", "days": "7"}
    )
    assert response.status_code == 403


def test_invite_person_twice_answers_409(
    client: Client, seminar: Seminar, roles: dict[str, User]
) -> None:
    make_user(username="gaspar")
    login(client, roles["owner"])
    url = reverse("invitation-create", args=[seminar.slug])
    first = client.post(url, {"username_or_email": "gaspar", "role": "member"}, headers=HTMX)
    second = client.post(url, {"username_or_email": "gaspar", "role": "member"}, headers=HTMX)
    assert (first.status_code, second.status_code) == (201, 409)
    assert "already been invited" in second.text


def test_join_page_and_accept(client: Client, seminar: Seminar, owner: User) -> None:
    link = InviteLink.objects.create(
        seminar=seminar, created_by=owner, expires_at=timezone.now() + timedelta(days=1)
    )
    guest = make_user(username="guest")
    assert client.get(link.get_absolute_url()).status_code == 302  # log in first
    login(client, guest)
    page = client.get(link.get_absolute_url())
    assert page.status_code == 200
    assert "Join Hungary 1956" in page.text
    response = client.post(link.get_absolute_url())
    assert response.status_code == 302
    assert Membership.objects.filter(seminar=seminar, user=guest, role=Role.MEMBER).exists()


@pytest.mark.parametrize("state", ["expired", "revoked", "used up"])
def test_dead_links_answer_410_with_the_reason(
    client: Client, seminar: Seminar, owner: User, state: str
) -> None:
    link = InviteLink.objects.create(
        seminar=seminar,
        created_by=owner,
        expires_at=timezone.now() + (timedelta(days=-1) if state == "expired" else timedelta(1)),
        revoked_at=timezone.now() if state == "revoked" else None,
        max_uses=1,
        use_count=1 if state == "used up" else 0,
    )
    login(client, make_user())
    for response in (client.get(link.get_absolute_url()), client.post(link.get_absolute_url())):
        assert response.status_code == 410
        assert {"expired": "expired", "revoked": "revoked", "used up": "already been used"}[
            state
        ] in response.text
        assert "Hungary 1956" not in response.text  # a dead link names no seminar


def test_malformed_join_token_is_404(client: Client, owner: User) -> None:
    login(client, owner)
    assert client.get("/join/%00%ff/").status_code == 400  # NUL: refused before any view
    assert client.get("/join/%ff%fe/").status_code == 404
    assert client.get("/join/" + "x" * 500 + "/").status_code == 404


def test_invitations_page_accept_and_decline(client: Client, seminar: Seminar, owner: User) -> None:
    guest = make_user(username="guest")
    expires = timezone.now() + timedelta(days=1)
    invitation = Invitation.objects.create(
        seminar=seminar, invited_by=owner, invitee=guest, expires_at=expires
    )
    login(client, guest)
    assert "Hungary 1956" in client.get("/invitations/").text
    assert "Invitations waiting for you" in client.get("/").text
    response = client.post(reverse("invitation-respond", args=[invitation.pk, "accept"]))
    assert response.status_code == 302
    again = client.post(reverse("invitation-respond", args=[invitation.pk, "decline"]))
    assert again.status_code == 410
    assert "already been accepted" in again.text
    assert (
        client.post(reverse("invitation-respond", args=[invitation.pk, "shrug"])).status_code == 404
    )


def test_someone_elses_invitation_is_404(client: Client, seminar: Seminar, owner: User) -> None:
    invitation = Invitation.objects.create(
        seminar=seminar,
        invited_by=owner,
        invitee=make_user(),
        expires_at=timezone.now() + timedelta(days=1),
    )
    login(client, make_user())
    url = reverse("invitation-respond", args=[invitation.pk, "accept"])
    assert client.post(url).status_code == 404


def test_posts_need_a_csrf_token(seminar: Seminar, roles: dict[str, User]) -> None:
    client = Client(enforce_csrf_checks=True)
    login(client, roles["owner"])
    response = client.post(reverse("seminar-leave", args=[seminar.slug]))
    assert response.status_code == 403
    assert "expired" in response.text
