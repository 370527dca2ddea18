"""The core API: seminars and their members. Thin adapters over core.services."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import policy
from core.api.errors import error
from core.api.serializers import (
    MemberAddSerializer,
    MemberRoleSerializer,
    MembershipSerializer,
    SeminarCreateSerializer,
    SeminarSerializer,
    SeminarUpdateSerializer,
)
from core.http import signed_in_user
from core.models import Membership, User
from core.policy import Action
from core.services import seminars


class SeminarList(APIView):
    @extend_schema(responses=SeminarSerializer(many=True), summary="Seminars I belong to")
    def get(self, request: Request) -> Response:
        mine = policy.seminars_visible_to(request.user).with_member_count()
        roles = dict(
            Membership.objects.filter(user=signed_in_user(request)).values_list(
                "seminar_id", "role"
            )
        )
        data = SeminarSerializer(mine, many=True, context={"request": request, "roles": roles}).data
        return Response(data)

    @extend_schema(
        request=SeminarCreateSerializer,
        responses={201: SeminarSerializer, 429: error("Too many new seminars (a daily limit)")},
        summary="Create a seminar (you become its owner)",
    )
    def post(self, request: Request) -> Response:
        params = SeminarCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        seminar = seminars.seminar_create(user=signed_in_user(request), **params.validated_data)
        data = SeminarSerializer(
            seminar, context={"request": request, "roles": {seminar.pk: "owner"}}
        ).data
        return Response(data, status=status.HTTP_201_CREATED)


class SeminarDetail(APIView):
    @extend_schema(responses=SeminarSerializer, summary="One seminar (members only)")
    def get(self, request: Request, slug: str) -> Response:
        seminar, membership = policy.access_seminar(request.user, slug)
        return Response(
            SeminarSerializer(
                seminar, context={"request": request, "roles": {seminar.pk: membership.role}}
            ).data
        )

    @extend_schema(
        request=SeminarUpdateSerializer,
        responses=SeminarSerializer,
        summary="Rename or describe a seminar (owners)",
    )
    def patch(self, request: Request, slug: str) -> Response:
        seminar, membership = policy.access_seminar(request.user, slug, Action.MANAGE_MEMBERS)
        params = SeminarUpdateSerializer(data=request.data, partial=True)
        params.is_valid(raise_exception=True)
        seminar = seminars.seminar_update(
            seminar=seminar,
            actor=signed_in_user(request),
            name=params.validated_data.get("name", seminar.name),
            description=params.validated_data.get("description", seminar.description),
        )
        return Response(
            SeminarSerializer(
                seminar, context={"request": request, "roles": {seminar.pk: membership.role}}
            ).data
        )


class MemberList(APIView):
    @extend_schema(responses=MembershipSerializer(many=True), summary="A seminar's members")
    def get(self, request: Request, slug: str) -> Response:
        seminar, _ = policy.access_seminar(request.user, slug)
        members = seminar.memberships.select_related("user").order_by("user__username")
        return Response(MembershipSerializer(members, many=True).data)

    @extend_schema(
        request=MemberAddSerializer,
        responses={201: MembershipSerializer, 409: error("Already a member")},
        summary="Add an existing user with a role (owners)",
    )
    def post(self, request: Request, slug: str) -> Response:
        seminar, _ = policy.access_seminar(request.user, slug, Action.MANAGE_MEMBERS)
        params = MemberAddSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        user = User.objects.filter(
            username=params.validated_data["username"], is_active=True
        ).first()
        if user is None:
            return Response(
                {
                    "username": ["There is no user with this username."],
                    "detail": "There is no user with this username.",
                    "code": "invalid",
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        membership = seminars.membership_add(
            seminar=seminar,
            actor=signed_in_user(request),
            user=user,
            role=params.validated_data["role"],
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberDetail(APIView):
    def _target(self, request: Request, slug: str, username: str, action: Action) -> Membership:
        seminar, _ = policy.access_seminar(request.user, slug, action)
        return get_object_or_404(
            Membership.objects.select_related("user", "seminar"),
            seminar=seminar,
            user__username=username,
        )

    @extend_schema(responses=MembershipSerializer, summary="One member")
    def get(self, request: Request, slug: str, username: str) -> Response:
        return Response(
            MembershipSerializer(self._target(request, slug, username, Action.VIEW)).data
        )

    @extend_schema(
        request=MemberRoleSerializer,
        responses={200: MembershipSerializer, 409: error("The last owner cannot step down")},
        summary="Change a member's role (owners)",
    )
    def patch(self, request: Request, slug: str, username: str) -> Response:
        target = self._target(request, slug, username, Action.MANAGE_MEMBERS)
        params = MemberRoleSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        membership = seminars.membership_set_role(
            membership=target, actor=signed_in_user(request), role=params.validated_data["role"]
        )
        return Response(MembershipSerializer(membership).data)

    @extend_schema(
        responses={204: None, 409: error("The last owner cannot leave")},
        summary="Remove a member (owners), or leave (your own username)",
        description="The invitation links and pending invitations they made are revoked "
        "(on the moderation log as revoke_invites).",
    )
    def delete(self, request: Request, slug: str, username: str) -> Response:
        own = username == request.user.get_username()
        target = self._target(
            request, slug, username, Action.VIEW if own else Action.MANAGE_MEMBERS
        )
        seminars.membership_remove(membership=target, actor=signed_in_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
