"""The exports page: request an edition, watch it being built (htmx polling), download it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from annotate.models import ExportJob
from annotate.services import exports
from core import policy
from core.errors import ServiceError
from core.http import render_page, signed_in_user

FORMATS = [
    ("html", "HTML"),
    ("markdown", "Markdown"),
    ("tei", "TEI P5 XML"),
    ("jsonld", "W3C JSON-LD"),
]


def _jobs(request: HttpRequest) -> list[ExportJob]:
    mine = ExportJob.objects.filter(requested_by=signed_in_user(request)).select_related(
        "document", "seminar"
    )[:50]
    return [job for job in mine if policy.membership_of(request.user, job.seminar)]


@login_required
def export_list(request: HttpRequest) -> HttpResponse:
    jobs = _jobs(request)
    busy = any(job.status in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING) for job in jobs)
    return render_page(
        request, "annotate/exports.html", {"jobs": jobs, "busy": busy}, partial="jobs"
    )


@login_required
@require_POST
def export_create(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    document, _ = policy.access_document(request.user, pk, seminar_slug=slug)
    options = {
        "threads": request.POST.get("threads") == "1",
        "claims_only": request.POST.get("claims_only") == "1",
        "private": request.POST.get("private") == "1",
    }
    try:
        exports.export_request(
            user=signed_in_user(request),
            kind="edition",
            format=request.POST.get("format", ""),
            document=document,
            options=options,
        )
    except (ValidationError, ServiceError) as error:
        messages.error(
            request,
            " ".join(error.messages) if isinstance(error, ValidationError) else error.message,
        )
        return redirect(document)
    messages.success(request, "Your export is being built; it appears below when ready.")
    return redirect("exports")


@login_required
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    """Checked on every request: a link to a file is not a permission to read it."""
    job = exports.export_of(signed_in_user(request), pk)
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
    exports.export_retry(job=exports.export_of(user, pk), user=user)
    return redirect("exports")
