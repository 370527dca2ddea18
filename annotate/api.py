"""The texts API: import documents, read their revisions, correct them. Thin over services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.ingest.types import Ingested
from annotate.models import Document, Revision
from annotate.services import documents
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


def _preview_data(ingested: Ingested) -> dict[str, Any]:
    data = ingested.as_dict()
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
            404: error("No such seminar, or not yours"),
            422: error("The text is empty, or cannot be read as its format"),
        },
        summary="Import a text (JSON with source_text, or multipart with file); "
        "preview: true returns the result without saving",
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
        if data["preview"]:
            ingested = documents.document_preview(source_text=source, **options)
            return Response(_preview_data(ingested))
        document = documents.document_import(
            seminar=seminar,
            user=signed_in_user(request),
            title=data["title"],
            author=data["author"],
            citation=data["citation"],
            source_text=source,
            source_name=name,
            **options,
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class DocumentDetail(APIView):
    @extend_schema(responses=DocumentSerializer, summary="A text and its current revision")
    def get(self, request: Request, pk: int) -> Response:
        document, _ = policy.access_document(request.user, pk)
        return Response(DocumentSerializer(document).data)


class RevisionList(APIView):
    @extend_schema(
        responses=RevisionSummarySerializer(many=True),
        summary="Every revision of a text: who, when, why",
    )
    def get(self, request: Request, pk: int) -> Response:
        document, _ = policy.access_document(request.user, pk)
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
        document, _ = policy.access_document(request.user, pk, Action.EDIT_TEXTS)
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
        document, _ = policy.access_document(request.user, pk)
        revision = get_object_or_404(document.revisions.select_related("created_by"), number=number)
        return Response(RevisionSerializer(revision).data)
