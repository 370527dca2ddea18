"""The exports page: request an edition, a claim record or a seminar archive, watch it being
built (htmx polling), download it.

An export refused (past the limits, or asked wrongly) answers with its status and the form
again, as it was filled in, with the reason: in place for htmx (the reader's form), as a page
of its own without JavaScript."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from annotate import access
from annotate.models import Annotation, ClaimStatus, Document, ExportJob
from annotate.services import exports
from core import policy
from core.errors import ServiceError, TooManyRequests, refusal
from core.http import is_htmx, refuse_floods, render_page, signed_in_user, with_retry_after
from core.models import Seminar

FORM_PAGE = "annotate/export_request.html"
CLAIM_FORMATS = [("html", "HTML"), ("pdf", "PDF"), ("markdown", "Markdown"), ("json", "JSON")]


def _jobs(request: HttpRequest) -> list[ExportJob]:
    mine = ExportJob.objects.filter(requested_by=signed_in_user(request)).select_related(
        "document", "seminar", "claim"
    )[:50]
    return [job for job in mine if policy.membership_of(request.user, job.seminar)]


@login_required
def export_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


def _list(request: HttpRequest, error: ServiceError | None = None) -> HttpResponse:
    jobs = _jobs(request)
    busy = any(job.status in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING) for job in jobs)
    response = render_page(
        request,
        "annotate/exports.html",
        {
            "jobs": jobs,
            "busy": busy,
            "keep_hours": settings.EXPORT_KEEP_HOURS,
            "error": error and error.message,
        },
        partial="jobs",
        status=error.status if error else 200,
    )
    return with_retry_after(response, error)


def _options(post: QueryDict) -> dict[str, Any]:
    """The export form's choices as export options (unchecked boxes are absent)."""
    options: dict[str, Any] = {
        name: post.get(name) == "1" for name in ("threads", "claims_only", "private", "log")
    }
    for name in ("status", "member", "tag"):
        value = str(post.get(name, "")).strip()
        if value:
            options[name] = value
    return options


def _request(request: HttpRequest, back: str, **target: Any) -> HttpResponse:
    format, options = request.POST.get("format", ""), _options(request.POST)
    try:
        exports.export_request(
            user=signed_in_user(request), format=format, options=options, **target
        )
    except (ValidationError, ServiceError) as error:
        return _refused(request, error, back, format, options, **target)
    messages.success(request, "Your export is being built; it appears below when ready.")
    if is_htmx(request):
        return HttpResponseClientRedirect(reverse("exports"))
    return redirect("exports")


def _refused(
    request: HttpRequest,
    error: ValidationError | ServiceError,
    back: str,
    format: str,
    options: dict[str, Any],
    *,
    kind: str,
    document: Document | None = None,
    claim: Annotation | None = None,
    seminar: Seminar | None = None,
) -> HttpResponse:
    """The form again, as it was filled in, with why it was refused."""
    if document is not None:
        seminar = document.seminar
    elif claim is not None:
        seminar = claim.seminar
    context = {
        "export_kind": kind,
        "export_error": refusal(error)[0],
        "chosen": options,
        "chosen_format": format,
        "document": document,
        "claim": claim,
        "seminar": seminar,
        "claim_statuses": ClaimStatus.choices,
        "claim_formats": CLAIM_FORMATS,
        "back": back,
    }
    response = render_page(request, FORM_PAGE, context, partial="form", status=refusal(error)[1])
    return with_retry_after(response, error)


@login_required
@require_POST
@refuse_floods("export")
def export_create(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """An annotated edition of a text."""
    document, _ = access.access_document(request.user, pk, seminar_slug=slug)
    return _request(request, document.get_absolute_url(), kind="edition", document=document)


@login_required
@require_POST
@refuse_floods("export")
def claim_export_create(request: HttpRequest, slug: str, aid: int) -> HttpResponse:
    """The record of one claim's discussion."""
    viewer = access.Viewer.at(request.user, slug)
    claim, _ = access.access_claim(request.user, aid, seminar=viewer.seminar, whole=True)
    return _request(request, reverse("claim", args=[slug, aid]), kind="claim", claim=claim)


@login_required
@require_POST
@refuse_floods("export")
def archive_create(request: HttpRequest, slug: str) -> HttpResponse:
    """The whole seminar as a zip: every edition, every claim record, the log."""
    seminar, _ = policy.access_seminar(request.user, slug)
    return _request(request, reverse("seminar", args=[slug]), kind="archive", seminar=seminar)


@login_required
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    """Checked on every request: a link to a file is not a permission to read it."""
    job = access.access_export(request.user, pk)
    return FileResponse(
        exports.export_open(job),
        as_attachment=True,
        filename=job.file_name,
        content_type=job.content_type,
    )


@login_required
@require_POST
def export_retry(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    try:
        exports.export_retry(job=access.access_export(user, pk), user=user)
    except TooManyRequests as error:
        return _list(request, error)
    return redirect("exports")
