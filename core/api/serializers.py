"""Input and output shapes for the core API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.models import Membership, Role, Seminar, User
from core.text import one_line


class UserSerializer(serializers.ModelSerializer[User]):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["username", "name"]


class SeminarSerializer(serializers.ModelSerializer[Seminar]):
    role = serializers.SerializerMethodField()
    member_count = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(view_name="api-seminar", lookup_field="slug")

    class Meta:
        model = Seminar
        fields = ["slug", "name", "description", "created_at", "role", "member_count", "url"]

    def get_role(self, seminar: Seminar) -> str | None:
        return self.context.get("roles", {}).get(seminar.pk)

    def get_member_count(self, seminar: Seminar) -> int:
        # Lists annotate it (one query for them all); a single seminar counts its own.
        count = getattr(seminar, "member_count", None)
        return seminar.memberships.count() if count is None else count


class NameField(serializers.CharField):
    """A short name shown to others, cleaned by core.text.one_line (as the forms do)."""

    def to_internal_value(self, data: Any) -> str:
        value = one_line(super().to_internal_value(data))
        if not value and not self.allow_blank:
            self.fail("blank")
        return value


class SeminarCreateSerializer(serializers.Serializer[Seminar]):
    name = NameField(max_length=120)
    slug = serializers.SlugField(max_length=60, required=False, allow_blank=True)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class SeminarUpdateSerializer(serializers.Serializer[Seminar]):
    name = NameField(max_length=120, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class MembershipSerializer(serializers.ModelSerializer[Membership]):
    user = UserSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["user", "role", "joined_at"]


class MemberAddSerializer(serializers.Serializer[Membership]):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


class MemberRoleSerializer(serializers.Serializer[Membership]):
    role = serializers.ChoiceField(choices=Role.choices)
