"""Bringing people into a seminar: shareable links, and invitations to a named person."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from core import enqueue, policy, ratelimit
from core.errors import Conflict, Gone
from core.models import Invitation, InviteLink, Membership, Role, Seminar, User
from core.policy import Action

LINK_REVOKED = "This invitation link has been revoked. Ask the seminar for a new one."
INVITATION_REVOKED = "This invitation has been revoked. Ask the seminar to invite you again."


def _require_inviter(seminar: Seminar, actor: User, role: str) -> None:
    """403 without INVITE; a field error for a role the actor's own role may not grant."""
    membership = policy.membership_of(actor, seminar)
    policy.require(membership, Action.INVITE)
    assert membership is not None
    if role not in policy.invitable_roles(membership.role):
        raise ValidationError({"role": policy.invite_role_refusal(membership.role, role)})


def _inviter_may_grant(seminar_id: int, inviter_id: int | None, role: str) -> bool:
    """Whether who made a link or invitation could still make it now: a member with INVITE
    whose role may grant `role`. Its authority is theirs, so it ends with their membership
    or their role (also for links made before either changed, or before this check)."""
    if inviter_id is None:  # their account is gone
        return False
    inviter_role = (
        Membership.objects.filter(seminar_id=seminar_id, user_id=inviter_id)
        .values_list("role", flat=True)
        .first()
    )
    return role in policy.invitable_roles(inviter_role)


@transaction.atomic
def invite_link_create(
    *,
    seminar: Seminar,
    actor: User,
    role: str = Role.MEMBER,
    days: int = 7,
    max_uses: int | None = None,
) -> InviteLink:
    _require_inviter(seminar, actor, role)
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


def invites_revoke(
    *, seminar: Seminar, inviter_id: int, keep_roles: Collection[str] = ()
) -> tuple[int, int]:
    """Revoke the usable links and pending invitations a member made in the seminar, but for
    those at `keep_roles`: when their membership ends (keep none) or their role changes (keep
    what the new role may grant). How many links, and invitations, were revoked. Inside the
    caller's transaction, which writes the log."""
    now = timezone.now()
    links = (
        InviteLink.objects.filter(
            seminar=seminar, created_by_id=inviter_id, revoked_at=None, expires_at__gt=now
        )
        .filter(Q(max_uses=None) | Q(use_count__lt=F("max_uses")))
        .exclude(role__in=keep_roles)
        .update(revoked_at=now)
    )
    invites = (
        Invitation.objects.filter(
            seminar=seminar,
            invited_by_id=inviter_id,
            status=Invitation.Status.PENDING,
            expires_at__gt=now,
        )
        .exclude(role__in=keep_roles)
        .update(status=Invitation.Status.REVOKED, responded_at=now)
    )
    return links, invites


def invite_link_check(link: InviteLink) -> None:
    """Raise Gone with a reason if the link can no longer be used."""
    state = link.state
    if state == "revoked" or not _inviter_may_grant(link.seminar_id, link.created_by_id, link.role):
        raise Gone(LINK_REVOKED)
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
    _require_inviter(seminar, actor, role)
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
    # Every invitation is an email to an address the inviter chose: limit them per inviter,
    # and per address whoever invites (many accounts, or seminars, cannot flood one mailbox).
    # Counted only once the invitation would be sent, so typos cost nothing.
    ratelimit.check(actor.pk, "invite_email")
    if recipient := (invitee.email if invitee else email).strip().lower():
        ratelimit.check(recipient, "invite_recipient", penalise=False)
    invitation.save()
    # robust: with Redis away the invitation still stands (listed, revocable); the failure
    # to send is logged rather than turning a saved invitation into an error page.
    enqueue.after_commit("core.tasks.send_invitation_email", invitation.pk, robust=True)
    return invitation


def invitation_email_send(*, invitation_id: int) -> bool:
    """Email the invitee; False if the invitation is no longer pending, has no address, or its
    inviter may no longer make it."""
    invitation = (
        Invitation.objects.select_related("seminar", "invitee", "invited_by")
        .filter(pk=invitation_id, status=Invitation.Status.PENDING)
        .first()
    )
    address = invitation and (invitation.invitee.email if invitation.invitee else invitation.email)
    if not invitation or not address:
        return False
    if not _inviter_may_grant(invitation.seminar_id, invitation.invited_by_id, invitation.role):
        return False
    path = (
        reverse("invitations")
        if invitation.invitee
        else reverse("invitation-claim", args=[claim_token(invitation)])
    )
    inviter = _unlinkable(invitation.invited_by.name) if invitation.invited_by else "Someone"
    article = "an" if invitation.role[0] in "aeiou" else "a"
    # The subject names nothing a user chose: a seminar named "Your account is locked" must
    # not become our headline. The body quotes such names, unlinkable, and says whose they are.
    send_mail(
        subject="You have an invitation on Glossa",
        message=(
            f"{inviter} invited you to read with the seminar "
            f"{_unlinkable(invitation.seminar.name)} on Glossa, as {article} {invitation.role}.\n\n"
            f"Sign in (or sign up) and answer here: {settings.SITE_URL}{path}\n\n"
            "Names in quotes were chosen by Glossa's users, not by Glossa.\n"
        ),
        from_email=None,
        recipient_list=[address],
    )
    return True


# What mail clients turn into links in plain text: host names (dots, also the ideographic
# and full-width ones), addresses (@) and schemes (://).
_LINKABLE = str.maketrans(
    dict.fromkeys(".\u3002\uff0e\uff61", "[.]") | {"@": "[@]", "\uff20": "[@]"}
)


def _unlinkable(name: str) -> str:
    """A name a user chose, quoted, with nothing left in it a mail client would link
    ("evil.example/login" becomes "evil[.]example/login"), so it cannot carry a link in our
    mail."""
    return '"' + name.replace("://", "[:]//").translate(_LINKABLE) + '"'


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
    if not _inviter_may_grant(invitation.seminar_id, invitation.invited_by_id, invitation.role):
        raise Gone(INVITATION_REVOKED)
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
    if status == Invitation.Status.ACCEPTED and not _inviter_may_grant(
        invitation.seminar_id, invitation.invited_by_id, invitation.role
    ):
        raise Gone(INVITATION_REVOKED)
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
