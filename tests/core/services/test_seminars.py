from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.errors import Conflict
from core.models import Membership, Role, Seminar, User
from core.services import seminars
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_creator_becomes_the_only_owner() -> None:
    user = make_user(username="ines")
    seminar = seminars.seminar_create(user=user, name="Reading Békés")
    assert seminar.slug == "reading-bekes"
    assert list(seminar.memberships.values_list("user__username", "role")) == [("ines", "owner")]


def test_slug_made_from_name_is_unique() -> None:
    user = make_user()
    first = seminars.seminar_create(user=user, name="Hungary")
    second = seminars.seminar_create(user=user, name="Hungary")
    assert (first.slug, second.slug) == ("hungary", "hungary-2")


def test_chosen_slug_that_exists_is_refused_and_nothing_is_created() -> None:
    user = make_user()
    seminars.seminar_create(user=user, name="One", slug="taken")
    with pytest.raises(ValidationError) as raised:
        seminars.seminar_create(user=user, name="Two", slug="taken")
    assert "already exists" in raised.value.message_dict["slug"][0]
    assert Seminar.objects.count() == 1


def test_blank_name_is_refused() -> None:
    with pytest.raises(ValidationError) as raised:
        seminars.seminar_create(user=make_user(), name="   ")
    assert "name" in raised.value.message_dict


def test_owner_changes_roles(seminar: Seminar, roles: dict[str, User]) -> None:
    target = Membership.objects.get(seminar=seminar, user=roles["member"])
    seminars.membership_set_role(membership=target, actor=roles["owner"], role=Role.MODERATOR)
    target.refresh_from_db()
    assert target.role == Role.MODERATOR


@pytest.mark.parametrize("actor", ["moderator", "member", "observer"])
def test_only_owners_change_roles(seminar: Seminar, roles: dict[str, User], actor: str) -> None:
    target = Membership.objects.get(seminar=seminar, user=roles["member"])
    with pytest.raises(PermissionDenied):
        seminars.membership_set_role(membership=target, actor=roles[actor], role=Role.OWNER)
    target.refresh_from_db()
    assert target.role == Role.MEMBER


def test_last_owner_cannot_be_demoted_removed_or_leave(
    seminar: Seminar, roles: dict[str, User]
) -> None:
    owner = Membership.objects.get(seminar=seminar, user=roles["owner"])
    with pytest.raises(Conflict, match="at least one owner"):
        seminars.membership_set_role(membership=owner, actor=roles["owner"], role=Role.MEMBER)
    with pytest.raises(Conflict, match="at least one owner"):
        seminars.membership_remove(membership=owner, actor=roles["owner"])
    with pytest.raises(Conflict, match="at least one owner"):
        seminars.seminar_leave(seminar=seminar, user=roles["owner"])
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_an_owner_can_step_down_once_there_is_another(
    seminar: Seminar, roles: dict[str, User]
) -> None:
    moderator = Membership.objects.get(seminar=seminar, user=roles["moderator"])
    seminars.membership_set_role(membership=moderator, actor=roles["owner"], role=Role.OWNER)
    seminars.seminar_leave(seminar=seminar, user=roles["owner"])
    assert list(seminar.memberships.filter(role=Role.OWNER).values_list("user", flat=True)) == [
        roles["moderator"].pk
    ]


def test_member_leaves_and_owner_removes(seminar: Seminar, roles: dict[str, User]) -> None:
    seminars.seminar_leave(seminar=seminar, user=roles["member"])
    observer = Membership.objects.get(seminar=seminar, user=roles["observer"])
    seminars.membership_remove(membership=observer, actor=roles["owner"])
    assert set(seminar.memberships.values_list("user__username", flat=True)) == {"olivia", "mona"}
    from annotate.models import ModerationEvent

    # Leaving is not moderation; removing someone is, and is on the log.
    assert list(ModerationEvent.objects.values_list("action", "old_state")) == [
        ("remove_member", "observer")
    ]


def test_member_cannot_remove_someone_else(seminar: Seminar, roles: dict[str, User]) -> None:
    observer = Membership.objects.get(seminar=seminar, user=roles["observer"])
    with pytest.raises(PermissionDenied):
        seminars.membership_remove(membership=observer, actor=roles["member"])
    assert Membership.objects.filter(pk=observer.pk).exists()


def test_adding_an_existing_member_is_a_conflict(seminar: Seminar, roles: dict[str, User]) -> None:
    with pytest.raises(Conflict, match="already a member"):
        seminars.membership_add(
            seminar=seminar, actor=roles["owner"], user=roles["member"], role=Role.MEMBER
        )
    added = seminars.membership_add(
        seminar=seminar, actor=roles["owner"], user=roles["outsider"], role=Role.OBSERVER
    )
    assert added.role == Role.OBSERVER


def test_unknown_role_is_refused(seminar: Seminar, roles: dict[str, User]) -> None:
    target = Membership.objects.get(seminar=seminar, user=roles["member"])
    with pytest.raises(ValidationError):
        seminars.membership_set_role(membership=target, actor=roles["owner"], role="emperor")


def test_database_refuses_a_second_membership(seminar: Seminar, roles: dict[str, User]) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(seminar=seminar, user=roles["member"], role=Role.MEMBER)
