"""What a password change does beyond the password: the one place every way of setting one
passes through.

Django calls each of AUTH_PASSWORD_VALIDATORS' password_changed() after a user whose
set_password() was called is saved: the password-change page, the reset link, the admin's
password form, `manage.py changepassword` alike (a hasher upgrade at sign-in does not count).
The views' own form_valid() would miss the admin and the command, and a signal on every
User save would have to tell a password change from other saves.
"""

from __future__ import annotations

from typing import Any


class RevokeApiTokens:
    """Not a rule about the password: it revokes the user's API token once the password is
    changed (core.services.accounts.api_tokens_revoke_on_password_change)."""

    def validate(self, password: str, user: Any = None) -> None:
        return None

    def password_changed(self, password: str, user: Any = None) -> None:
        from core.models import User
        from core.services.accounts import api_tokens_revoke_on_password_change

        if isinstance(user, User):
            api_tokens_revoke_on_password_change(user=user)

    def get_help_text(self) -> str:
        return "A new password also revokes your API token, if you have one."
