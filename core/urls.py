"""Every URL Glossa answers."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from annotate.views import annotations as annotation_views
from annotate.views import claims as claim_views
from annotate.views import exports as export_views
from core.views import accounts, health, seminars

account_patterns = [
    path("signup/", accounts.signup, name="signup"),
    path("profile/", accounts.profile, name="profile"),
    path("tokens/", accounts.tokens, name="tokens"),
    path("tokens/new/", accounts.token_create, name="token-create"),
    path("tokens/revoke/", accounts.token_revoke, name="token-revoke"),
    path("login/", accounts.login_view, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    path("password/reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

seminar_patterns: list[URLPattern | URLResolver] = [
    path("", seminars.seminar_detail, name="seminar"),
    path("leave/", seminars.seminar_leave, name="seminar-leave"),
    path("members/<int:pk>/role/", seminars.member_role, name="member-role"),
    path("members/<int:pk>/remove/", seminars.member_remove, name="member-remove"),
    path("invites/links/", seminars.invite_link_create, name="invite-link-create"),
    path("invites/links/<int:pk>/revoke/", seminars.invite_link_revoke, name="invite-link-revoke"),
    path("invites/people/", seminars.invitation_create, name="invitation-create"),
    path("texts/", include("annotate.urls")),
    path("claims/", claim_views.claims_list, name="claims"),
    path("claims/<int:aid>/", claim_views.claim_detail, name="claim"),
    path("claims/<int:aid>/dispute/", claim_views.claim_dispute, name="claim-dispute"),
    path("claims/<int:aid>/withdraw/", claim_views.claim_withdraw, name="claim-withdraw"),
    path("claims/<int:aid>/status/", claim_views.claim_status, name="claim-status"),
    path("claims/<int:aid>/export/", export_views.claim_export_create, name="claim-export"),
    path("export/", export_views.archive_create, name="archive-export"),
    path("disputes/<int:did>/ruling/", claim_views.dispute_rule, name="dispute-rule"),
    path("flag/", claim_views.flag, name="flag"),
    path("moderation/", claim_views.moderation_queue, name="moderation"),
    path("moderation/<slug:action>/", claim_views.moderate, name="moderate"),
    path("log/", claim_views.moderation_log, name="moderation-log"),
    path("invites/people/<int:pk>/revoke/", seminars.invitation_revoke, name="invitation-revoke"),
]

handler400 = "core.api.errors.bad_request"
handler404 = "core.api.errors.not_found"

urlpatterns = [
    path("", seminars.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/", include(account_patterns)),
    path("seminars/new/", seminars.seminar_create, name="seminar-create"),
    path("s/<slug:slug>/", include(seminar_patterns)),
    path("join/<slug:token>/", seminars.join, name="join"),
    path("invitations/", seminars.my_invitations, name="invitations"),
    path("invitations/claim/<str:token>/", seminars.invitation_claim, name="invitation-claim"),
    path("notifications/", annotation_views.notifications, name="notifications"),
    path("exports/", export_views.export_list, name="exports"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export-download"),
    path("exports/<int:pk>/retry/", export_views.export_retry, name="export-retry"),
    path("markdown/preview/", annotation_views.markdown_preview, name="markdown-preview"),
    path(
        "invitations/<int:pk>/<slug:answer>/",
        seminars.invitation_respond,
        name="invitation-respond",
    ),
    path("api/v1/", include("core.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
