"""Users, seminars, memberships and invitations."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone


class User(AbstractUser):
    """Django's user with a display name; `User.objects.create_user` works as usual."""

    display_name = models.CharField(max_length=80, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
                violation_error_message="An account with this email address already exists.",
            ),
        ]

    @property
    def name(self) -> str:
        return self.display_name or self.username


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MODERATOR = "moderator", "Moderator"
    MEMBER = "member", "Member"
    OBSERVER = "observer", "Observer"


class SeminarQuerySet(models.QuerySet["Seminar"]):
    def with_member_count(self) -> SeminarQuerySet:
        # A subquery, not Count("memberships"): callers filter on memberships already, and a
        # Count over that same join would count only the filtered rows.
        members = (
            Membership.objects.filter(seminar=models.OuterRef("pk"))
            .order_by()
            .values("seminar")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.annotate(member_count=Coalesce(models.Subquery(members), 0))


class Seminar(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(
        max_length=60,
        unique=True,
        error_messages={
            "unique": "A seminar with this address already exists; choose another.",
        },
    )
    description = models.TextField(blank=True, max_length=2000)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    members = models.ManyToManyField(User, through="Membership", related_name="seminars")

    objects = SeminarQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("seminar", args=[self.slug])


class Membership(models.Model):
    seminar = models.ForeignKey(Seminar, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["seminar", "user"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.seminar} ({self.role})"


def new_token() -> str:
    return secrets.token_urlsafe(24)


class InviteLink(models.Model):
    """A link that lets whoever holds it join, until it expires, runs out or is revoked."""

    seminar = models.ForeignKey(Seminar, on_delete=models.CASCADE, related_name="invite_links")
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=new_token)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    expires_at = models.DateTimeField()
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    use_count = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_uses__isnull=True)
                | models.Q(use_count__lte=models.F("max_uses")),
                name="invite_link_uses_within_limit",
            ),
            models.CheckConstraint(
                condition=~models.Q(role=Role.OWNER), name="invite_link_not_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} link to {self.seminar}"

    def get_absolute_url(self) -> str:
        return reverse("join", args=[self.token])

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        if self.max_uses is not None and self.use_count >= self.max_uses:
            return "used up"
        return "active"


class Invitation(models.Model):
    """An invitation to one person, named by username or email address."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        REVOKED = "revoked", "Revoked"

    seminar = models.ForeignKey(Seminar, on_delete=models.CASCADE, related_name="invitations")
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    # Null while the address has no account; sign-up with that address claims it.
    invitee = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(invitee=None, email=""), name="invitation_has_addressee"
            ),
            models.UniqueConstraint(
                fields=["seminar", "invitee"],
                condition=models.Q(status="pending"),
                name="invitation_one_pending_per_user",
            ),
            models.CheckConstraint(
                condition=~models.Q(role=Role.OWNER), name="invitation_not_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"invitation of {self.addressee} to {self.seminar}"

    @property
    def addressee(self) -> str:
        return self.invitee.name if self.invitee else self.email

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
