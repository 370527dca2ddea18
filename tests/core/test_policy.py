"""core/policy.py: the permission table, access_seminar and seminars_visible_to."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404

from core.models import Membership, Role, Seminar, User
from core.policy import (
    DENIED_MESSAGES,
    Action,
    access_seminar,
    role_allows,
    seminars_visible_to,
)
from tests.factories import make_seminar, make_user

OWN, MOD, MEM, OBS = Role.OWNER, Role.MODERATOR, Role.MEMBER, Role.OBSERVER

# The whole table, written out: (role, action, allowed). Deliberately not derived from
# MINIMUM_ROLE, so a change to the table in policy.py has to be made here too.
PERMISSIONS = [
    (OWN, Action.VIEW, True),
    (OWN, Action.PARTICIPATE, True),
    (OWN, Action.INVITE, True),
    (OWN, Action.EDIT_TEXTS, True),
    (OWN, Action.MODERATE, True),
    (OWN, Action.MANAGE_MEMBERS, True),
    (MOD, Action.VIEW, True),
    (MOD, Action.PARTICIPATE, True),
    (MOD, Action.INVITE, True),
    (MOD, Action.EDIT_TEXTS, True),
    (MOD, Action.MODERATE, True),
    (MOD, Action.MANAGE_MEMBERS, False),
    (MEM, Action.VIEW, True),
    (MEM, Action.PARTICIPATE, True),
    (MEM, Action.INVITE, False),
    (MEM, Action.EDIT_TEXTS, False),
    (MEM, Action.MODERATE, False),
    (MEM, Action.MANAGE_MEMBERS, False),
    (OBS, Action.VIEW, True),
    (OBS, Action.PARTICIPATE, False),
    (OBS, Action.INVITE, False),
    (OBS, Action.EDIT_TEXTS, False),
    (OBS, Action.MODERATE, False),
    (OBS, Action.MANAGE_MEMBERS, False),
    (None, Action.VIEW, False),
    (None, Action.PARTICIPATE, False),
    (None, Action.INVITE, False),
    (None, Action.EDIT_TEXTS, False),
    (None, Action.MODERATE, False),
    (None, Action.MANAGE_MEMBERS, False),
]


def test_permission_table_covers_every_role_and_action() -> None:
    covered = {(role, action) for role, action, _ in PERMISSIONS}
    expected = {(role, action) for role in [*Role, None] for action in Action}
    assert covered == expected
    assert len(PERMISSIONS) == len(expected)


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    PERMISSIONS,
    ids=[f"{role or 'non-member'}-{action.name.lower()}" for role, action, _ in PERMISSIONS],
)
def test_role_allows(role: Role | None, action: Action, allowed: bool) -> None:
    assert role_allows(role, action) is allowed


@pytest.mark.parametrize("role", list(Role))
def test_role_allows_accepts_the_stored_string(role: Role) -> None:
    """Membership.role comes back from the database as a plain str."""
    assert role_allows(str(role.value), Action.VIEW) is True
    assert role_allows(str(role.value), Action.MANAGE_MEMBERS) is (role == Role.OWNER)


# --- access_seminar ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "action", "allowed"), [p for p in PERMISSIONS if p[0]])
def test_access_seminar_follows_the_table(
    seminar: Seminar, roles: dict[str, User], role: Role, action: Action, allowed: bool
) -> None:
    user = roles[role.value]
    if allowed:
        found, membership = access_seminar(user, seminar.slug, action)
        assert found == seminar
        assert membership == Membership.objects.get(seminar=seminar, user=user)
        assert membership.role == role
    else:
        with pytest.raises(PermissionDenied) as excinfo:
            access_seminar(user, seminar.slug, action)
        assert str(excinfo.value) == DENIED_MESSAGES[action]


@pytest.mark.django_db
def test_access_seminar_defaults_to_view(seminar: Seminar, roles: dict[str, User]) -> None:
    found, membership = access_seminar(roles["observer"], seminar.slug)
    assert found == seminar
    assert membership.user == roles["observer"]
    assert membership.role == Role.OBSERVER


@pytest.mark.django_db
def test_access_seminar_returns_a_loaded_seminar_and_user(
    seminar: Seminar, roles: dict[str, User], django_assert_num_queries
) -> None:
    with django_assert_num_queries(1):
        found, membership = access_seminar(roles["member"], seminar.slug)
        assert found.name == "Hungary 1956"
        assert membership.user.username == "mark"
        assert membership.seminar is found


@pytest.mark.django_db
@pytest.mark.parametrize("action", list(Action))
def test_access_seminar_hides_the_seminar_from_outsiders(
    seminar: Seminar, roles: dict[str, User], action: Action
) -> None:
    """A non-member learns nothing, whatever the action: 404, never 403."""
    with pytest.raises(Http404):
        access_seminar(roles["outsider"], seminar.slug, action)


@pytest.mark.django_db
@pytest.mark.parametrize("action", list(Action))
def test_access_seminar_hides_the_seminar_from_anonymous_users(
    seminar: Seminar, action: Action
) -> None:
    with pytest.raises(Http404):
        access_seminar(AnonymousUser(), seminar.slug, action)


@pytest.mark.django_db
def test_access_seminar_unknown_slug_is_404_even_for_a_member_elsewhere(
    seminar: Seminar, owner: User
) -> None:
    with pytest.raises(Http404):
        access_seminar(owner, "no-such-seminar")


@pytest.mark.django_db
def test_membership_in_another_seminar_does_not_open_this_one(
    seminar: Seminar, roles: dict[str, User]
) -> None:
    other = make_seminar(roles["outsider"], name="Elsewhere")
    with pytest.raises(Http404):
        access_seminar(roles["outsider"], seminar.slug)
    with pytest.raises(Http404):
        access_seminar(roles["owner"], other.slug)


@pytest.mark.django_db
def test_access_seminar_reflects_a_role_change(seminar: Seminar, roles: dict[str, User]) -> None:
    Membership.objects.filter(seminar=seminar, user=roles["member"]).update(role=Role.OBSERVER)
    with pytest.raises(PermissionDenied):
        access_seminar(roles["member"], seminar.slug, Action.PARTICIPATE)


@pytest.mark.django_db
def test_access_seminar_after_leaving_is_404(seminar: Seminar, roles: dict[str, User]) -> None:
    Membership.objects.filter(seminar=seminar, user=roles["member"]).delete()
    with pytest.raises(Http404):
        access_seminar(roles["member"], seminar.slug)


@pytest.mark.django_db
def test_access_seminar_for_update_answers_the_same(
    seminar: Seminar, roles: dict[str, User]
) -> None:
    with transaction.atomic():
        found, membership = access_seminar(
            roles["owner"], seminar.slug, Action.MANAGE_MEMBERS, for_update=True
        )
    assert found == seminar
    assert membership.role == Role.OWNER


# --- seminars_visible_to -------------------------------------------------------------------


@pytest.mark.django_db
def test_seminars_visible_to_lists_exactly_my_seminars(roles: dict[str, User]) -> None:
    first = Seminar.objects.get()
    second = make_seminar(roles["member"], name="Akhmatova")
    make_seminar(roles["outsider"], name="Not mine")

    assert set(seminars_visible_to(roles["member"])) == {first, second}
    assert list(seminars_visible_to(roles["owner"])) == [first]
    for role in ("moderator", "observer"):
        assert list(seminars_visible_to(roles[role])) == [first]


@pytest.mark.django_db
def test_seminars_visible_to_has_no_duplicates(roles: dict[str, User]) -> None:
    """One row per seminar however many members it has (the join must not fan out)."""
    visible = seminars_visible_to(roles["owner"])
    assert visible.count() == 1
    assert len(list(visible)) == 1


@pytest.mark.django_db
def test_seminars_visible_to_a_user_with_none_is_empty(db: None) -> None:
    make_seminar(name="Somebody else's")
    assert list(seminars_visible_to(make_user(username="loner"))) == []


@pytest.mark.django_db
def test_seminars_visible_to_anonymous_is_empty(seminar: Seminar) -> None:
    assert list(seminars_visible_to(AnonymousUser())) == []
