"""Seminar pages: the dashboard, a seminar's home, its members and invitations, joining."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from annotate.access import Viewer
from annotate.selectors import queue_count
from core import policy
from core.errors import ServiceError, TooManyRequests, refusal
from core.forms import (
    InviteLinkForm,
    InvitePersonForm,
    RoleForm,
    SeminarForm,
    apply_errors,
)
from core.http import is_htmx, render_page, signed_in_user, with_retry_after
from core.models import Invitation, InviteLink, Membership, Seminar
from core.policy import Action
from core.services import invitations, seminars

SEMINAR_PAGE = "core/seminar.html"


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render_page(request, "core/landing.html", {})
    mine = policy.seminars_visible_to(request.user).with_member_count()
    roles = dict(Membership.objects.filter(user=request.user).values_list("seminar_id", "role"))
    pending = Invitation.objects.filter(
        invitee=signed_in_user(request), status=Invitation.Status.PENDING
    ).select_related("seminar", "invited_by")
    return render_page(
        request,
        "core/home.html",
        {
            "seminars": [(seminar, roles.get(seminar.pk)) for seminar in mine],
            "invitations": pending,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def seminar_create(request: HttpRequest) -> HttpResponse:
    form = SeminarForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            seminar = seminars.seminar_create(user=signed_in_user(request), **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        except TooManyRequests as error:
            form.add_error(None, error.message)
            response = render_page(request, "core/seminar_form.html", {"form": form}, status=429)
            return with_retry_after(response, error)
        else:
            messages.success(request, f"{seminar.name} is ready. Invite people to read with you.")
            return redirect(seminar)
    return render_page(
        request, "core/seminar_form.html", {"form": form}, status=422 if form.errors else 200
    )


def _seminar_context(seminar: Seminar, membership: Membership, **extra: Any) -> dict[str, Any]:
    can_invite = policy.role_allows(membership.role, Action.INVITE)
    return {
        "seminar": seminar,
        "membership": membership,
        "members": seminar.memberships.select_related("user").order_by("user__username"),
        "can_invite": can_invite,
        "can_edit_texts": policy.role_allows(membership.role, Action.EDIT_TEXTS),
        "can_moderate": policy.role_allows(membership.role, Action.MODERATE),
        "queue_count": queue_count(Viewer(membership.user, membership))
        if policy.role_allows(membership.role, Action.MODERATE)
        else 0,
        "documents": seminar.documents.select_related("current")
        .only("pk", "title", "author", "seminar", "current__number", "current__created_at")
        .order_by("title"),
        "can_manage": policy.role_allows(membership.role, Action.MANAGE_MEMBERS),
        "links": seminar.invite_links.select_related("created_by")[:20] if can_invite else [],
        "pending": (
            seminar.invitations.filter(status=Invitation.Status.PENDING).select_related("invitee")
            if can_invite
            else []
        ),
        "link_form": extra.pop("link_form", None) or InviteLinkForm(inviter_role=membership.role),
        "person_form": extra.pop("person_form", None)
        or InvitePersonForm(inviter_role=membership.role),
        "role_choices": RoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
        **extra,
    }


def _answer(
    request: HttpRequest,
    seminar: Seminar,
    membership: Membership,
    partial: str,
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    """After a change: htmx gets the changed part; a plain form post is sent back to the page."""
    if is_htmx(request) or status >= 400:
        return render_page(
            request,
            SEMINAR_PAGE,
            _seminar_context(seminar, membership, **extra),
            partial=partial,
            status=status,
        )
    return redirect(seminar)


@login_required
def seminar_detail(request: HttpRequest, slug: str) -> HttpResponse:
    seminar, membership = policy.access_seminar(request.user, slug)
    return render_page(request, SEMINAR_PAGE, _seminar_context(seminar, membership))


@login_required
@require_POST
def member_role(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seminar, membership = policy.access_seminar(request.user, slug, Action.MANAGE_MEMBERS)
    target = get_object_or_404(Membership.objects.select_related("user"), pk=pk, seminar=seminar)
    form = RoleForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose one of the roles offered.")
        seminars.membership_set_role(
            membership=target, actor=signed_in_user(request), role=form.cleaned_data["role"]
        )
    except (ServiceError, ValidationError) as error:
        return _answer(
            request,
            seminar,
            membership,
            "members",
            status=_status(error),
            members_error=_message(error),
        )
    membership.refresh_from_db()
    return _answer(
        request,
        seminar,
        membership,
        "members",
        members_notice=f"{target.user.name} is now {target.get_role_display()}.",
    )


@login_required
@require_POST
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seminar, membership = policy.access_seminar(request.user, slug, Action.MANAGE_MEMBERS)
    target = get_object_or_404(Membership.objects.select_related("user"), pk=pk, seminar=seminar)
    try:
        seminars.membership_remove(membership=target, actor=signed_in_user(request))
    except ServiceError as error:
        return _answer(
            request,
            seminar,
            membership,
            "members",
            status=error.status,
            members_error=error.message,
        )
    if target.pk == membership.pk:
        return redirect("home")
    return _answer(
        request,
        seminar,
        membership,
        "members",
        members_notice=f"{target.user.name} was removed from the seminar.",
    )


@login_required
@require_POST
def seminar_leave(request: HttpRequest, slug: str) -> HttpResponse:
    seminar, membership = policy.access_seminar(request.user, slug)
    try:
        seminars.seminar_leave(seminar=seminar, user=signed_in_user(request))
    except ServiceError as error:
        return _answer(
            request,
            seminar,
            membership,
            "members",
            status=error.status,
            members_error=error.message,
        )
    messages.success(request, f"You have left {seminar.name}.")
    if is_htmx(request):
        return HttpResponseClientRedirect("/")
    return redirect("home")


@login_required
@require_POST
def invite_link_create(request: HttpRequest, slug: str) -> HttpResponse:
    seminar, membership = policy.access_seminar(request.user, slug, Action.INVITE)
    form = InviteLinkForm(request.POST, inviter_role=membership.role)
    if form.is_valid():
        try:
            invitations.invite_link_create(
                seminar=seminar, actor=signed_in_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _answer(
                request,
                seminar,
                membership,
                "invites",
                status=201,
                invites_notice="New invitation link created: copy it below.",
            )
    return _answer(request, seminar, membership, "invites", status=422, link_form=form)


@login_required
@require_POST
def invite_link_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seminar, membership = policy.access_seminar(request.user, slug, Action.INVITE)
    link = get_object_or_404(InviteLink, pk=pk, seminar=seminar)
    invitations.invite_link_revoke(link=link, actor=signed_in_user(request))
    return _answer(request, seminar, membership, "invites", invites_notice="Link revoked.")


@login_required
@require_POST
def invitation_create(request: HttpRequest, slug: str) -> HttpResponse:
    seminar, membership = policy.access_seminar(request.user, slug, Action.INVITE)
    form = InvitePersonForm(request.POST, inviter_role=membership.role)
    if form.is_valid():
        try:
            invitation = invitations.invitation_create(
                seminar=seminar, actor=signed_in_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        except ServiceError as error:
            limited = isinstance(error, TooManyRequests)
            # A rate limit is about the sending, not the address: said above the form.
            form.add_error(None if limited else "username_or_email", error.message)
            response = _answer(
                request, seminar, membership, "invites", status=error.status, person_form=form
            )
            return with_retry_after(response, error)
        else:
            return _answer(
                request,
                seminar,
                membership,
                "invites",
                status=201,
                invites_notice=f"Invitation sent to {invitation.addressee}.",
            )
    return _answer(request, seminar, membership, "invites", status=422, person_form=form)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seminar, membership = policy.access_seminar(request.user, slug, Action.INVITE)
    invitation = get_object_or_404(Invitation, pk=pk, seminar=seminar)
    invitations.invitation_revoke(invitation=invitation, actor=signed_in_user(request))
    return _answer(request, seminar, membership, "invites", invites_notice="Invitation revoked.")


@login_required
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """Whoever holds an invitation link sees which seminar it opens and may join."""
    link = get_object_or_404(
        InviteLink.objects.select_related("seminar", "created_by"), token=token
    )
    already = policy.membership_of(request.user, link.seminar)
    if request.method == "POST":
        try:
            invitations.invite_link_accept(token=token, user=signed_in_user(request))
        except ServiceError as error:
            return render_page(
                request,
                "core/join.html",
                {"link": link, "error": error.message},
                status=error.status,
            )
        messages.success(request, f"Welcome to {link.seminar.name}.")
        return redirect(link.seminar)
    problem = None
    if not already:
        try:
            invitations.invite_link_check(link)
        except ServiceError as gone:
            problem = gone.message
    return render_page(
        request,
        "core/join.html",
        {"link": link, "already": already, "error": problem},
        status=410 if problem else 200,
    )


@login_required
def my_invitations(request: HttpRequest) -> HttpResponse:
    pending = (
        Invitation.objects.filter(invitee=signed_in_user(request))
        .select_related("seminar", "invited_by")
        .order_by("-created_at")[:50]
    )
    return render_page(request, "core/invitations.html", {"invitations": pending})


@login_required
@require_POST
def invitation_respond(request: HttpRequest, pk: int, answer: str) -> HttpResponse:
    if answer not in ("accept", "decline"):
        raise Http404("No such answer.")
    # Addressed to someone else, or unknown: the same 404, so ids reveal nothing.
    user = signed_in_user(request)
    invitation = get_object_or_404(
        Invitation.objects.select_related("seminar"), pk=pk, invitee=user
    )
    try:
        if answer == "accept":
            invitations.invitation_accept(invitation=invitation, user=user)
        else:
            invitations.invitation_decline(invitation=invitation, user=user)
    except ServiceError as error:
        messages.error(request, error.message)
        mine = Invitation.objects.filter(invitee=user).select_related("seminar", "invited_by")
        return render_page(
            request, "core/invitations.html", {"invitations": mine[:50]}, status=error.status
        )
    if answer == "accept":
        messages.success(request, f"Welcome to {invitation.seminar.name}.")
        return redirect(invitation.seminar)
    messages.info(request, f"You declined the invitation to {invitation.seminar.name}.")
    return redirect("invitations")


def _status(error: Exception) -> int:
    return refusal(error)[1]


def _message(error: Exception) -> str:
    return refusal(error)[0]


@login_required
@require_http_methods(["GET", "POST"])
def invitation_claim(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an emailed invitation: take it, then accept or decline it."""
    try:
        invitation = invitations.invitation_claim(token=token, user=signed_in_user(request))
    except ServiceError as error:
        return render_page(
            request,
            "core/invitations.html",
            {"invitations": [], "error": error.message},
            status=error.status,
        )
    messages.info(request, f"{invitation.seminar.name} invites you: accept or decline below.")
    return redirect("invitations")
