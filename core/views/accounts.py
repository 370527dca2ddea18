"""Sign-up, the profile and API tokens; sign-in and password resets are Django's own views,
with limits (log out and password changes are Django's as they are)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.authtoken.models import Token

from core import ratelimit
from core.errors import TooManyRequests
from core.forms import ProfileForm, SigninForm, SignupForm, apply_errors
from core.http import client_address, is_htmx, render_page, signed_in_user
from core.services import accounts


def signin_throttled[**P, R: HttpResponseBase](
    view: Callable[Concatenate[HttpRequest, P], R],
) -> Callable[Concatenate[HttpRequest, P], R]:
    """A sign-in page whose form (core.forms.SigninForm) was refused for too many failed tries
    answers 429 with Retry-After, the message on the form and the username kept."""

    @functools.wraps(view)
    def throttled(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> R:
        response = view(request, *args, **kwargs)
        form = (getattr(response, "context_data", None) or {}).get("form")
        if (refusal := getattr(form, "refusal", None)) is not None:
            _refused(response, refusal)
            # Until its Retry-After, core.middleware.FloodGateMiddleware answers this client's
            # tries at this account first thing: a flood of wrong passwords costs a Redis read
            # each, not a page. Never escalated: the account's owner is not locked out longer.
            client = signin_client(request)
            ratelimit.remember_refusal(client, client, "login_pair", refusal, penalise=False)
        return response

    throttled.flood_action = "login_pair"  # type: ignore[attr-defined]
    throttled.flood_client = signin_client  # type: ignore[attr-defined]
    return throttled


def signin_client(request: HttpRequest) -> str:
    """Who is signing in, as the sign-in limits count them: the client address and the
    account tried (so one refused account never gates another's owner at the same address)."""
    username = request.POST.get("username", "").strip().lower()[:150]
    return ratelimit.client_key(f"{client_address(request)}|{username}")


def _refused[Response: HttpResponseBase](response: Response, refusal: TooManyRequests) -> Response:
    response.status_code = 429
    response["Retry-After"] = str(refusal.retry_after)
    # The service logs a refusal once, when it begins; not once a request (django.request).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


login_view = signin_throttled(auth_views.LoginView.as_view(authentication_form=SigninForm))


class PasswordResetView(auth_views.PasswordResetView):
    """Django's, limited per client address (past it: 429 on the form) and per recipient
    (past it: the same "check your email" page, and no email)."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        try:
            send = accounts.password_reset_allowed(
                email=form.cleaned_data["email"], client=client_address(self.request)
            )
        except TooManyRequests as refusal:
            form.add_error(None, refusal.message)
            return _refused(self.render_to_response(self.get_context_data(form=form)), refusal)
        if not send:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


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
    if is_htmx(request):
        return render_page(
            request, "registration/tokens.html", {"token": None, "new_key": None}, partial="token"
        )
    return redirect("tokens")
