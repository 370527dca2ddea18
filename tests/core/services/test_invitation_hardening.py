"""core.services.invitations and .seminars, hardened (security probe 2026-12: M1, L5, M4): an
invitation's authority is its inviter's, and ends with their membership or role."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from annotate.models import ModerationEvent
from core import policy
from core.errors import Gone, TooManyRequests
from core.models import Invitation, InviteLink, Membership, Role, Seminar, User
from core.services import invitations, seminars
from tests.factories import make_seminar, make_user, member

pytestmark = pytest.mark.django_db
OWN, MOD, MEM, OBS = Role.OWNER, Role.MODERATOR, Role.MEMBER, Role.OBSERVER


# Written out, not derived: a change to the rule in policy.py has to be made here too.
@pytest.mark.parametrize(
    ("inviter", "roles"),
    [(OWN, (MOD, MEM, OBS)), (MOD, (MEM, OBS)), (MEM, ()), (OBS, ()), (None, ())],
)
def test_who_may_invite_at_which_role(inviter: Role | None, roles: tuple[Role, ...]) -> None:
    assert policy.invitable_roles(inviter) == roles


def test_the_services_refuse_what_the_inviters_role_may_not_grant(
    seminar: Seminar, roles: dict[str, User]
) -> None:
    moderator = roles["moderator"]
    with pytest.raises(ValidationError) as raised:
        invitations.invite_link_create(seminar=seminar, actor=moderator, role=MOD)
    assert raised.value.message_dict == {
        "role": ["Only owners can invite moderators: invite as member or observer."]
    }
    with pytest.raises(ValidationError) as raised:
        invitations.invitation_create(
            seminar=seminar, actor=moderator, username_or_email="x@example.net", role=MOD
        )
    assert "Only owners can invite moderators" in raised.value.message_dict["role"][0]
    with pytest.raises(ValidationError) as raised:
        invitations.invite_link_create(seminar=seminar, actor=roles["owner"], role=OWN)
    assert raised.value.message_dict == {
        "role": [
            "Invite as moderator, member or observer; an owner can promote members afterwards."
        ]
    }
    assert not InviteLink.objects.exists() and not Invitation.objects.exists()


def _made_by(seminar: Seminar, user: User) -> dict[str, Any]:
    """A moderator link, a member link and a moderator invitation by `user`, plus a dead link
    (expired) and a used-up one, which no revocation counts."""

    def link(**fields: Any) -> InviteLink:
        fields.setdefault("expires_at", timezone.now() + timedelta(days=7))
        return InviteLink.objects.create(seminar=seminar, created_by=user, **fields)

    return {
        "moderator_link": link(role=MOD),
        "member_link": link(role=MEM),
        "expired": link(expires_at=timezone.now() - timedelta(seconds=1)),
        "used_up": link(max_uses=1, use_count=1),
        "invitation": invitations.invitation_create(
            seminar=seminar, actor=user, username_or_email="guest@example.net", role=MOD
        ),
    }


def _revocations(seminar: Seminar) -> list[tuple[str, str, int | None]]:
    events = ModerationEvent.objects.filter(seminar=seminar, action="revoke_invites")
    return [(e.reason, e.actor_name, e.target_id) for e in events.order_by("pk")]


def test_removal_revokes_what_the_member_made_in_the_same_transaction(
    seminar: Seminar, owner: User
) -> None:
    carl = member(seminar, OWN, username="carl", display_name="Carl")
    made = _made_by(seminar, carl)
    other = invitations.invite_link_create(seminar=seminar, actor=owner)
    seminars.membership_remove(
        membership=Membership.objects.get(seminar=seminar, user=carl), actor=owner
    )
    for name in ("moderator_link", "member_link"):
        made[name].refresh_from_db()
        assert made[name].revoked_at is not None, name
    for name in ("expired", "used_up"):
        made[name].refresh_from_db()
        assert made[name].revoked_at is None, name
    made["invitation"].refresh_from_db()
    assert made["invitation"].status == Invitation.Status.REVOKED
    other.refresh_from_db()
    assert other.state == "active"  # another member's link stands
    assert _revocations(seminar) == [
        ("2 invitation links and 1 invitation revoked: Carl was removed.", owner.name, carl.pk)
    ]


def test_leaving_revokes_too(seminar: Seminar, owner: User) -> None:
    mona = member(seminar, MOD, username="mona", display_name="Mona")
    link = invitations.invite_link_create(seminar=seminar, actor=mona)
    seminars.seminar_leave(seminar=seminar, user=mona)
    link.refresh_from_db()
    assert link.state == "revoked"
    assert _revocations(seminar) == [("1 invitation link revoked: Mona left.", "Mona", mona.pk)]
    # Rejoining (through another's link) does not bring the old one back.
    again = invitations.invite_link_create(seminar=seminar, actor=owner, role=MOD)
    invitations.invite_link_accept(token=again.token, user=mona)
    with pytest.raises(Gone, match="revoked"):
        invitations.invite_link_accept(token=link.token, user=make_user())


def test_a_demotion_revokes_what_the_new_role_may_not_grant(seminar: Seminar, owner: User) -> None:
    second = member(seminar, OWN, username="second", display_name="Second")
    made = _made_by(seminar, second)
    membership = Membership.objects.get(seminar=seminar, user=second)
    seminars.membership_set_role(membership=membership, actor=owner, role=MOD)
    made["moderator_link"].refresh_from_db()
    made["member_link"].refresh_from_db()
    made["invitation"].refresh_from_db()
    assert made["moderator_link"].state == "revoked"
    assert made["member_link"].state == "active"  # a moderator may still grant that
    assert made["invitation"].status == Invitation.Status.REVOKED
    assert _revocations(seminar) == [
        (
            "1 invitation link and 1 invitation revoked: Second's role is now moderator.",
            owner.name,
            second.pk,
        )
    ]
    # A promotion, or a removal of someone who made nothing, writes no revocation.
    seminars.membership_set_role(membership=membership, actor=owner, role=OWN)
    quiet = member(seminar, MEM)
    seminars.membership_remove(
        membership=Membership.objects.get(seminar=seminar, user=quiet), actor=owner
    )
    assert len(_revocations(seminar)) == 1


def test_accepting_rechecks_the_inviter_even_when_nothing_was_revoked(
    seminar: Seminar, owner: User
) -> None:
    """A moderator link from before the fix, and a link whose maker's account is gone."""
    moderator = member(seminar, MOD)
    old = InviteLink.objects.create(
        seminar=seminar,
        created_by=moderator,
        role=MOD,
        expires_at=timezone.now() + timedelta(days=7),
    )
    orphan = invitations.invite_link_create(seminar=seminar, actor=owner)
    InviteLink.objects.filter(pk=orphan.pk).update(created_by=None)
    for link in (old, orphan):
        joiner = make_user()
        with pytest.raises(Gone, match="This invitation link has been revoked"):
            invitations.invite_link_accept(token=link.token, user=joiner)
        assert not Membership.objects.filter(user=joiner).exists()
        link.refresh_from_db()
        assert link.use_count == 0


def test_the_email_is_not_sent_for_an_invitation_its_inviter_may_no_longer_make(
    seminar: Seminar,
) -> None:
    moderator = member(seminar, MOD)
    invitation = Invitation.objects.create(
        seminar=seminar,
        invited_by=moderator,
        email="x@example.net",
        role=MOD,
        expires_at=timezone.now() + timedelta(days=7),
    )
    assert invitations.invitation_email_send(invitation_id=invitation.pk) is False
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Reading www.evil.example", '"Reading www[.]evil[.]example"'),
        ("see https://evil.example/x", '"see https[:]//evil[.]example/x"'),
        ("mail boss@evil.example", '"mail boss[@]evil[.]example"'),
        ("ideographic evil\u3002example", '"ideographic evil[.]example"'),
        ("Hungary 1956", '"Hungary 1956"'),
    ],
)
def test_names_in_the_email_cannot_become_links(
    owner: User, name: str, shown: str, settings: Any
) -> None:
    seminar = make_seminar(owner, name=name)
    invitation = invitations.invitation_create(
        seminar=seminar, actor=owner, username_or_email="to@example.net", role=OBS
    )
    assert invitations.invitation_email_send(invitation_id=invitation.pk)
    (sent,) = mail.outbox
    assert sent.subject == "You have an invitation on Glossa"
    assert sent.body.startswith(
        f'"Olivia Owner" invited you to read with the seminar {shown} on Glossa, as an observer.'
    )
    assert isinstance(sent, EmailMultiAlternatives)
    assert not sent.alternatives  # plain text only: no HTML part to escape


def test_rate_limits_count_before_anything_is_saved(
    seminar: Seminar, owner: User, settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "invite_recipient": (1, 86400)}
    invitations.invitation_create(seminar=seminar, actor=owner, username_or_email="a@ex.net")
    other = make_user()
    with pytest.raises(TooManyRequests, match="Too many invitations to this address"):
        invitations.invitation_create(
            seminar=make_seminar(other, name="Other"), actor=other, username_or_email="A@ex.net"
        )
    assert Invitation.objects.count() == 1
