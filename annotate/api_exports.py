"""The exports API: request an export (202), follow it, download it (permission checked)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate import access
from annotate.models import ExportJob
from annotate.services import exports
from core import policy
from core.api.errors import error
from core.http import signed_in_user
from core.models import Seminar


class ExportRequestSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ExportJob.Kind.choices)
    document = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="For an edition"
    )
    claim = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="For a claim record"
    )
    seminar = serializers.CharField(
        required=False, max_length=100, help_text="For an archive: the seminar's slug or id"
    )
    format = serializers.CharField(max_length=16)
    options = serializers.DictField(required=False, default=dict)


class ExportJobSerializer(serializers.Serializer[Any]):
    """An export as job_data() describes it."""

    id = serializers.IntegerField()
    url = serializers.URLField()
    kind = serializers.ChoiceField(choices=ExportJob.Kind.choices)
    format = serializers.CharField()
    document = serializers.IntegerField(allow_null=True)
    claim = serializers.IntegerField(allow_null=True)
    seminar = serializers.CharField(help_text="The seminar's slug")
    status = serializers.ChoiceField(choices=ExportJob.Status.choices)
    progress = serializers.IntegerField(min_value=0, max_value=100)
    error = serializers.CharField(allow_null=True, help_text="Why it failed, for people")
    created = serializers.DateTimeField()
    download_url = serializers.URLField(allow_null=True, help_text="Once it has succeeded")


# What the export builders make (annotate.services.exports): JSON records and JSON-LD
# editions are objects, the rest files.
EXPORT_MEDIA_TYPES = {
    "text/html": OpenApiTypes.BINARY,
    "application/pdf": OpenApiTypes.BINARY,
    "text/markdown": OpenApiTypes.BINARY,
    "application/tei+xml": OpenApiTypes.BINARY,
    "application/zip": OpenApiTypes.BINARY,
    "application/ld+json": OpenApiTypes.OBJECT,
    "application/json": OpenApiTypes.OBJECT,
}


def job_data(job: ExportJob, request: Request) -> dict[str, Any]:
    ready = job.status == ExportJob.Status.SUCCEEDED and bool(job.file)
    return {
        "id": job.pk,
        "url": request.build_absolute_uri(reverse("api-export", args=[job.pk])),
        "kind": job.kind,
        "format": job.format,
        "document": job.document_id,
        "claim": job.claim_id,
        "seminar": job.seminar.slug,
        "status": job.status,
        "progress": job.progress,
        "error": job.error or None,
        "created": job.created_at.isoformat(),
        "download_url": request.build_absolute_uri(reverse("api-export-download", args=[job.pk]))
        if ready
        else None,
    }


def _seminar(user: Any, key: str) -> Seminar:
    """A seminar by slug or id, for a member; 404 for anyone else."""
    found = Seminar.objects.filter(slug=key).first()
    if found is None and key.isascii() and key.isdigit() and len(key) < 18:
        found = Seminar.objects.filter(pk=int(key)).first()
    if found is None or policy.membership_of(user, found) is None:
        raise Http404("No such seminar.")
    return found


def _job(request: Request, pk: int) -> ExportJob:
    return access.access_export(request.user, pk)


class ExportList(APIView):
    @extend_schema(
        request=ExportRequestSerializer,
        responses={
            202: ExportJobSerializer,
            404: error("No such text, claim or seminar for you"),
            429: error("Too many exports waiting or running, or asked for in an hour"),
        },
        operation_id="v1_exports_create",
        summary="Request an export; it is built in the background",
    )
    def post(self, request: Request) -> Response:
        params = ExportRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        user = signed_in_user(request)
        target: dict[str, Any] = {}
        if data["kind"] == ExportJob.Kind.EDITION and data.get("document"):
            target["document"], _ = access.access_document(user, data["document"])
        elif data["kind"] == ExportJob.Kind.CLAIM and data.get("claim"):
            target["claim"], _ = access.access_claim(user, data["claim"], whole=True)
        elif data["kind"] == ExportJob.Kind.ARCHIVE and data.get("seminar"):
            target["seminar"] = _seminar(user, data["seminar"])
        job = exports.export_request(
            user=user,
            kind=data["kind"],
            format=data["format"],
            options=data["options"],
            **target,
        )
        body = job_data(job, request)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(
        responses=ExportJobSerializer(many=True),
        operation_id="v1_exports_list",
        summary="My exports",
    )
    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        jobs = ExportJob.objects.filter(
            requested_by=user, seminar__memberships__user=user
        ).select_related("seminar")[:100]
        return Response([job_data(job, request) for job in jobs])


class ExportDetail(APIView):
    @extend_schema(
        responses=ExportJobSerializer,
        operation_id="v1_exports_retrieve",
        summary="An export's status, progress, error and download link",
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(job_data(_job(request, pk), request))


class ExportDownload(APIView):
    @extend_schema(
        responses={(200, media): kind for media, kind in EXPORT_MEDIA_TYPES.items()},
        operation_id="v1_exports_download",
        summary="The exported file",
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        job = _job(request, pk)
        return FileResponse(
            exports.export_open(job),
            as_attachment=True,
            filename=job.file_name,
            content_type=job.content_type,
        )
