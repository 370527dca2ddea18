"""Sign-up, the profile and API tokens (log in, out and passwords are Django's own views)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.authtoken.models import Token

from core.forms import ProfileForm, SignupForm, apply_errors
from core.http import render_page, signed_in_user
from core.services import accounts


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.user_signup(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                display_name=form.cleaned_data["display_name"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to Glossa, {user.name}.")
            return redirect(request.GET["next"] if _safe_next(request) else "home")
    status = 422 if form.errors else 200
    return render_page(request, "registration/signup.html", {"form": form}, status=status)


def _safe_next(request: HttpRequest) -> bool:
    target = request.GET.get("next", "")
    return bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = ProfileForm(
        request.POST or None, initial={"display_name": user.display_name, "email": user.email}
    )
    if request.method == "POST" and form.is_valid():
        try:
            accounts.user_update_profile(user=user, **form.cleaned_data)
        except ValidationError as error:
            user.refresh_from_db()
            apply_errors(form, error)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("profile")
    return render_page(
        request,
        "registration/profile.html",
        {"form": form},
        partial="profile-form",
        status=422 if form.errors else 200,
    )


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    token = Token.objects.filter(user=signed_in_user(request)).first()
    return render_page(request, "registration/tokens.html", {"token": token, "new_key": None})


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    token = accounts.api_token_create(user=signed_in_user(request))
    # The key is shown once, on this response, and never again.
    return render_page(
        request,
        "registration/tokens.html",
        {"token": token, "new_key": token.key},
        partial="token",
        status=201,
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest) -> HttpResponse:
    if accounts.api_token_revoke(user=request.user):  # type: ignore[arg-type]
        messages.success(request, "Your API token is revoked; programs using it are locked out.")
    if getattr(request, "htmx", False):
        return render_page(
            request, "registration/tokens.html", {"token": None, "new_key": None}, partial="token"
        )
    return redirect("tokens")
