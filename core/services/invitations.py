"""Bringing people into a seminar: shareable links, and invitations to a named person."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core import policy
from core.errors import Conflict, Gone
from core.models import Invitation, InviteLink, Membership, Role, Seminar, User
from core.policy import Action

INVITABLE_ROLES = [Role.MODERATOR, Role.MEMBER, Role.OBSERVER]


def _check_role(role: str) -> None:
    if role not in INVITABLE_ROLES:
        raise ValidationError(
            {
                "role": "Invite as moderator, member or observer; "
                "an owner can promote members afterwards."
            }
        )


@transaction.atomic
def invite_link_create(
    *,
    seminar: Seminar,
    actor: User,
    role: str = Role.MEMBER,
    days: int = 7,
    max_uses: int | None = None,
) -> InviteLink:
    policy.require(policy.membership_of(actor, seminar), Action.INVITE)
    _check_role(role)
    if not 1 <= days <= 90:
        raise ValidationError({"days": "A link can stay valid for 1 to 90 days."})
    if max_uses is not None and not 1 <= max_uses <= 1000:
        raise ValidationError({"max_uses": "The use limit must be between 1 and 1000."})
    link = InviteLink(
        seminar=seminar,
        created_by=actor,
        role=role,
        max_uses=max_uses,
        expires_at=timezone.now() + timedelta(days=days),
    )
    link.full_clean()
    link.save()
    return link


@transaction.atomic
def invite_link_revoke(*, link: InviteLink, actor: User) -> InviteLink:
    policy.require(policy.membership_of(actor, link.seminar), Action.INVITE)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link


def invite_link_check(link: InviteLink) -> None:
    """Raise Gone with a reason if the link can no longer be used."""
    state = link.state
    if state == "revoked":
        raise Gone("This invitation link has been revoked. Ask the seminar for a new one.")
    if state == "expired":
        raise Gone("This invitation link has expired. Ask the seminar for a new one.")
    if state == "used up":
        raise Gone("This invitation link has already been used as many times as it allows.")


@transaction.atomic
def invite_link_accept(*, token: str, user: User) -> Membership:
    """Join through a link; joining a seminar you are already in changes nothing."""
    link = (
        InviteLink.objects.select_for_update().select_related("seminar").filter(token=token).first()
    )
    if link is None:
        raise Gone("This invitation link is not valid. Check that you copied all of it.")
    existing = Membership.objects.filter(seminar=link.seminar, user=user).first()
    if existing:
        return existing
    invite_link_check(link)
    link.use_count += 1
    link.save(update_fields=["use_count"])
    return Membership.objects.create(seminar=link.seminar, user=user, role=link.role)


def _find_user(username_or_email: str) -> User | None:
    """A user by username. Addresses are not matched to accounts: nobody has proved they own
    the address their account names, so an address is always invited through its mailbox."""
    value = username_or_email.strip()
    if "@" in value:
        return None
    return User.objects.filter(Q(username__iexact=value), is_active=True).first()


@transaction.atomic
def invitation_create(
    *, seminar: Seminar, actor: User, username_or_email: str, role: str = Role.MEMBER
) -> Invitation:
    """Invite a person by username or email; an address without an account is invited by email."""
    policy.require(policy.membership_of(actor, seminar), Action.INVITE)
    _check_role(role)
    value = username_or_email.strip()
    if not value:
        raise ValidationError({"username_or_email": "Enter a username or an email address."})
    invitee = _find_user(value)
    email = ""
    if invitee is None:
        if "@" not in value:
            raise ValidationError({"username_or_email": f"There is no user called {value!r}."})
        email = value
    elif Membership.objects.filter(seminar=seminar, user=invitee).exists():
        raise Conflict(f"{invitee.name} is already a member of {seminar.name}.")
    pending = Invitation.objects.filter(seminar=seminar, status=Invitation.Status.PENDING)
    if pending.filter(Q(invitee=invitee) if invitee else Q(email__iexact=email)).exists():
        raise Conflict(f"{invitee.name if invitee else email} has already been invited.")
    invitation = Invitation(
        seminar=seminar,
        invited_by=actor,
        invitee=invitee,
        email=email,
        role=role,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    from core.tasks import send_invitation_email  # tasks import this module

    # robust: with Redis away the invitation still stands (listed, revocable); the failure
    # to send is logged rather than turning a saved invitation into an error page.
    transaction.on_commit(lambda: send_invitation_email.delay(invitation.pk), robust=True)
    return invitation


def invitation_email_send(*, invitation_id: int) -> bool:
    """Email the invitee; False if the invitation is no longer pending or has no address."""
    invitation = (
        Invitation.objects.select_related("seminar", "invitee", "invited_by")
        .filter(pk=invitation_id, status=Invitation.Status.PENDING)
        .first()
    )
    address = invitation and (invitation.invitee.email if invitation.invitee else invitation.email)
    if not invitation or not address:
        return False
    path = (
        reverse("invitations")
        if invitation.invitee
        else reverse("invitation-claim", args=[claim_token(invitation)])
    )
    inviter = invitation.invited_by.name if invitation.invited_by else "Someone"
    send_mail(
        subject=f"You are invited to the seminar {invitation.seminar.name} on Glossa",
        message=(
            f"{inviter} invited you to read with the seminar "
            f"{invitation.seminar.name} as a {invitation.role}.\n\n"
            f"Sign in (or sign up) and answer here: {settings.SITE_URL}{path}\n"
        ),
        from_email=None,
        recipient_list=[address],
    )
    return True


CLAIM_SALT = "glossa.invitation.claim"


def claim_token(invitation: Invitation) -> str:
    """The signed token in an emailed invitation's link: holding it proves the mailbox."""
    return signing.dumps(invitation.pk, salt=CLAIM_SALT, compress=True)


@transaction.atomic
def invitation_claim(*, token: str, user: User) -> Invitation:
    """Whoever follows the emailed link (signed in) takes the invitation as their own."""
    try:
        pk = signing.loads(token, salt=CLAIM_SALT, max_age=settings.INVITATION_DAYS * 86400)
    except signing.SignatureExpired:
        raise Gone(
            "This invitation link has expired. Ask the seminar to invite you again."
        ) from None
    except signing.BadSignature:
        raise Gone("This invitation link is not valid. Check that you copied all of it.") from None
    invitation = Invitation.objects.select_for_update().filter(pk=pk).first()
    if invitation is None or invitation.status != Invitation.Status.PENDING:
        raise Gone("This invitation is no longer open.")
    if invitation.invitee_id not in (None, user.pk):
        raise Gone("This invitation has already been taken by someone else.")
    if invitation.invitee_id is None:
        pending = Invitation.objects.filter(
            seminar_id=invitation.seminar_id, invitee=user, status=Invitation.Status.PENDING
        )
        if pending.exists():  # one pending invitation per person and seminar (a constraint)
            raise Conflict("You are invited to this seminar already: answer that invitation.")
        invitation.invitee = user
        invitation.save(update_fields=["invitee"])
    return invitation


def _respond(invitation: Invitation, user: User, status: Invitation.Status) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.invitee_id != user.pk:
        raise Conflict("This invitation is addressed to someone else.")
    if invitation.status != Invitation.Status.PENDING:
        raise Gone(f"This invitation has already been {invitation.status}.")
    if invitation.is_expired:
        raise Gone("This invitation has expired. Ask the seminar to invite you again.")
    invitation.status = status
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    invitation = _respond(invitation, user, Invitation.Status.ACCEPTED)
    membership, _ = Membership.objects.get_or_create(
        seminar=invitation.seminar, user=user, defaults={"role": invitation.role}
    )
    return membership


@transaction.atomic
def invitation_decline(*, invitation: Invitation, user: User) -> Invitation:
    return _respond(invitation, user, Invitation.Status.DECLINED)


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    policy.require(policy.membership_of(actor, invitation.seminar), Action.INVITE)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status == Invitation.Status.PENDING:
        invitation.status = Invitation.Status.REVOKED
        invitation.responded_at = timezone.now()
        invitation.save(update_fields=["status", "responded_at"])
    return invitation
