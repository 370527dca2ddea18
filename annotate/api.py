"""The texts API: import documents, read their revisions, correct them. Thin over services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate import access, selectors
from annotate.ingest.types import Ingested
from annotate.models import Document, ImportJob, Revision
from annotate.services import documents, imports
from core import policy
from core.api.errors import JSONParser, error
from core.errors import PayloadTooLarge
from core.http import signed_in_user
from core.policy import Action


class BlockSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["heading", "paragraph"])
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    page = serializers.CharField()
    number = serializers.IntegerField(allow_null=True)
    level = serializers.IntegerField()


class PageSerializer(serializers.Serializer[Any]):
    # `label` is also an attribute of every DRF field, so it is declared here.
    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {"label": serializers.CharField(), "start": serializers.IntegerField()}


class RefSerializer(serializers.Serializer[Any]):
    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {"label": serializers.CharField(), "offset": serializers.IntegerField()}


class SuspectSerializer(serializers.Serializer[Any]):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    text = serializers.CharField()
    suggestions = serializers.ListField(child=serializers.CharField())


class RevisionSerializer(serializers.Serializer[Any]):
    """A revision's text and structure; offsets count code points of `text`."""

    number = serializers.IntegerField(required=False)
    text = serializers.CharField()
    blocks = BlockSerializer(many=True)
    pages = PageSerializer(many=True)
    footnote_refs = RefSerializer(many=True)
    suspect_words = SuspectSerializer(many=True, source="suspects")
    created_at = serializers.DateTimeField(required=False)
    created_by = serializers.CharField(source="created_by.username", default=None)
    reason = serializers.CharField(required=False)
    edits = serializers.ListField(child=serializers.DictField(), required=False)


class RevisionSummarySerializer(serializers.ModelSerializer[Revision]):
    created_by = serializers.CharField(source="created_by.username", default=None)

    class Meta:
        model = Revision
        fields = ["number", "created_at", "created_by", "reason", "edits"]


class DocumentSerializer(serializers.ModelSerializer[Document]):
    seminar = serializers.CharField(source="seminar.slug")
    revision = RevisionSerializer(source="current")

    class Meta:
        model = Document
        fields = [
            "id",
            "title",
            "author",
            "citation",
            "language",
            "seminar",
            "source_format",
            "created_at",
            "revision",
        ]


class DocumentListSerializer(serializers.ModelSerializer[Document]):
    seminar = serializers.CharField(source="seminar.slug")
    revision = serializers.IntegerField(source="current.number")

    class Meta:
        model = Document
        fields = ["id", "title", "author", "seminar", "revision", "created_at"]


class PreviewSerializer(serializers.Serializer[Any]):
    """What an import would publish (`preview: true`), without saving it."""

    format = serializers.CharField(help_text="The format it was read as: ocr, markdown or plain")
    revision = RevisionSerializer()
    warnings = serializers.ListField(child=serializers.CharField())


class ImportJobSerializer(serializers.ModelSerializer[ImportJob]):
    """A long text being read for a preview or a publication (POST /api/v1/documents/ answered
    202 with it): poll `url` until `status` is succeeded or failed."""

    url = serializers.SerializerMethodField()
    seminar = serializers.CharField(source="seminar.slug")
    document = serializers.SerializerMethodField(
        help_text="The published text (a publication that succeeded), else null"
    )
    preview = serializers.SerializerMethodField(
        help_text="What the import would publish (a preview that succeeded), else null"
    )
    result = serializers.SerializerMethodField(
        help_text="What became of each W3C annotation (an annotation import that succeeded), "
        "as POST …/import-annotations/ answers one made at once; else null"
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "url",
            "kind",
            "status",
            "seminar",
            "source_name",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "document",
            "preview",
            "result",
        ]

    def get_url(self, job: ImportJob) -> str:
        return reverse("api-import", args=[job.pk])

    @extend_schema_field(DocumentSerializer(allow_null=True))
    def get_document(self, job: ImportJob) -> dict[str, Any] | None:
        return DocumentSerializer(job.document).data if job.document else None

    @extend_schema_field(PreviewSerializer(allow_null=True))
    def get_preview(self, job: ImportJob) -> dict[str, Any] | None:
        if job.kind != ImportJob.Kind.PREVIEW or job.result is None:
            return None
        return _preview_data(job.result)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_result(self, job: ImportJob) -> dict[str, Any] | None:
        """A W3C import that succeeded: what became of each item, else null."""
        return job.result if job.kind == ImportJob.Kind.ANNOTATIONS else None


class DocumentCreateSerializer(serializers.Serializer[Any]):
    seminar = serializers.SlugField()
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    source_text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    file = serializers.FileField(required=False)
    format = serializers.ChoiceField(choices=list(documents.FORMATS), default="auto")
    first_page = serializers.IntegerField(
        required=False, allow_null=True, min_value=-99_999, max_value=99_999
    )
    author = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    citation = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    language = serializers.CharField(max_length=16, required=False, default="en")
    preview = serializers.BooleanField(default=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if ("file" in data) == ("source_text" in data):
            raise serializers.ValidationError("Send either `source_text` or `file`, not both.")
        if not data.get("preview") and not (data.get("title") or "").strip():
            raise serializers.ValidationError({"title": "A document needs a title."})
        return data


class EditSerializer(serializers.Serializer[Any]):
    start = serializers.IntegerField(min_value=0)
    end = serializers.IntegerField(min_value=0)
    replacement = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=2000)
    reason = serializers.CharField(allow_blank=True, required=False, default="", max_length=500)


class CorrectionSerializer(serializers.Serializer[Any]):
    edits = EditSerializer(many=True, allow_empty=False, max_length=500)  # type: ignore[call-arg]
    reason = serializers.CharField(allow_blank=True, required=False, default="", max_length=500)
    base = serializers.IntegerField(
        required=False, min_value=1, help_text="The revision the offsets refer to (409 if stale)."
    )


def _preview_data(data: dict[str, Any]) -> dict[str, Any]:
    """A reading (`Ingested.as_dict()`) as the API shows a preview."""
    return {
        "format": data["format"],
        "revision": RevisionSerializer(data).data,
        "warnings": data["warnings"],
    }


class DocumentList(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        responses={
            200: DocumentListSerializer(many=True),
            404: error("No such seminar, or not yours"),
        },
        parameters=[OpenApiParameter("seminar", str, description="A seminar's slug")],
        summary="Texts in my seminars (?seminar=slug narrows to one)",
    )
    def get(self, request: Request) -> Response:
        found = Document.objects.visible_to(request.user).select_related("seminar", "current")
        slug = request.query_params.get("seminar")
        if slug:
            policy.access_seminar(request.user, slug)
            found = found.filter(seminar__slug=slug)
        return Response(DocumentListSerializer(found.order_by("title", "pk"), many=True).data)

    @extend_schema(
        request=DocumentCreateSerializer,
        responses={
            201: DocumentSerializer,
            200: PreviewSerializer,
            202: ImportJobSerializer,
            404: error("No such seminar, or not yours"),
            429: error("Too many imports or previews, or too many texts being read at once"),
            422: error("The text is empty, or cannot be read as its format"),
        },
        summary="Import a text (JSON with source_text, or multipart with file); "
        "preview: true returns the result without saving. A long text answers 202 with a job "
        "to poll",
    )
    def post(self, request: Request) -> Response:
        params = DocumentCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        seminar, _ = policy.access_seminar(request.user, data["seminar"], Action.EDIT_TEXTS)
        name = ""
        if "file" in data:
            upload = data["file"]
            if upload.size and upload.size > settings.UPLOAD_MAX_BYTES:
                raise PayloadTooLarge(
                    f"The file is {upload.size / 1e6:.1f} MB; the largest text Glossa accepts "
                    f"is {settings.UPLOAD_MAX_BYTES / 1e6:.1f} MB."
                )
            source, name = documents.source_from_upload(upload.read()), upload.name or ""
        else:
            source = data["source_text"]
        options = {k: data.get(k) for k in ("format", "first_page", "language")}
        described = {k: data.get(k) or "" for k in ("title", "author", "citation")}
        user = signed_in_user(request)
        result: Ingested | Document | ImportJob
        if data["preview"]:
            result = imports.text_preview_request(
                seminar=seminar,
                user=user,
                source_text=source,
                source_name=name,
                described=described,
                **options,
            )
        else:
            result = imports.text_publish_request(
                seminar=seminar,
                user=user,
                source_text=source,
                source_name=name,
                title=described["title"],
                author=described["author"],
                citation=described["citation"],
                **options,
            )
        if isinstance(result, ImportJob):
            body = ImportJobSerializer(result).data
            return Response(
                body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]}
            )
        if isinstance(result, Ingested):
            return Response(_preview_data(result.as_dict()))
        return Response(DocumentSerializer(result).data, status=status.HTTP_201_CREATED)


class ImportJobDetail(APIView):
    @extend_schema(
        responses={200: ImportJobSerializer, 404: error("No such import, or not yours")},
        summary="A long text being read (202 from POST /api/v1/documents/): its status, then "
        "the preview or the published document",
    )
    def get(self, request: Request, pk: int) -> Response:
        job = access.access_import(request.user, pk)
        return Response(ImportJobSerializer(job).data)


class DocumentDetail(APIView):
    @extend_schema(responses=DocumentSerializer, summary="A text and its current revision")
    def get(self, request: Request, pk: int) -> Response:
        document, _ = access.access_document(request.user, pk)
        return Response(DocumentSerializer(selectors.with_text(document)).data)


class RevisionList(APIView):
    @extend_schema(
        responses=RevisionSummarySerializer(many=True),
        summary="Every revision of a text: who, when, why",
    )
    def get(self, request: Request, pk: int) -> Response:
        document, _ = access.access_document(request.user, pk)
        revisions = document.revisions.select_related("created_by").order_by("number")
        return Response(RevisionSummarySerializer(revisions, many=True).data)

    @extend_schema(
        request=CorrectionSerializer,
        responses={
            201: RevisionSerializer,
            409: error("`base` is not the current revision"),
            422: error("Edits outside the text, overlapping, or across blocks"),
        },
        summary="Correct the current revision (editors); makes a new revision",
    )
    def post(self, request: Request, pk: int) -> Response:
        document, _ = access.access_document(request.user, pk, Action.EDIT_TEXTS)
        selectors.with_text(document)
        body = {"edits": request.data} if isinstance(request.data, list) else request.data
        params = CorrectionSerializer(data=body)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        revision = documents.revision_correct(
            document=document,
            user=signed_in_user(request),
            edits=[documents.Edit(**edit) for edit in data["edits"]],
            reason=data["reason"],
            base=data.get("base"),
        )
        return Response(RevisionSerializer(revision).data, status=status.HTTP_201_CREATED)


class RevisionDetail(APIView):
    @extend_schema(responses=RevisionSerializer, summary="One revision of a text")
    def get(self, request: Request, pk: int, number: int) -> Response:
        document, _ = access.access_document(request.user, pk)
        revision = get_object_or_404(document.revisions.select_related("created_by"), number=number)
        return Response(RevisionSerializer(revision).data)
