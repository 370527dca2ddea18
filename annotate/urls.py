"""Text and annotation pages, under /s/<seminar>/texts/."""

from django.urls import path

from annotate.views import annotations, texts
from annotate.views import exports as export_views

urlpatterns = [
    path("new/", texts.document_import, name="document-import"),
    path("imports/<int:pk>/", texts.import_job, name="import-job"),
    path("<int:pk>/", texts.reader, name="reader"),
    path("<int:pk>/r/<int:number>/", texts.reader, name="reader-revision"),
    path("<int:pk>/history/", texts.history, name="document-history"),
    path("<int:pk>/source/", texts.source, name="document-source"),
    path("<int:pk>/correct/", texts.correct, name="document-correct"),
    path("<int:pk>/changes/", annotations.changes, name="annotation-changes"),
    path("<int:pk>/export/", export_views.export_create, name="export-create"),
    path("<int:pk>/annotations/", annotations.annotation_create, name="annotation-create"),
    path("<int:pk>/annotations/new/", annotations.composer, name="annotation-composer"),
    path(
        "<int:pk>/annotations/at/<int:offset>/", annotations.annotations_at, name="annotations-at"
    ),
    path(
        "<int:pk>/annotations/<int:aid>/", annotations.annotation_detail, name="annotation-detail"
    ),
    path(
        "<int:pk>/annotations/<int:aid>/edit/", annotations.annotation_edit, name="annotation-edit"
    ),
    path(
        "<int:pk>/annotations/<int:aid>/delete/",
        annotations.annotation_delete,
        name="annotation-delete",
    ),
    path(
        "<int:pk>/annotations/<int:aid>/reattach/", annotations.reattach, name="annotation-reattach"
    ),
    path("<int:pk>/annotations/<int:aid>/replies/", annotations.reply_create, name="reply-create"),
    path(
        "<int:pk>/annotations/<int:aid>/replies/<int:rid>/edit/",
        annotations.reply_edit,
        name="reply-edit",
    ),
    path(
        "<int:pk>/annotations/<int:aid>/replies/<int:rid>/delete/",
        annotations.reply_delete,
        name="reply-delete",
    ),
]
