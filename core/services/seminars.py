"""Creating seminars and changing who is in them."""

from __future__ import annotations

from collections.abc import Collection

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from core import policy, ratelimit
from core.errors import Conflict
from core.models import Membership, Role, Seminar, User
from core.policy import Action
from core.services import invitations


def unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "seminar"
    slug, n = base, 2
    while Seminar.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def seminar_create(*, user: User, name: str, slug: str = "", description: str = "") -> Seminar:
    """Create a seminar; its creator becomes its first owner."""
    seminar = Seminar(
        name=name.strip(),
        slug=slug.strip() or unique_slug(name),
        description=description.strip(),
        created_by=user,
    )
    seminar.full_clean()
    # Anyone signed up may create seminars, and a seminar's name reaches the people its owner
    # invites: a cap on new seminars, beside those on invitations (core.services.invitations).
    ratelimit.check(user.pk, "seminar")
    seminar.save()
    Membership.objects.create(seminar=seminar, user=user, role=Role.OWNER)
    return seminar


@transaction.atomic
def seminar_update(*, seminar: Seminar, actor: User, name: str, description: str) -> Seminar:
    policy.require(policy.membership_of(actor, seminar), Action.MANAGE_MEMBERS)
    seminar.name, seminar.description = name.strip(), description.strip()
    seminar.full_clean()
    seminar.save(update_fields=["name", "description"])
    return seminar


def _lock_owners(seminar: Seminar, membership: Membership) -> list[Membership]:
    """Lock the owner rows so two concurrent demotions cannot both pass the last-owner check."""
    owners = list(Membership.objects.select_for_update().filter(seminar=seminar, role=Role.OWNER))
    try:
        membership.refresh_from_db()
    except Membership.DoesNotExist:
        raise Conflict(f"{membership.user.name} is no longer a member.") from None
    return owners


@transaction.atomic
def membership_add(*, seminar: Seminar, actor: User, user: User, role: str) -> Membership:
    """An owner adds an existing user directly, with a role."""
    policy.require(policy.membership_of(actor, seminar), Action.MANAGE_MEMBERS)
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    if Membership.objects.filter(seminar=seminar, user=user).exists():
        raise Conflict(f"{user.name} is already a member of {seminar.name}.")
    return Membership.objects.create(seminar=seminar, user=user, role=role)


@transaction.atomic
def membership_set_role(*, membership: Membership, actor: User, role: str) -> Membership:
    seminar = membership.seminar
    policy.require(policy.membership_of(actor, seminar), Action.MANAGE_MEMBERS)
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    owners = _lock_owners(seminar, membership)
    if membership.role == role:
        return membership
    if membership.role == Role.OWNER and len(owners) == 1:
        raise Conflict("A seminar must keep at least one owner: make someone else an owner first.")
    membership.role = role
    membership.save(update_fields=["role"])
    _revoke_invites(
        membership,
        actor,
        policy.invitable_roles(role),
        f"{membership.user.name}'s role is now {role}",
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User, reason: str = "") -> None:
    """An owner removes a member (on the moderation log), or a member leaves."""
    from annotate.models import ModerationEvent
    from annotate.services.moderation import log_event  # the log lives with moderation

    seminar = membership.seminar
    removed = membership.user_id != actor.pk
    if removed:
        policy.require(policy.membership_of(actor, seminar), Action.MANAGE_MEMBERS)
    owners = _lock_owners(seminar, membership)
    if membership.role == Role.OWNER and len(owners) == 1:
        raise Conflict("A seminar must keep at least one owner: make someone else an owner first.")
    if removed:
        log_event(
            seminar_id=seminar.pk,
            actor=actor,
            action=ModerationEvent.Action.REMOVE_MEMBER,
            target_type="user",
            target_id=membership.user_id,
            old=membership.role,
            new="removed",
            reason=reason or f"{membership.user.name} removed",
        )
    name = membership.user.name
    _revoke_invites(membership, actor, (), f"{name} was removed" if removed else f"{name} left")
    membership.delete()


def _revoke_invites(
    membership: Membership, actor: User, keep_roles: Collection[str], why: str
) -> None:
    """Revoke the links and invitations the member made that their role (none, once they are
    gone) may no longer grant: they invited on the strength of it, and whoever knows a link
    must not rejoin, or come back higher, through it. On the log if there were any."""
    from annotate.models import ModerationEvent
    from annotate.services.moderation import log_event

    links, invites = invitations.invites_revoke(
        seminar=membership.seminar,
        inviter_id=membership.user_id,
        keep_roles=keep_roles,
    )
    if links or invites:
        counted = [
            f"{n} {what}{'s' if n != 1 else ''}"
            for n, what in ((links, "invitation link"), (invites, "invitation"))
            if n
        ]
        log_event(
            seminar_id=membership.seminar_id,
            actor=actor,
            action=ModerationEvent.Action.REVOKE_INVITES,
            target_type="user",
            target_id=membership.user_id,
            old="active",
            new="revoked",
            reason=f"{' and '.join(counted)} revoked: {why}.",
        )


def seminar_leave(*, seminar: Seminar, user: User) -> None:
    membership = policy.membership_of(user, seminar)
    if membership is None:
        raise Conflict("You are not a member of this seminar.")
    membership_remove(membership=membership, actor=user)
