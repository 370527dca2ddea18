"""HTML views for texts: import with a preview, the reader, corrections and history."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from redis.exceptions import RedisError

from annotate import rendering, selectors
from annotate.forms import CorrectionForm, ImportForm
from annotate.ingest.types import Ingested
from annotate.models import Annotation, ClaimStatus, Revision
from annotate.services import documents
from annotate.views.annotations import reader_blocks
from core import policy
from core.errors import ServiceError
from core.forms import apply_errors
from core.http import render_page, signed_in_user
from core.models import Membership
from core.policy import Action

IMPORT_PAGE = "annotate/import.html"
READER_PAGE = "annotate/reader.html"
logger = logging.getLogger(__name__)


def _source(form: ImportForm) -> tuple[str, str]:
    """The source text and its file name, from the upload or the paste box."""
    upload = form.cleaned_data.get("file")
    if upload:
        return documents.source_from_upload(upload.read()), upload.name or ""
    return form.cleaned_data["source_text"], ""


def _preview_context(ingested: Ingested, source: str) -> dict[str, Any]:
    views = rendering.block_views(
        SimpleNamespace(**ingested.as_dict()),
        [rendering.Range(s.start, s.end, "suspect") for s in ingested.suspects],
        joins=True,
    )
    return {
        "preview": ingested,
        "preview_blocks": views,
        "source_lines": source.splitlines(),
        "paragraphs": sum(1 for b in ingested.blocks if b.kind == "paragraph"),
        "headings": sum(1 for b in ingested.blocks if b.kind == "heading"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def document_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload or paste a text, preview the cleaned result (htmx), publish it."""
    seminar, membership = policy.access_seminar(request.user, slug, Action.EDIT_TEXTS)
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"seminar": seminar, "membership": membership, "form": form}
    if request.method == "GET" or not form.is_valid():
        status = 422 if form.errors else 200
        return render_page(request, IMPORT_PAGE, context, partial="preview", status=status)
    options = {k: form.cleaned_data[k] for k in ("format", "first_page", "language")}
    try:
        source, name = _source(form)
        if "publish" not in request.POST:
            ingested = documents.document_preview(source_text=source, **options)
            # The decoded source goes into the paste box, so Publish needs no second upload.
            data = request.POST.copy()
            data["source_text"] = source
            context.update(_preview_context(ingested, source), form=ImportForm(data))
            return render_page(request, IMPORT_PAGE, context, partial="preview")
        document = documents.document_import(
            seminar=seminar,
            user=signed_in_user(request),
            title=form.cleaned_data["title"],
            author=form.cleaned_data["author"],
            citation=form.cleaned_data["citation"],
            source_text=source,
            source_name=name,
            **options,
        )
    except ValidationError as error:
        apply_errors(form, error)
        return render_page(request, IMPORT_PAGE, context, partial="preview", status=422)
    except ServiceError as error:
        context["error"] = error.message
        return render_page(request, IMPORT_PAGE, context, partial="preview", status=error.status)
    messages.success(request, f"“{document.title}” is published in {seminar.name}.")
    if getattr(request, "htmx", False):
        return HttpResponse(status=204, headers={"HX-Redirect": document.get_absolute_url()})
    return redirect(document)


def _reader_context(
    request: HttpRequest, revision: Revision, membership: Membership, **extra: Any
) -> dict[str, Any]:
    document = revision.document
    user = signed_in_user(request)
    editor = policy.role_allows(membership.role, Action.EDIT_TEXTS)
    is_current = revision.pk == document.current_id
    show_suspects = editor and is_current
    filters = selectors.Filters.from_query(request.GET)
    suspects = revision.suspects if show_suspects else []
    newest = selectors.last_change(document)
    hide = request.GET.get("highlights") == "off"
    # What this member sees of the text changes only when an annotation they can see does
    # (every change moves `newest`), so the expensive part is cached under that stamp.
    shape = (revision.pk, newest and newest.timestamp(), user.pk, filters, hide, show_suspects)
    key = "reader:" + hashlib.sha256(repr(shape).encode()).hexdigest()
    try:
        cached = cache.get(key)
    except RedisError as error:  # the cache only saves work: without Redis, render afresh
        logger.warning("reader cache unavailable: %s", error)
        cached = None
    if cached is None:
        blocks = (
            rendering.block_views(revision)
            if hide
            else reader_blocks(user, document, revision, filters, suspects, membership=membership)
        )
        relocated = (
            selectors.on_revision(user, document, revision, membership=membership)
            .filter(anchor_status=Annotation.AnchorStatus.RELOCATED)
            .count()
            if is_current
            else 0
        )
        cached = (blocks, selectors.counts(user, document, revision, membership), relocated)
        with contextlib.suppress(RedisError):
            cache.set(key, cached, timeout=3600)
    blocks, counts, relocated = cached
    return {
        "seminar": document.seminar,
        "membership": membership,
        "document": document,
        "revision": revision,
        "is_current": is_current,
        "claim_statuses": ClaimStatus.choices,
        "blocks": blocks,
        "toc": rendering.headings(revision),
        "editor": editor,
        "can_participate": policy.role_allows(membership.role, Action.PARTICIPATE),
        "filters": filters,
        "counts": counts,
        "orphans": selectors.orphans(user, document, membership) if is_current else [],
        "relocated": relocated,
        "since": (newest or timezone.now()).isoformat(),
        "poll_ms": settings.READER_POLL_SECONDS * 1000,
        "suspects": list(enumerate(revision.suspects)) if show_suspects else [],
        "correction_form": extra.pop("correction_form", None)
        or CorrectionForm(initial={"base": revision.number}),
        **extra,
    }


@login_required
def reader(request: HttpRequest, slug: str, pk: int, number: int | None = None) -> HttpResponse:
    document, membership = policy.access_document(request.user, pk, seminar_slug=slug)
    if number is None:
        revision = document.current
    else:
        revision = document.revisions.filter(number=number).first()
    if revision is None:
        raise Http404("No such revision.")
    revision.document = document
    return render_page(request, READER_PAGE, _reader_context(request, revision, membership))


@login_required
@require_POST
def correct(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """An editor corrects a span; the reader reloads on the new revision."""
    document, membership = policy.access_document(
        request.user, pk, Action.EDIT_TEXTS, seminar_slug=slug
    )
    form = CorrectionForm(request.POST)
    current = document.current
    assert current is not None
    try:
        if not form.is_valid():
            raise ValidationError("Check the correction.")
        data = form.cleaned_data
        if data.get("start") is not None and data.get("end") is not None:
            edit = documents.Edit(data["start"], data["end"], data["replacement"], data["reason"])
            revision = documents.revision_correct(
                document=document,
                user=signed_in_user(request),
                edits=[edit],
                reason=data["reason"],
                base=data["base"],
            )
        else:
            revision = documents.revision_replace_quote(
                document=document,
                user=signed_in_user(request),
                paragraph=data["paragraph"],
                find=data["find"],
                replacement=data["replacement"],
                reason=data["reason"],
                base=data["base"],
            )
    except ValidationError as error:
        if hasattr(error, "error_dict") or error.messages != ["Check the correction."]:
            apply_errors(form, error)
        return _correction_failed(request, current, membership, form, 422)
    except ServiceError as error:
        form.add_error(None, error.message)
        return _correction_failed(request, current, membership, form, error.status)
    messages.success(request, f"Corrected: revision {revision.number} is published.")
    if getattr(request, "htmx", False):
        return HttpResponse(status=204, headers={"HX-Redirect": document.get_absolute_url()})
    return redirect(document)


def _correction_failed(
    request: HttpRequest, revision: Revision, membership: Any, form: CorrectionForm, status: int
) -> HttpResponse:
    context = _reader_context(request, revision, membership, correction_form=form)
    return render_page(request, READER_PAGE, context, partial="correction", status=status)


@login_required
def history(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    document, membership = policy.access_document(request.user, pk, seminar_slug=slug)
    revisions = document.revisions.select_related("created_by").order_by("-number")
    return render_page(
        request,
        "annotate/history.html",
        {
            "seminar": document.seminar,
            "document": document,
            "revisions": revisions,
            "membership": membership,
        },
    )


@login_required
def source(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The source exactly as imported, as plain text."""
    document, _ = policy.access_document(request.user, pk, seminar_slug=slug)
    response = HttpResponse(document.source_text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="source-{document.pk}.txt"'
    return response
