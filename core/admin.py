from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin

from core.forms import SigninForm
from core.models import Invitation, InviteLink, Membership, Seminar, User
from core.views.accounts import signin_throttled


class AdminSigninForm(SigninForm, AdminAuthenticationForm):
    """The admin's sign-in form (staff only) with the main sign-in's limits on failed tries:
    the two pages count together. A member's right password here is no failure."""


# /admin/login/ stays the admin's own page (its template, its URL name), with the main
# sign-in's form rules and its 429. Set before core.urls reads admin.site.urls.
admin.site.login_form = AdminSigninForm
admin.site.login = signin_throttled(admin.site.login)  # type: ignore[method-assign,assignment]


@admin.register(User)
class GlossaUserAdmin(UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Glossa", {"fields": ("display_name",)}))
    list_display = ("username", "display_name", "email", "is_staff", "is_active")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Seminar)
class SeminarAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    inlines = [MembershipInline]


@admin.register(InviteLink)
class InviteLinkAdmin(admin.ModelAdmin):
    list_display = ("seminar", "role", "expires_at", "use_count", "max_uses", "revoked_at")
    list_filter = ("role",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("seminar", "invitee", "email", "role", "status", "created_at")
    list_filter = ("status",)
