"""/api/v1/ routes for the core API."""

from django.urls import path, register_converter

from annotate import api as texts
from annotate import api_exports as exports_api
from annotate import api_moderation as moderation
from annotate import api_w3c as w3c
from core.api import views


class UsernameConverter:
    """Django's username characters only (letters, digits and @.+-_), so junk never reaches SQL."""

    regex = r"[\w.@+-]{1,150}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UsernameConverter, "username")

urlpatterns = [
    path("seminars/", views.SeminarList.as_view(), name="api-seminars"),
    path("seminars/<slug:slug>/", views.SeminarDetail.as_view(), name="api-seminar"),
    path("seminars/<slug:slug>/members/", views.MemberList.as_view(), name="api-members"),
    path(
        "seminars/<slug:slug>/members/<username:username>/",
        views.MemberDetail.as_view(),
        name="api-member",
    ),
    path("documents/", texts.DocumentList.as_view(), name="api-documents"),
    path("documents/<int:pk>/", texts.DocumentDetail.as_view(), name="api-document"),
    path("imports/<int:pk>/", texts.ImportJobDetail.as_view(), name="api-import"),
    path("documents/<int:pk>/revisions/", texts.RevisionList.as_view(), name="api-revisions"),
    path(
        "documents/<int:pk>/revisions/<int:number>/",
        texts.RevisionDetail.as_view(),
        name="api-revision",
    ),
    # The W3C Web Annotation Protocol: a container per seminar (its IRI ends in "/").
    path(
        "seminars/<slug:slug>/annotations/",
        w3c.AnnotationContainer.as_view(),
        name="api-annotations",
    ),
    path(
        "seminars/<slug:slug>/annotations/<int:pk>/",
        w3c.AnnotationDetail.as_view(),
        name="api-annotation",
    ),
    path(
        "seminars/<slug:slug>/annotations/<int:pk>/replies/<int:reply>/",
        w3c.ReplyDetail.as_view(),
        name="api-annotation-reply",
    ),
    path(
        "documents/<int:pk>/import-annotations/",
        w3c.AnnotationImport.as_view(),
        name="api-annotation-import",
    ),
    path("ns/glossa.jsonld", w3c.GlossaContext.as_view(), name="api-glossa-context"),
    # Claims and moderation.
    path("seminars/<slug:slug>/claims/", moderation.ClaimList.as_view(), name="api-claims"),
    path("claims/<int:pk>/", moderation.ClaimDetail.as_view(), name="api-claim"),
    path(
        "claims/<int:pk>/disputes/",
        moderation.ClaimDisputes.as_view(),
        name="api-claim-disputes",
    ),
    path(
        "claims/<int:pk>/withdraw/",
        moderation.ClaimWithdraw.as_view(),
        name="api-claim-withdraw",
    ),
    path("claims/<int:pk>/status/", moderation.ClaimStatusView.as_view(), name="api-claim-status"),
    path(
        "disputes/<int:pk>/ruling/",
        moderation.DisputeRuling.as_view(),
        name="api-dispute-ruling",
    ),
    path("flags/", moderation.FlagCreate.as_view(), name="api-flags"),
    path("flags/<int:pk>/dismiss/", moderation.FlagDismiss.as_view(), name="api-flag-dismiss"),
    path(
        "annotations/<int:pk>/hide/",
        moderation.AnnotationHide.as_view(),
        name="api-annotation-hide",
    ),
    path(
        "annotations/<int:pk>/restore/",
        moderation.AnnotationRestore.as_view(),
        name="api-annotation-restore",
    ),
    path(
        "annotations/<int:pk>/lock/",
        moderation.AnnotationLock.as_view(),
        name="api-annotation-lock",
    ),
    path(
        "annotations/<int:pk>/unlock/",
        moderation.AnnotationUnlock.as_view(),
        name="api-annotation-unlock",
    ),
    path("replies/<int:pk>/hide/", moderation.ReplyHide.as_view(), name="api-reply-hide"),
    path(
        "replies/<int:pk>/restore/",
        moderation.ReplyRestore.as_view(),
        name="api-reply-restore",
    ),
    path(
        "seminars/<slug:slug>/moderation-log/",
        moderation.ModerationLog.as_view(),
        name="api-moderation-log",
    ),
    path(
        "seminars/<slug:slug>/moderation-queue/",
        moderation.ModerationQueue.as_view(),
        name="api-moderation-queue",
    ),
    path("exports/", exports_api.ExportList.as_view(), name="api-exports"),
    path("exports/<int:pk>/", exports_api.ExportDetail.as_view(), name="api-export"),
    path(
        "exports/<int:pk>/download/",
        exports_api.ExportDownload.as_view(),
        name="api-export-download",
    ),
]
