from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from core.models import Invitation, InviteLink, Membership, Seminar, User


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
