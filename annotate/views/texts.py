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
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from redis.exceptions import RedisError

from annotate import access, rendering, selectors
from annotate.forms import CorrectionForm, ImportForm
from annotate.ingest.types import Ingested
from annotate.models import Annotation, ClaimStatus, Document, ImportJob, Revision
from annotate.services import documents, imports
from annotate.views.annotations import reader_blocks
from core import policy
from core.errors import ServiceError
from core.forms import apply_errors
from core.http import is_htmx, render_page, signed_in_user, with_retry_after
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


def _preview_context(preview: dict[str, Any], source: str) -> dict[str, Any]:
    """What the import page shows of a reading (an `Ingested.as_dict()`, fresh or from a job)."""
    views = rendering.block_views(
        SimpleNamespace(**preview),
        [rendering.Range(s["start"], s["end"], "suspect") for s in preview["suspects"]],
        joins=True,
    )
    return {
        "preview": preview,
        "preview_blocks": views,
        "source_lines": source.splitlines(),
        "paragraphs": sum(1 for b in preview["blocks"] if b["kind"] == "paragraph"),
        "headings": sum(1 for b in preview["blocks"] if b["kind"] == "heading"),
    }


def _filled_form(data: dict[str, Any], source: str) -> ImportForm:
    """The form as sent, with the decoded source in the paste box (Publish needs no second
    upload)."""
    fields = {k: v for k, v in data.items() if k in ImportForm.base_fields and k != "file"}
    return ImportForm({**fields, "source_text": source})


@login_required
@require_http_methods(["GET", "POST"])
def document_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload or paste a text, preview the cleaned result (htmx), publish it. A long text is
    read by a job: the page then shows its progress (import_job) until the result is in."""
    seminar, membership = policy.access_seminar(request.user, slug, Action.EDIT_TEXTS)
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"seminar": seminar, "membership": membership, "form": form}
    if request.method == "GET" or not form.is_valid():
        status = 422 if form.errors else 200
        return render_page(request, IMPORT_PAGE, context, partial="preview", status=status)
    options = {k: form.cleaned_data[k] for k in ("format", "first_page", "language")}
    user = signed_in_user(request)
    result: Ingested | Document | ImportJob
    try:
        source, name = _source(form)
        if "publish" not in request.POST:
            result = imports.text_preview_request(
                seminar=seminar,
                user=user,
                source_text=source,
                source_name=name,
                described={k: form.cleaned_data[k] for k in ("title", "author", "citation")},
                **options,
            )
        else:
            result = imports.text_publish_request(
                seminar=seminar,
                user=user,
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
        response = render_page(
            request, IMPORT_PAGE, context, partial="preview", status=error.status
        )
        return with_retry_after(response, error)
    context["form"] = _filled_form(request.POST.dict(), source)
    if isinstance(result, ImportJob):
        context["job"] = result
        return render_page(request, IMPORT_PAGE, context, partial="preview", status=202)
    if isinstance(result, Ingested):
        context.update(_preview_context(result.as_dict(), source))
        return render_page(request, IMPORT_PAGE, context, partial="preview")
    return _published(request, result)


def _published(request: HttpRequest, document: Document) -> HttpResponse:
    messages.success(request, f"“{document.title}” is published in {document.seminar.name}.")
    if is_htmx(request):
        return HttpResponseClientRedirect(document.get_absolute_url())
    return redirect(document)


@login_required
@require_GET
def import_job(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A long text being read: its progress (polled by htmx, refreshed without it), then the
    preview, the published text, or what went wrong, with the form as the editor sent it."""
    job = access.access_import(request.user, pk)
    if job.seminar.slug != slug:
        raise Http404("No such import.")
    seminar, membership = policy.access_seminar(request.user, slug, Action.EDIT_TEXTS)
    if job.status == ImportJob.Status.SUCCEEDED and job.document is not None:
        return _published(request, job.document)
    typed = {**job.options, **job.options.get("described", {})}
    form = _filled_form({k: "" if v is None else v for k, v in typed.items()}, job.source_text)
    context: dict[str, Any] = {"seminar": seminar, "membership": membership, "form": form}
    if job.active:
        context["job"] = job
    elif job.status == ImportJob.Status.FAILED:
        context["error"] = job.error
    elif job.result is not None:
        context.update(_preview_context(job.result, job.source_text))
    return render_page(request, IMPORT_PAGE, context, partial="preview")


def _reader_context(
    request: HttpRequest, revision: Revision, membership: Membership, **extra: Any
) -> dict[str, Any]:
    document = revision.document
    viewer = access.Viewer(signed_in_user(request), membership)
    editor = policy.role_allows(membership.role, Action.EDIT_TEXTS)
    is_current = revision.pk == document.current_id
    show_suspects = editor and is_current
    filters = selectors.Filters.from_query(request.GET)
    suspects = revision.suspects if show_suspects else []
    newest = selectors.last_change(viewer, document)
    hide = request.GET.get("highlights") == "off"
    # What this member sees of the text changes only when an annotation they can see does
    # (every change moves `newest`), so the expensive part is cached under that stamp.
    stamp = newest and newest.timestamp()
    shape = (revision.pk, stamp, viewer.pk, viewer.role, filters, hide, show_suspects)
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
            else reader_blocks(viewer, document, revision, filters, suspects)
        )
        relocated = (
            selectors.on_revision(viewer, document, revision)
            .filter(anchor_status=Annotation.AnchorStatus.RELOCATED)
            .count()
            if is_current
            else 0
        )
        cached = (blocks, selectors.counts(viewer, document, revision), relocated)
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
        "orphans": selectors.orphans(viewer, document) if is_current else [],
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
    document, membership = access.access_document(request.user, pk, seminar_slug=slug)
    selectors.with_text(document)
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
    document, membership = access.access_document(
        request.user, pk, Action.EDIT_TEXTS, seminar_slug=slug
    )
    selectors.with_text(document)
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
    if is_htmx(request):
        return HttpResponseClientRedirect(document.get_absolute_url())
    return redirect(document)


def _correction_failed(
    request: HttpRequest, revision: Revision, membership: Any, form: CorrectionForm, status: int
) -> HttpResponse:
    context = _reader_context(request, revision, membership, correction_form=form)
    return render_page(request, READER_PAGE, context, partial="correction", status=status)


@login_required
def history(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    document, membership = access.access_document(request.user, pk, seminar_slug=slug)
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
    document, _ = access.access_document(request.user, pk, seminar_slug=slug)
    response = HttpResponse(document.source_text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="source-{document.pk}.txt"'
    return response
