"""Who may do what: the role table, and the seminar-level checks every page, fragment and API
answer makes (what a member sees of the things in a seminar is annotate/access.py's).

Seminars are private. Someone who is not a member is told nothing, not even that a seminar
exists (`Http404`); a member who lacks the role for an action gets `PermissionDenied` (403).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from core.models import Membership, Role, Seminar, SeminarQuerySet

if TYPE_CHECKING:
    from core.models import User


class Action(StrEnum):
    VIEW = "view"  # read the seminar, its texts and everything visible in it
    PARTICIPATE = "participate"  # annotate, reply, flag, dispute
    INVITE = "invite"  # create and revoke invitations
    EDIT_TEXTS = "edit texts"  # import, correct and publish texts
    MODERATE = "moderate"  # work the moderation queue
    MANAGE_MEMBERS = "manage members"  # change roles, remove members, edit the seminar


RANK = {Role.OBSERVER: 0, Role.MEMBER: 1, Role.MODERATOR: 2, Role.OWNER: 3}

# The permission table: the least role that may take each action.
MINIMUM_ROLE: dict[Action, Role] = {
    Action.VIEW: Role.OBSERVER,
    Action.PARTICIPATE: Role.MEMBER,
    Action.INVITE: Role.MODERATOR,
    Action.EDIT_TEXTS: Role.MODERATOR,
    Action.MODERATE: Role.MODERATOR,
    Action.MANAGE_MEMBERS: Role.OWNER,
}

DENIED_MESSAGES: dict[Action, str] = {
    Action.VIEW: "You are not a member of this seminar.",
    Action.PARTICIPATE: "Observers can read but not take part; ask an owner for the member role.",
    Action.INVITE: "Only the seminar's owners and moderators can invite people.",
    Action.EDIT_TEXTS: "Only the seminar's owners and moderators can import or correct texts.",
    Action.MODERATE: "Only the seminar's owners and moderators can moderate.",
    Action.MANAGE_MEMBERS: "Only the seminar's owners can manage members.",
}


def role_allows(role: str | None, action: Action) -> bool:
    return role is not None and RANK[Role(role)] >= RANK[MINIMUM_ROLE[action]]


def invitable_roles(role: str | None) -> tuple[Role, ...]:
    """The roles someone with `role` may invite people at (links and invitations alike).

    Only roles below one's own, so an invitation never confers what its inviter could not
    confer by changing roles (MANAGE_MEMBERS): owners invite moderators, moderators do not.
    Nobody is invited as an owner; an owner promotes a member afterwards.
    """
    if not role_allows(role, Action.INVITE):
        return ()
    assert role is not None
    return tuple(
        r for r in (Role.MODERATOR, Role.MEMBER, Role.OBSERVER) if RANK[r] < RANK[Role(role)]
    )


def invite_role_refusal(inviter_role: str | None, role: str) -> str:
    """Why someone with `inviter_role` may not invite at `role` (not in invitable_roles)."""
    allowed = [str(r) for r in invitable_roles(inviter_role)]
    if not allowed:
        return DENIED_MESSAGES[Action.INVITE]
    choices = f"{', '.join(allowed[:-1])} or {allowed[-1]}" if len(allowed) > 1 else allowed[0]
    if role == Role.MODERATOR:
        return f"Only owners can invite moderators: invite as {choices}."
    return f"Invite as {choices}; an owner can promote members afterwards."


def membership_of(user: User | AnonymousUser, seminar: Seminar) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(seminar=seminar, user=user).first()


def allows(user: User | AnonymousUser, seminar: Seminar, action: Action) -> bool:
    membership = membership_of(user, seminar)
    return role_allows(membership.role if membership else None, action)


def seminars_visible_to(user: User | AnonymousUser) -> SeminarQuerySet:
    if not user.is_authenticated:
        return Seminar.objects.none()
    return Seminar.objects.filter(memberships__user=user).order_by("name", "pk")


def access_seminar(
    user: User | AnonymousUser, slug: str, action: Action = Action.VIEW, *, for_update: bool = False
) -> tuple[Seminar, Membership]:
    """The seminar and the user's membership; 404 for non-members, 403 without the role."""
    memberships = Membership.objects.select_related("seminar", "user")
    if for_update:
        memberships = memberships.select_for_update(of=("self",))
    membership = (
        memberships.filter(seminar__slug=slug, user=user).first() if user.is_authenticated else None
    )
    if membership is None:
        raise Http404("No such seminar.")
    if not role_allows(membership.role, action):
        raise PermissionDenied(DENIED_MESSAGES[action])
    return membership.seminar, membership


def require(membership: Membership | None, action: Action) -> None:
    """Raise 403 unless the membership's role allows the action."""
    if not role_allows(membership.role if membership else None, action):
        raise PermissionDenied(DENIED_MESSAGES[action])
