"""The exports API: request an export (202), follow it, download it (permission checked)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.models import ExportJob
from annotate.services import exports
from core import policy
from core.http import signed_in_user


class ExportRequestSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ExportJob.Kind.choices)
    document = serializers.IntegerField(required=False, min_value=1)
    format = serializers.CharField(max_length=16)
    options = serializers.DictField(required=False, default=dict)


def job_data(job: ExportJob, request: Request) -> dict[str, Any]:
    ready = job.status == ExportJob.Status.SUCCEEDED and bool(job.file)
    return {
        "id": job.pk,
        "url": request.build_absolute_uri(reverse("api-export", args=[job.pk])),
        "kind": job.kind,
        "format": job.format,
        "document": job.document_id,
        "status": job.status,
        "progress": job.progress,
        "error": job.error or None,
        "created": job.created_at.isoformat(),
        "download_url": request.build_absolute_uri(reverse("api-export-download", args=[job.pk]))
        if ready
        else None,
    }


def _job(request: Request, pk: int) -> ExportJob:
    return exports.export_of(signed_in_user(request), pk)


class ExportList(APIView):
    @extend_schema(
        request=ExportRequestSerializer,
        responses={202: dict},
        operation_id="v1_exports_create",
        summary="Request an export; it is built in the background",
    )
    def post(self, request: Request) -> Response:
        params = ExportRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        document = None
        if data.get("document"):
            document, _ = policy.access_document(request.user, data["document"])
        job = exports.export_request(
            user=signed_in_user(request),
            kind=data["kind"],
            format=data["format"],
            document=document,
            options=data["options"],
        )
        body = job_data(job, request)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(responses=dict, operation_id="v1_exports_list", summary="My exports")
    def get(self, request: Request) -> Response:
        jobs = ExportJob.objects.filter(requested_by=signed_in_user(request))[:100]
        return Response([job_data(job, request) for job in jobs])


class ExportDetail(APIView):
    @extend_schema(
        responses=dict,
        operation_id="v1_exports_retrieve",
        summary="An export's status, progress, error and download link",
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(job_data(_job(request, pk), request))


class ExportDownload(APIView):
    @extend_schema(
        responses={(200, "application/octet-stream"): bytes},
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
