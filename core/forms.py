"""Forms for the HTML pages; they parse input and hand clean data to the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.exceptions import ValidationError

from core import policy
from core.errors import TooManyRequests
from core.http import client_address
from core.models import Role, Seminar, User
from core.services import accounts
from core.text import one_line


def apply_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or the form, for the rest)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class NameField(forms.CharField):
    """A short name shown to others (display name, seminar name), cleaned by one_line()."""

    def to_python(self, value: Any) -> str:
        return one_line(super().to_python(value) or "")


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=True, help_text="For password resets and invitations.")
    display_name = NameField(
        max_length=80,
        required=False,
        help_text="How other members see you; your username if blank.",
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "display_name")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError("An account with this email address already exists.")
        return email


class SigninForm(AuthenticationForm):
    """Sign-in with the limits on failed tries (core.services.accounts.signin_*), for
    /accounts/login/ and, as core.admin.AdminSigninForm, /admin/login/. A refusal is a form
    error and `refusal`, which core.views.accounts.signin_throttled turns into a 429."""

    refusal: TooManyRequests | None = None

    def clean(self) -> dict[str, Any]:
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()  # nothing is checked, so nothing counts
        attempt = {
            "username": username,
            "client": client_address(self.request) if self.request else "",
        }
        try:
            accounts.signin_refuse_if_over(**attempt)
            try:
                cleaned = super().clean()
            except ValidationError:
                if self.user_cache is None:  # a wrong password or no such account
                    accounts.signin_failed(**attempt)
                raise
        except TooManyRequests as refusal:
            self.refusal = refusal
            raise ValidationError(refusal.message, code="too_many_failures") from None
        accounts.signin_succeeded(**attempt)
        return cleaned


class ProfileForm(forms.Form):
    display_name = NameField(max_length=80, required=False)
    email = forms.EmailField()


class SeminarForm(forms.Form):
    name = NameField(max_length=120)
    slug = forms.SlugField(
        max_length=60,
        required=False,
        label="Address",
        help_text="Letters, digits and hyphens; made from the name if blank.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug and Seminar.objects.filter(slug=slug).exists():
            raise ValidationError("A seminar with this address already exists; choose another.")
        return slug


class InviteRoleField(forms.ChoiceField):
    """The roles the inviter's own role may grant (core.policy.invitable_roles); any other
    role is refused with the reason, next to the field."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(initial=Role.MEMBER, **kwargs)
        self.inviter_role: str | None = None

    def grant_as(self, inviter_role: str) -> None:
        self.inviter_role = inviter_role
        self.choices = [(role.value, role.label) for role in policy.invitable_roles(inviter_role)]

    def validate(self, value: Any) -> None:
        forms.Field.validate(self, value)  # required; the choices are checked below
        if value not in policy.invitable_roles(self.inviter_role):
            message = policy.invite_role_refusal(self.inviter_role, value)
            raise ValidationError(message, code="invalid_choice")


class InviteLinkForm(forms.Form):
    role = InviteRoleField()
    days = forms.IntegerField(min_value=1, max_value=90, initial=7, label="Valid for (days)")
    max_uses = forms.IntegerField(
        min_value=1,
        max_value=1000,
        required=False,
        label="Use limit",
        help_text="Blank for no limit.",
    )

    def __init__(self, *args: Any, inviter_role: str, **kwargs: Any) -> None:
        # The seminar page shows it beside InvitePersonForm: both have a `role`, and each
        # label must point at its own field.
        kwargs.setdefault("auto_id", "id_link_%s")
        super().__init__(*args, **kwargs)
        self.fields["role"].grant_as(inviter_role)  # type: ignore[attr-defined]


class InvitePersonForm(forms.Form):
    username_or_email = forms.CharField(max_length=254, label="Username or email")
    role = InviteRoleField()

    def __init__(self, *args: Any, inviter_role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].grant_as(inviter_role)  # type: ignore[attr-defined]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
