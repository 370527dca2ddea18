"""/api/v1/seminars/ and its members, through DRF's APIClient on real PostgreSQL."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.test import APIClient

from core.models import Membership, Role, Seminar, User
from tests.factories import PASSWORD, make_seminar, member

pytestmark = pytest.mark.django_db

SEMINARS = "/api/v1/seminars/"


def seminar_url(slug: str) -> str:
    return f"{SEMINARS}{slug}/"


def members_url(slug: str) -> str:
    return f"{SEMINARS}{slug}/members/"


def member_url(slug: str, username: str) -> str:
    return f"{SEMINARS}{slug}/members/{username}/"


def as_user(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def assert_error(response: Response, status: int, message: str | None = None) -> dict[str, Any]:
    """An error answer: the status, JSON, and a non-empty `detail` (containing `message`)."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()  # type: ignore[attr-defined]
    assert isinstance(body.get("detail"), str), body
    assert body["detail"].strip(), body
    if message is not None:
        assert message in body["detail"], body
    return body


def assert_anonymous_refused(response: Response) -> None:
    """DRF answers 401 when the first authenticator names a scheme, else 403."""
    assert response.status_code in (401, 403), response.status_code
    if response.status_code == 401:
        assert response.has_header("WWW-Authenticate")
    assert_error(response, response.status_code, "Authentication credentials were not provided")


def role_of(seminar: Seminar, user: User) -> str | None:
    membership = Membership.objects.filter(seminar=seminar, user=user).first()
    return membership.role if membership else None


# --- list and create -----------------------------------------------------------------------


def test_list_shows_only_my_seminars_with_my_role(roles: dict[str, User]) -> None:
    hungary = Seminar.objects.get()
    mine = make_seminar(roles["member"], name="Akhmatova")
    make_seminar(roles["outsider"], name="Not for Mark")

    response = as_user(roles["member"]).get(SEMINARS)

    assert response.status_code == 200
    body = response.json()
    assert sorted((s["slug"], s["role"]) for s in body) == [
        (mine.slug, "owner"),
        (hungary.slug, "member"),
    ]
    by_slug = {s["slug"]: s for s in body}
    assert by_slug[hungary.slug]["name"] == "Hungary 1956"
    assert by_slug[hungary.slug]["url"].endswith(seminar_url(hungary.slug))


def test_list_counts_all_members_not_just_me(roles: dict[str, User]) -> None:
    solo = make_seminar(roles["member"], name="Akhmatova")

    response = as_user(roles["member"]).get(SEMINARS)

    assert response.status_code == 200
    counts = {s["slug"]: s["member_count"] for s in response.json()}
    assert counts == {"hungary-1956": 4, solo.slug: 1}


def test_list_is_ordered_by_name(seminar: Seminar, owner: User) -> None:
    for name in ["Zola", "Akhmatova", "Mandelstam"]:
        make_seminar(owner, name=name)

    response = as_user(owner).get(SEMINARS)

    assert response.status_code == 200
    names = [s["name"] for s in response.json()]
    assert names == ["Akhmatova", "Hungary 1956", "Mandelstam", "Zola"]


@pytest.mark.parametrize("relation", ["owner", "moderator", "member", "observer"])
def test_list_shows_each_member_their_own_role(roles: dict[str, User], relation: str) -> None:
    response = as_user(roles[relation]).get(SEMINARS)
    assert response.status_code == 200
    assert [(s["name"], s["role"]) for s in response.json()] == [("Hungary 1956", relation)]


def test_list_is_empty_for_an_outsider(roles: dict[str, User]) -> None:
    response = as_user(roles["outsider"]).get(SEMINARS)
    assert response.status_code == 200
    assert response.json() == []


def test_list_query_count_does_not_grow_with_seminars(owner: User) -> None:
    make_seminar(owner, name="One")
    client = as_user(owner)
    with CaptureQueriesContext(connection) as few:
        assert client.get(SEMINARS).status_code == 200
    for n in range(5):
        extra = make_seminar(owner, name=f"More {n}")
        member(extra, Role.MEMBER, username=f"extra{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(SEMINARS)
    assert len(response.json()) == 6
    assert len(many.captured_queries) == len(few.captured_queries)


def test_create_makes_the_creator_its_owner(roles: dict[str, User]) -> None:
    creator = roles["outsider"]
    response = as_user(creator).post(
        SEMINARS,
        {"name": "  Mandelstam  ", "slug": "mandelstam", "description": "Voronezh notebooks"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "mandelstam"
    assert body["name"] == "Mandelstam"
    assert body["description"] == "Voronezh notebooks"
    assert body["role"] == "owner"
    assert body["url"].endswith(seminar_url("mandelstam"))
    seminar = Seminar.objects.get(slug="mandelstam")
    assert seminar.created_by == creator
    assert list(seminar.memberships.values_list("user__username", "role")) == [
        (creator.username, "owner")
    ]
    assert as_user(creator).get(seminar_url("mandelstam")).json()["role"] == "owner"


def test_create_without_a_slug_derives_one_from_the_name(owner: User) -> None:
    response = as_user(owner).post(SEMINARS, {"name": "Hungary 1956"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["slug"] == "hungary-1956"
    second = as_user(owner).post(SEMINARS, {"name": "Hungary 1956"}, format="json")
    assert second.status_code == 201, second.content
    assert second.json()["slug"] == "hungary-1956-2"


def test_create_with_a_taken_slug_is_400_on_slug(seminar: Seminar, roles: dict[str, User]) -> None:
    response = as_user(roles["outsider"]).post(
        SEMINARS, {"name": "Another", "slug": seminar.slug}, format="json"
    )

    body = assert_error(response, 400, "already exists")
    assert body["slug"] == ["A seminar with this address already exists; choose another."]
    assert Seminar.objects.filter(slug=seminar.slug).get() == seminar
    assert not Seminar.objects.filter(name="Another").exists()


def test_create_without_a_name_is_400(owner: User) -> None:
    response = as_user(owner).post(SEMINARS, {"slug": "nameless"}, format="json")

    body = assert_error(response, 400)
    assert body["name"] == ["This field is required."]
    assert not Seminar.objects.filter(slug="nameless").exists()


def test_seminar_names_lose_bidi_and_control_characters(owner: User) -> None:
    response = as_user(owner).post(
        SEMINARS, {"name": "\u202eHungary\t\u2067 1956\u2069"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Hungary 1956"

    only_controls = as_user(owner).post(SEMINARS, {"name": "\u202e\u200f"}, format="json")
    body = assert_error(only_controls, 400)
    assert body["name"] == ["This field may not be blank."]


def test_create_with_an_invalid_slug_is_400(owner: User) -> None:
    response = as_user(owner).post(
        SEMINARS, {"name": "Spaces", "slug": "not a slug!"}, format="json"
    )
    body = assert_error(response, 400)
    assert "slug" in body
    assert not Seminar.objects.filter(name="Spaces").exists()


def test_anonymous_cannot_list_or_create(seminar: Seminar) -> None:
    client = APIClient()
    assert_anonymous_refused(client.get(SEMINARS))
    assert_anonymous_refused(client.post(SEMINARS, {"name": "Sneaky"}, format="json"))
    assert not Seminar.objects.filter(name="Sneaky").exists()


# --- one seminar ---------------------------------------------------------------------------


@pytest.mark.parametrize("relation", ["owner", "moderator", "member", "observer"])
def test_every_member_can_read_the_seminar(
    seminar: Seminar, roles: dict[str, User], relation: str
) -> None:
    response = as_user(roles[relation]).get(seminar_url(seminar.slug))

    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == seminar.slug
    assert body["name"] == "Hungary 1956"
    assert body["role"] == relation


def test_an_outsider_is_told_the_seminar_does_not_exist(
    seminar: Seminar, roles: dict[str, User]
) -> None:
    hidden = as_user(roles["outsider"]).get(seminar_url(seminar.slug))
    missing = as_user(roles["outsider"]).get(seminar_url("no-such-seminar"))

    assert_error(hidden, 404)
    assert_error(missing, 404)
    assert hidden.json() == missing.json()  # nothing tells the two apart
    assert "Hungary" not in hidden.content.decode()


def test_anonymous_cannot_read_a_seminar(seminar: Seminar) -> None:
    assert_anonymous_refused(APIClient().get(seminar_url(seminar.slug)))


def test_unknown_slug_is_404_for_a_member_elsewhere(roles: dict[str, User]) -> None:
    assert_error(as_user(roles["owner"]).get(seminar_url("no-such-seminar")), 404)


def test_owner_can_rename_and_describe(seminar: Seminar, roles: dict[str, User]) -> None:
    response = as_user(roles["owner"]).patch(
        seminar_url(seminar.slug),
        {"name": "Budapest 1956", "description": "The revolution, day by day"},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Budapest 1956"
    assert body["description"] == "The revolution, day by day"
    assert body["role"] == "owner"
    seminar.refresh_from_db()
    assert (seminar.name, seminar.description) == ("Budapest 1956", "The revolution, day by day")
    assert seminar.slug == "hungary-1956"


def test_patch_is_partial(seminar: Seminar, roles: dict[str, User]) -> None:
    Seminar.objects.filter(pk=seminar.pk).update(description="Kept")
    response = as_user(roles["owner"]).patch(
        seminar_url(seminar.slug), {"name": "Renamed"}, format="json"
    )
    assert response.status_code == 200, response.content
    seminar.refresh_from_db()
    assert (seminar.name, seminar.description) == ("Renamed", "Kept")


def test_patch_with_an_empty_name_is_400(seminar: Seminar, roles: dict[str, User]) -> None:
    response = as_user(roles["owner"]).patch(seminar_url(seminar.slug), {"name": ""}, format="json")
    body = assert_error(response, 400)
    assert "name" in body
    seminar.refresh_from_db()
    assert seminar.name == "Hungary 1956"


@pytest.mark.parametrize("relation", ["moderator", "member", "observer"])
def test_only_owners_can_edit_the_seminar(
    seminar: Seminar, roles: dict[str, User], relation: str
) -> None:
    response = as_user(roles[relation]).patch(
        seminar_url(seminar.slug), {"name": "Hijacked"}, format="json"
    )

    assert_error(response, 403, "Only the seminar's owners can manage members.")
    seminar.refresh_from_db()
    assert seminar.name == "Hungary 1956"


def test_an_outsider_cannot_edit_the_seminar(seminar: Seminar, roles: dict[str, User]) -> None:
    response = as_user(roles["outsider"]).patch(
        seminar_url(seminar.slug), {"name": "Hijacked"}, format="json"
    )
    assert_error(response, 404)
    seminar.refresh_from_db()
    assert seminar.name == "Hungary 1956"


# --- members -------------------------------------------------------------------------------


@pytest.mark.parametrize("relation", ["owner", "moderator", "member", "observer"])
def test_every_member_can_list_the_members(
    seminar: Seminar, roles: dict[str, User], relation: str
) -> None:
    response = as_user(roles[relation]).get(members_url(seminar.slug))

    assert response.status_code == 200
    assert [(m["user"]["username"], m["role"]) for m in response.json()] == [
        ("mark", "member"),
        ("mona", "moderator"),
        ("olivia", "owner"),
        ("oscar", "observer"),
    ]
    olivia = response.json()[2]
    assert olivia["user"]["name"] == "Olivia Owner"
    assert "joined_at" in olivia
    assert "email" not in olivia["user"]
    assert "password" not in olivia["user"]


def test_an_outsider_cannot_list_the_members(seminar: Seminar, roles: dict[str, User]) -> None:
    assert_error(as_user(roles["outsider"]).get(members_url(seminar.slug)), 404)


def test_anonymous_cannot_list_the_members(seminar: Seminar) -> None:
    assert_anonymous_refused(APIClient().get(members_url(seminar.slug)))


def test_owner_adds_a_user_with_a_role(seminar: Seminar, roles: dict[str, User]) -> None:
    response = as_user(roles["owner"]).post(
        members_url(seminar.slug), {"username": "nadia", "role": "moderator"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["username"] == "nadia"
    assert body["role"] == "moderator"
    assert role_of(seminar, roles["outsider"]) == Role.MODERATOR
    assert as_user(roles["outsider"]).get(seminar_url(seminar.slug)).status_code == 200


def test_adding_without_a_role_makes_a_member(seminar: Seminar, roles: dict[str, User]) -> None:
    response = as_user(roles["owner"]).post(
        members_url(seminar.slug), {"username": "nadia"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["role"] == "member"
    assert role_of(seminar, roles["outsider"]) == Role.MEMBER


def test_adding_an_unknown_username_is_400(seminar: Seminar, roles: dict[str, User]) -> None:
    response = as_user(roles["owner"]).post(
        members_url(seminar.slug), {"username": "nobody", "role": "member"}, format="json"
    )
    body = assert_error(response, 400, "no user")
    assert body["username"]
    assert seminar.memberships.count() == 4


def test_adding_an_inactive_user_is_400(seminar: Seminar, roles: dict[str, User]) -> None:
    User.objects.filter(pk=roles["outsider"].pk).update(is_active=False)
    response = as_user(roles["owner"]).post(
        members_url(seminar.slug), {"username": "nadia"}, format="json"
    )
    assert_error(response, 400)
    assert role_of(seminar, roles["outsider"]) is None


def test_adding_with_an_invalid_role_is_400(seminar: Seminar, roles: dict[str, User]) -> None:
    response = as_user(roles["owner"]).post(
        members_url(seminar.slug), {"username": "nadia", "role": "emperor"}, format="json"
    )
    body = assert_error(response, 400)
    assert "role" in body
    assert role_of(seminar, roles["outsider"]) is None


def test_adding_without_a_username_is_400(seminar: Seminar, roles: dict[str, User]) -> None:
    response = as_user(roles["owner"]).post(
        members_url(seminar.slug), {"role": "member"}, format="json"
    )
    body = assert_error(response, 400)
    assert "username" in body


def test_adding_someone_already_in_is_409(seminar: Seminar, roles: dict[str, User]) -> None:
    response = as_user(roles["owner"]).post(
        members_url(seminar.slug), {"username": "mark", "role": "moderator"}, format="json"
    )
    assert_error(response, 409, "already a member")
    assert role_of(seminar, roles["member"]) == Role.MEMBER


@pytest.mark.parametrize("relation", ["moderator", "member", "observer"])
def test_only_owners_can_add_members(
    seminar: Seminar, roles: dict[str, User], relation: str
) -> None:
    response = as_user(roles[relation]).post(
        members_url(seminar.slug), {"username": "nadia", "role": "member"}, format="json"
    )
    assert_error(response, 403, "Only the seminar's owners can manage members.")
    assert role_of(seminar, roles["outsider"]) is None


def test_an_outsider_cannot_add_members(seminar: Seminar, roles: dict[str, User]) -> None:
    response = as_user(roles["outsider"]).post(
        members_url(seminar.slug), {"username": "nadia", "role": "owner"}, format="json"
    )
    assert_error(response, 404)
    assert role_of(seminar, roles["outsider"]) is None


@pytest.mark.parametrize("relation", ["owner", "observer"])
def test_members_can_read_one_member(
    seminar: Seminar, roles: dict[str, User], relation: str
) -> None:
    response = as_user(roles[relation]).get(member_url(seminar.slug, "mona"))
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "mona"
    assert response.json()["role"] == "moderator"


def test_reading_a_non_member_is_404(seminar: Seminar, roles: dict[str, User]) -> None:
    assert_error(as_user(roles["owner"]).get(member_url(seminar.slug, "nadia")), 404)
    assert_error(as_user(roles["owner"]).get(member_url(seminar.slug, "nobody")), 404)
    assert_error(as_user(roles["outsider"]).get(member_url(seminar.slug, "olivia")), 404)


# --- changing roles ------------------------------------------------------------------------


def test_owner_changes_a_role(seminar: Seminar, roles: dict[str, User]) -> None:
    response = as_user(roles["owner"]).patch(
        member_url(seminar.slug, "mark"), {"role": "moderator"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["user"]["username"] == "mark"
    assert response.json()["role"] == "moderator"
    assert role_of(seminar, roles["member"]) == Role.MODERATOR


def test_owner_can_make_another_owner_then_step_down(
    seminar: Seminar, roles: dict[str, User]
) -> None:
    client = as_user(roles["owner"])
    promoted = client.patch(member_url(seminar.slug, "mona"), {"role": "owner"}, format="json")
    assert promoted.status_code == 200, promoted.content

    stepped_down = client.patch(
        member_url(seminar.slug, "olivia"), {"role": "member"}, format="json"
    )

    assert stepped_down.status_code == 200, stepped_down.content
    assert role_of(seminar, roles["owner"]) == Role.MEMBER
    assert role_of(seminar, roles["moderator"]) == Role.OWNER


def test_demoting_the_last_owner_is_409(seminar: Seminar, roles: dict[str, User]) -> None:
    response = as_user(roles["owner"]).patch(
        member_url(seminar.slug, "olivia"), {"role": "moderator"}, format="json"
    )
    assert_error(response, 409, "at least one owner")
    assert role_of(seminar, roles["owner"]) == Role.OWNER


def test_setting_the_role_someone_already_has_is_200(
    seminar: Seminar, roles: dict[str, User]
) -> None:
    response = as_user(roles["owner"]).patch(
        member_url(seminar.slug, "olivia"), {"role": "owner"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["role"] == "owner"


@pytest.mark.parametrize("payload", [{"role": "emperor"}, {"role": ""}, {}])
def test_an_invalid_role_is_400(
    seminar: Seminar, roles: dict[str, User], payload: dict[str, str]
) -> None:
    response = as_user(roles["owner"]).patch(
        member_url(seminar.slug, "mark"), payload, format="json"
    )
    body = assert_error(response, 400)
    assert "role" in body
    assert role_of(seminar, roles["member"]) == Role.MEMBER


@pytest.mark.parametrize("relation", ["moderator", "member", "observer"])
def test_only_owners_change_roles(seminar: Seminar, roles: dict[str, User], relation: str) -> None:
    response = as_user(roles[relation]).patch(
        member_url(seminar.slug, roles[relation].username),
        {"role": "owner"},
        format="json",
    )
    assert_error(response, 403, "Only the seminar's owners can manage members.")
    assert role_of(seminar, roles[relation]) == relation


def test_changing_the_role_of_a_non_member_is_404(seminar: Seminar, roles: dict[str, User]) -> None:
    response = as_user(roles["owner"]).patch(
        member_url(seminar.slug, "nadia"), {"role": "member"}, format="json"
    )
    assert_error(response, 404)
    assert role_of(seminar, roles["outsider"]) is None


def test_an_outsider_cannot_change_roles(seminar: Seminar, roles: dict[str, User]) -> None:
    response = as_user(roles["outsider"]).patch(
        member_url(seminar.slug, "olivia"), {"role": "observer"}, format="json"
    )
    assert_error(response, 404)
    assert role_of(seminar, roles["owner"]) == Role.OWNER


# --- removing and leaving ------------------------------------------------------------------


@pytest.mark.parametrize("target", ["moderator", "member", "observer"])
def test_owner_removes_a_member(seminar: Seminar, roles: dict[str, User], target: str) -> None:
    response = as_user(roles["owner"]).delete(member_url(seminar.slug, roles[target].username))

    assert response.status_code == 204, response.content
    assert not response.content
    assert role_of(seminar, roles[target]) is None
    assert_error(as_user(roles[target]).get(seminar_url(seminar.slug)), 404)


def test_removing_the_last_owner_is_409(seminar: Seminar, roles: dict[str, User]) -> None:
    response = as_user(roles["owner"]).delete(member_url(seminar.slug, "olivia"))
    assert_error(response, 409, "at least one owner")
    assert role_of(seminar, roles["owner"]) == Role.OWNER


def test_an_owner_can_remove_another_owner(seminar: Seminar, roles: dict[str, User]) -> None:
    Membership.objects.filter(user=roles["moderator"]).update(role=Role.OWNER)
    response = as_user(roles["moderator"]).delete(member_url(seminar.slug, "olivia"))
    assert response.status_code == 204, response.content
    assert role_of(seminar, roles["owner"]) is None


def test_one_of_two_owners_can_leave(seminar: Seminar, roles: dict[str, User]) -> None:
    Membership.objects.filter(user=roles["moderator"]).update(role=Role.OWNER)
    response = as_user(roles["owner"]).delete(member_url(seminar.slug, "olivia"))
    assert response.status_code == 204, response.content
    assert role_of(seminar, roles["owner"]) is None
    assert role_of(seminar, roles["moderator"]) == Role.OWNER


@pytest.mark.parametrize("relation", ["moderator", "member", "observer"])
def test_a_member_leaves_by_deleting_their_own_username(
    seminar: Seminar, roles: dict[str, User], relation: str
) -> None:
    user = roles[relation]
    response = as_user(user).delete(member_url(seminar.slug, user.username))

    assert response.status_code == 204, response.content
    assert role_of(seminar, user) is None
    assert as_user(user).get(SEMINARS).json() == []


@pytest.mark.parametrize(
    ("relation", "target"),
    [("member", "oscar"), ("observer", "mark"), ("moderator", "mark"), ("member", "olivia")],
)
def test_a_member_cannot_remove_someone_else(
    seminar: Seminar, roles: dict[str, User], relation: str, target: str
) -> None:
    response = as_user(roles[relation]).delete(member_url(seminar.slug, target))
    assert_error(response, 403, "Only the seminar's owners can manage members.")
    assert seminar.memberships.filter(user__username=target).exists()


def test_an_outsider_cannot_remove_or_leave(seminar: Seminar, roles: dict[str, User]) -> None:
    client = as_user(roles["outsider"])
    assert_error(client.delete(member_url(seminar.slug, "mark")), 404)
    assert_error(client.delete(member_url(seminar.slug, "nadia")), 404)
    assert seminar.memberships.count() == 4


def test_removing_a_non_member_is_404(seminar: Seminar, roles: dict[str, User]) -> None:
    assert_error(as_user(roles["owner"]).delete(member_url(seminar.slug, "nadia")), 404)


def test_anonymous_cannot_remove(seminar: Seminar) -> None:
    assert_anonymous_refused(APIClient().delete(member_url(seminar.slug, "olivia")))
    assert seminar.memberships.count() == 1


# --- authentication ------------------------------------------------------------------------


def test_token_authentication(seminar: Seminar, owner: User) -> None:
    token = Token.objects.create(user=owner)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    listed = client.get(SEMINARS)
    created = client.post(SEMINARS, {"name": "By token"}, format="json")

    assert listed.status_code == 200
    assert [s["slug"] for s in listed.json()] == [seminar.slug]
    assert created.status_code == 201, created.content
    assert Seminar.objects.get(name="By token").created_by == owner


@pytest.mark.parametrize(
    "header",
    [
        "Token",
        "Token ",
        "Token two parts",
        "Token not-a-real-token-0000000000000000",
        "Token caf\xe9",
        "token 0123456789abcdef0123456789abcdef01234567",
    ],
    ids=["no-key", "empty-key", "spaces", "unknown", "non-ascii", "unknown-lowercase-keyword"],
)
def test_a_bad_token_is_401_with_a_detail(seminar: Seminar, header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(SEMINARS)

    body = assert_error(response, 401)
    assert "token" in body["detail"].lower()
    assert response["WWW-Authenticate"] == "Token"


def test_the_token_of_an_inactive_user_is_401(seminar: Seminar, owner: User) -> None:
    token = Token.objects.create(user=owner)
    User.objects.filter(pk=owner.pk).update(is_active=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert_error(client.get(SEMINARS), 401, "inactive")


def test_session_authentication(seminar: Seminar, owner: User) -> None:
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username=owner.username, password=PASSWORD)

    listed = client.get(SEMINARS)
    assert listed.status_code == 200
    assert [s["slug"] for s in listed.json()] == [seminar.slug]

    # A session is a cookie, so unsafe requests need the CSRF token as well.
    refused = client.post(SEMINARS, {"name": "No CSRF"}, format="json")
    assert_error(refused, 403, "CSRF")
    assert not Seminar.objects.filter(name="No CSRF").exists()

    client.get("/accounts/login/")  # any page with a form sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    created = client.post(SEMINARS, {"name": "With CSRF"}, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert created.status_code == 201, created.content
    assert Seminar.objects.get(name="With CSRF").created_by == owner


def test_a_logged_out_session_is_anonymous(seminar: Seminar, owner: User) -> None:
    client = APIClient()
    assert client.login(username=owner.username, password=PASSWORD)
    client.logout()
    assert_anonymous_refused(client.get(SEMINARS))


# --- schema and docs -----------------------------------------------------------------------


def test_openapi_schema_lists_the_seminar_paths(db: None) -> None:
    response = APIClient().get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Glossa API"
    paths = schema["paths"]
    assert set(paths["/api/v1/seminars/"]) >= {"get", "post"}
    assert set(paths["/api/v1/seminars/{slug}/"]) >= {"get", "patch"}
    assert set(paths["/api/v1/seminars/{slug}/members/"]) >= {"get", "post"}
    assert set(paths["/api/v1/seminars/{slug}/members/{username}/"]) >= {
        "get",
        "patch",
        "delete",
    }
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_openapi_schema_default_format(db: None) -> None:
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    assert "/api/v1/seminars/{slug}/members/{username}/" in response.content.decode()


URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")


def external_urls(text: str) -> list[str]:
    """Absolute (or protocol-relative) URLs in `text` whose host is not the test server."""
    return [url for url in URL.findall(text) if urlsplit(url).hostname != "testserver"]


def test_api_docs_page_uses_no_external_host(db: None) -> None:
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "swagger-ui" in html
    assert external_urls(html) == []
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", html)
    assert assets, html
    for asset in assets:
        parts = urlsplit(asset)
        assert parts.hostname in (None, "testserver"), asset
        if parts.path.startswith(settings.STATIC_URL):
            # Served locally, so the files must ship with the project (sidecar, static/).
            assert finders.find(parts.path.removeprefix(settings.STATIC_URL)), asset


def test_api_docs_script_uses_no_external_host(db: None) -> None:
    page = APIClient().get("/api/docs/").content.decode()
    script_src = [s for s in re.findall(r'<script src="([^"]+)"', page) if "script" in s]
    assert len(script_src) == 1, page
    response = APIClient().get(script_src[0].replace("&amp;", "&"))

    assert response.status_code == 200
    script = response.content.decode()
    assert "/api/schema/" in script
    assert external_urls(script) == []
