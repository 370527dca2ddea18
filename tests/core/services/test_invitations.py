from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.errors import Conflict, Gone
from core.models import Invitation, InviteLink, Membership, Role, Seminar, User
from core.services import accounts, invitations
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_link_lets_people_join_with_its_role(seminar: Seminar, owner: User) -> None:
    link = invitations.invite_link_create(seminar=seminar, actor=owner, role=Role.OBSERVER)
    joiner = make_user()
    membership = invitations.invite_link_accept(token=link.token, user=joiner)
    assert (membership.seminar, membership.role) == (seminar, Role.OBSERVER)
    link.refresh_from_db()
    assert link.use_count == 1


def test_joining_twice_changes_nothing(seminar: Seminar, owner: User) -> None:
    link = invitations.invite_link_create(seminar=seminar, actor=owner, max_uses=1)
    joiner = make_user()
    first = invitations.invite_link_accept(token=link.token, user=joiner)
    again = invitations.invite_link_accept(token=link.token, user=joiner)
    assert first.pk == again.pk
    link.refresh_from_db()
    assert link.use_count == 1


def test_used_up_link_is_gone(seminar: Seminar, owner: User) -> None:
    link = invitations.invite_link_create(seminar=seminar, actor=owner, max_uses=1)
    invitations.invite_link_accept(token=link.token, user=make_user())
    late = make_user()
    with pytest.raises(Gone, match="already been used"):
        invitations.invite_link_accept(token=link.token, user=late)
    assert not Membership.objects.filter(user=late).exists()


def test_expired_link_is_gone(seminar: Seminar, owner: User) -> None:
    link = invitations.invite_link_create(seminar=seminar, actor=owner)
    InviteLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Gone, match="expired"):
        invitations.invite_link_accept(token=link.token, user=make_user())


def test_revoked_link_is_gone(seminar: Seminar, owner: User) -> None:
    link = invitations.invite_link_create(seminar=seminar, actor=owner)
    invitations.invite_link_revoke(link=link, actor=owner)
    with pytest.raises(Gone, match="revoked"):
        invitations.invite_link_accept(token=link.token, user=make_user())


def test_unknown_token_is_gone_with_a_hint() -> None:
    with pytest.raises(Gone, match="not valid"):
        invitations.invite_link_accept(token="nonsense", user=make_user())


@pytest.mark.parametrize("actor", ["member", "observer", "outsider"])
def test_only_owners_and_moderators_create_links(
    seminar: Seminar, roles: dict[str, User], actor: str
) -> None:
    with pytest.raises(PermissionDenied):
        invitations.invite_link_create(seminar=seminar, actor=roles[actor])
    assert invitations.invite_link_create(seminar=seminar, actor=roles["moderator"])


@pytest.mark.parametrize(
    ("options", "field"),
    [({"role": Role.OWNER}, "role"), ({"days": 0}, "days"), ({"max_uses": 0}, "max_uses")],
)
def test_link_options_are_checked(
    seminar: Seminar, owner: User, options: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        invitations.invite_link_create(seminar=seminar, actor=owner, **options)  # type: ignore[arg-type]
    assert field in raised.value.message_dict


def test_invite_by_username_then_accept(seminar: Seminar, owner: User) -> None:
    guest = make_user(username="gaspar")
    invitation = invitations.invitation_create(
        seminar=seminar, actor=owner, username_or_email="Gaspar", role=Role.MEMBER
    )
    assert invitation.invitee == guest
    membership = invitations.invitation_accept(invitation=invitation, user=guest)
    assert membership.role == Role.MEMBER
    with pytest.raises(Gone, match="already been accepted"):
        invitations.invitation_decline(invitation=invitation, user=guest)


def test_invitation_email_is_enqueued_after_commit_and_names_the_seminar(
    seminar: Seminar, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    make_user(username="gaspar", email="gaspar@example.org")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = invitations.invitation_create(
            seminar=seminar, actor=owner, username_or_email="gaspar"
        )
    assert len(callbacks) == 1  # the email job waits for the commit
    assert invitations.invitation_email_send(invitation_id=invitation.pk) is True
    assert [m.to for m in mail.outbox] == [["gaspar@example.org"]]
    assert seminar.name not in mail.outbox[0].subject  # names users chose stay in the body
    assert f'"{seminar.name}"' in mail.outbox[0].body
    invitations.invitation_revoke(invitation=invitation, actor=owner)
    assert invitations.invitation_email_send(invitation_id=invitation.pk) is False


def test_an_emailed_invitation_is_taken_through_its_signed_link(
    seminar: Seminar, owner: User
) -> None:
    invitation = invitations.invitation_create(
        seminar=seminar, actor=owner, username_or_email="new@example.org"
    )
    assert invitation.invitee is None
    invitations.invitation_email_send(invitation_id=invitation.pk)
    assert mail.outbox[0].to == ["new@example.org"]
    token = invitations.claim_token(invitation)
    assert f"/invitations/claim/{token}/" in mail.outbox[0].body
    user = accounts.user_signup(username="newbie", email="new@example.org", password="x-Y-z-12345")
    invitation.refresh_from_db()
    assert invitation.invitee is None  # an address on an account proves nothing
    taken = invitations.invitation_claim(token=token, user=user)
    assert taken.invitee == user
    with pytest.raises(Gone, match="someone else"):
        invitations.invitation_claim(token=token, user=make_user())
    with pytest.raises(Gone, match="not valid"):
        invitations.invitation_claim(token=token + "x", user=user)


def test_an_address_is_never_matched_to_an_account(seminar: Seminar, owner: User) -> None:
    squatter = make_user(username="mallory", email="prof@uni.example")
    invitation = invitations.invitation_create(
        seminar=seminar, actor=owner, username_or_email="prof@uni.example"
    )
    assert invitation.invitee is None and invitation.email == "prof@uni.example"
    accounts.user_update_profile(user=squatter, display_name="M", email="prof@uni.example")
    invitation.refresh_from_db()
    assert invitation.invitee is None


def test_invite_someone_who_is_already_a_member(seminar: Seminar, roles: dict[str, User]) -> None:
    with pytest.raises(Conflict, match="already a member"):
        invitations.invitation_create(
            seminar=seminar, actor=roles["owner"], username_or_email="mark"
        )


def test_invite_twice_is_a_conflict(seminar: Seminar, owner: User) -> None:
    make_user(username="gaspar")
    invitations.invitation_create(seminar=seminar, actor=owner, username_or_email="gaspar")
    with pytest.raises(Conflict, match="already been invited"):
        invitations.invitation_create(seminar=seminar, actor=owner, username_or_email="gaspar")


def test_unknown_username_is_a_field_error(seminar: Seminar, owner: User) -> None:
    with pytest.raises(ValidationError) as raised:
        invitations.invitation_create(seminar=seminar, actor=owner, username_or_email="nobody")
    assert "no user called" in raised.value.message_dict["username_or_email"][0]


def test_decline_expired_and_foreign_invitations(seminar: Seminar, owner: User) -> None:
    guest, other = make_user(), make_user()
    invitation = invitations.invitation_create(
        seminar=seminar, actor=owner, username_or_email=guest.username
    )
    with pytest.raises(Conflict, match="someone else"):
        invitations.invitation_accept(invitation=invitation, user=other)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    with pytest.raises(Gone, match="expired"):
        invitations.invitation_accept(invitation=invitation, user=guest)
    assert not Membership.objects.filter(user=guest).exists()


def test_revoked_invitation_cannot_be_accepted(seminar: Seminar, owner: User) -> None:
    guest = make_user()
    invitation = invitations.invitation_create(
        seminar=seminar, actor=owner, username_or_email=guest.username
    )
    invitations.invitation_revoke(invitation=invitation, actor=owner)
    with pytest.raises(Gone, match="revoked"):
        invitations.invitation_accept(invitation=invitation, user=guest)
