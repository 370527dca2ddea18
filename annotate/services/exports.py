"""Exports: requested in a request, built by a Celery task, stored through Django's storage.

The task is idempotent: a finished job is not rebuilt, and a re-run (after a worker died
mid-way; tasks are acks_late) writes the same file name again, so there is never a second
file. What an export contains is exactly what its requester may see.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from annotate import selectors
from annotate.models import Annotation, Document, ExportJob
from core import policy
from core.http import site_request
from core.models import Seminar, User
from core.policy import Action

Builder = Callable[[ExportJob], tuple[bytes, str, str]]  # → (content, file name, media type)
BUILDERS: dict[tuple[str, str], Builder] = {}


def builder(kind: str, format: str) -> Callable[[Builder], Builder]:
    def register(function: Builder) -> Builder:
        BUILDERS[(kind, format)] = function
        return function

    return register


def export_request(
    *,
    user: User,
    kind: str,
    format: str,
    document: Document | None = None,
    options: dict[str, Any] | None = None,
) -> ExportJob:
    """Create an export job (or reuse an identical one still in progress) and queue it."""
    options = _clean_options(options or {})
    if (kind, format) not in BUILDERS:
        formats = sorted(f for k, f in BUILDERS if k == kind)
        raise ValidationError(
            {
                "format": f"A {kind} export comes as: {', '.join(formats)}."
                if formats
                else f"Unknown export kind {kind!r}."
            }
        )
    if kind == ExportJob.Kind.EDITION and document is None:
        raise ValidationError({"document": "Choose the text to export."})
    assert document is not None
    policy.require(policy.membership_of(user, document.seminar), Action.VIEW)
    fingerprint = hashlib.sha256(
        json.dumps([user.pk, kind, format, document.pk, options], sort_keys=True).encode()
    ).hexdigest()
    with transaction.atomic():
        running = (
            ExportJob.objects.select_for_update()
            .filter(
                fingerprint=fingerprint,
                status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING],
            )
            .first()
        )
        if running:
            return running
        job = ExportJob.objects.create(
            seminar=document.seminar,
            requested_by=user,
            kind=kind,
            format=format,
            document=document,
            options=options,
            fingerprint=fingerprint,
        )
        _enqueue(job)
    return job


def _enqueue(job: ExportJob) -> None:
    from annotate.tasks import build_export  # tasks import this module

    transaction.on_commit(lambda: build_export.delay(job.pk))


def _clean_options(options: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(options, dict):
        raise ValidationError({"options": "Options are an object."})
    allowed = {"claims_only", "status", "member", "tag", "threads", "private"}
    unknown = set(options) - allowed
    if unknown:
        raise ValidationError({"options": f"Unknown options: {', '.join(sorted(unknown))}."})
    return {key: options[key] for key in sorted(options)}


@transaction.atomic
def export_retry(*, job: ExportJob, user: User) -> ExportJob:
    job = ExportJob.objects.select_for_update().get(pk=job.pk)
    if job.requested_by_id != user.pk:
        raise policy.PermissionDenied("Only who asked for an export can retry it.")
    if job.status == ExportJob.Status.FAILED:
        job.status, job.error, job.progress = ExportJob.Status.QUEUED, "", 0
        job.save(update_fields=["status", "error", "progress"])
        _enqueue(job)
    return job


def export_run(*, job_id: int) -> ExportJob:
    """Build the job's file (the Celery task's body). Safe to run twice."""
    with transaction.atomic():
        job = (
            ExportJob.objects.select_for_update(of=("self",))
            .select_related("requested_by", "document__seminar", "document__current")
            .get(pk=job_id)
        )
        if job.status == ExportJob.Status.SUCCEEDED:
            return job
        job.status, job.progress = ExportJob.Status.RUNNING, 5
        job.started_at, job.attempts = timezone.now(), job.attempts + 1
        job.save(update_fields=["status", "progress", "started_at", "attempts"])
    try:
        content, file_name, content_type = BUILDERS[(job.kind, job.format)](job)
    except Exception as error:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            finished_at=timezone.now(),
        )
        raise
    name = f"exports/{job.pk}/{file_name}"
    if default_storage.exists(name):  # a re-run after a crash: same name, one file
        default_storage.delete(name)
    stored = default_storage.save(name, ContentFile(content))
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.SUCCEEDED,
        progress=100,
        file=stored,
        file_name=file_name,
        content_type=content_type,
        finished_at=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=settings.EXPORT_KEEP_HOURS),
    )
    job.refresh_from_db()
    return job


def export_of(user: User, pk: int) -> ExportJob:
    """The user's own export, while they still belong to its seminar and may see its text."""
    from django.http import Http404

    job = ExportJob.objects.filter(pk=pk, requested_by=user).first()
    if job is None or policy.membership_of(user, job.seminar) is None:
        raise Http404("No such export.")
    if job.document_id:
        policy.access_document(user, job.document_id)
    return job


def export_open(job: ExportJob) -> Any:
    """The job's file, opened for reading; 404 while it has none, or once it expired."""
    from django.http import Http404

    if job.status != ExportJob.Status.SUCCEEDED or not job.file:
        raise Http404("This export has no file (yet, or any more).")
    if not default_storage.exists(job.file):
        raise Http404("This export's file has expired.")
    return default_storage.open(job.file, "rb")


def exports_expire(*, now: Any = None) -> int:
    """Delete the files of expired exports (Celery beat runs this)."""
    now = now or timezone.now()
    expired = ExportJob.objects.filter(expires_at__lt=now).exclude(file="")
    count = 0
    for job in expired:
        if job.file and default_storage.exists(job.file):
            default_storage.delete(job.file)
        ExportJob.objects.filter(pk=job.pk).update(file="")
        count += 1
    return count


def chosen_annotations(job: ExportJob) -> list[Annotation]:
    """What the requester may see of the text, narrowed by the job's options."""
    document, user = job.document, job.requested_by
    assert document is not None and document.current is not None
    found = selectors.visible(user, document).filter(
        revision=document.current, deleted_at__isnull=True
    )
    options = job.options
    if not options.get("private", True):
        found = found.filter(visibility=Annotation.Visibility.SEMINAR)
    if options.get("claims_only"):
        found = found.filter(kind=Annotation.Kind.CLAIM)
    if options.get("status"):
        found = found.filter(claim_status=options["status"])
    if options.get("member"):
        found = found.filter(author__username=options["member"])
    if options.get("tag"):
        found = found.filter(tags__contains=[options["tag"]])
    return list(selectors.with_threads(found).order_by("start", "pk"))


def file_stem(document: Document) -> str:
    return slugify(document.title)[:60] or f"text-{document.pk}"


@builder("edition", "jsonld")
def edition_jsonld(job: ExportJob) -> tuple[bytes, str, str]:
    """The chosen annotations as a W3C AnnotationCollection."""
    from annotate import w3c

    document = job.document
    assert document is not None
    request = site_request()
    items = [w3c.to_w3c(a, request, embedded=True) for a in chosen_annotations(job)]
    collection = {
        "@context": w3c.contexts(request),
        "type": "AnnotationCollection",
        "label": f"{document.title} — {document.seminar.name}",
        "total": len(items),
        "first": {"type": "AnnotationPage", "startIndex": 0, "items": items},
    }
    body = json.dumps(collection, ensure_ascii=False, indent=2).encode()
    return body, f"{file_stem(document)}.jsonld", w3c.MEDIA_TYPE


def seminar_of(job: ExportJob) -> Seminar:
    return job.seminar


def _edition(job: ExportJob) -> Any:
    from annotate.exports.edition import build_edition

    document = job.document
    assert document is not None and document.current is not None
    return build_edition(
        document,
        document.current,
        chosen_annotations(job),
        threads=bool(job.options.get("threads", True)),
        seminar_name=document.seminar.name,
        requester_name=job.requested_by.name,
        exported_at=timezone.now(),
    )


@builder("edition", "html")
def edition_html(job: ExportJob) -> tuple[bytes, str, str]:
    from annotate.exports.html import render_html

    assert job.document is not None
    return (
        render_html(_edition(job)).encode(),
        f"{file_stem(job.document)}.html",
        "text/html; charset=utf-8",
    )


@builder("edition", "markdown")
def edition_markdown(job: ExportJob) -> tuple[bytes, str, str]:
    from annotate.exports.markdown import render_markdown

    assert job.document is not None
    return (
        render_markdown(_edition(job)).encode(),
        f"{file_stem(job.document)}.md",
        "text/markdown; charset=utf-8",
    )


@builder("edition", "tei")
def edition_tei(job: ExportJob) -> tuple[bytes, str, str]:
    from annotate.exports.tei import render_tei

    assert job.document is not None
    return (
        render_tei(_edition(job)).encode(),
        f"{file_stem(job.document)}.tei.xml",
        "application/tei+xml",
    )


def refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """WeasyPrint's url_fetcher: an export fetches nothing, neither from the network nor
    from the disk, whatever a member's Markdown asks for."""
    raise ValueError(f"exports fetch nothing ({url[:80]})")


@builder("edition", "pdf")
def edition_pdf(job: ExportJob) -> tuple[bytes, str, str]:
    """The HTML edition printed by WeasyPrint, with running heads and page numbers."""
    from weasyprint import CSS, HTML

    from annotate.exports.html import render_html

    assert job.document is not None
    edition = _edition(job)
    title = job.document.title.replace("\\\\", "").replace('"', "'")[:80]
    pages = CSS(
        string=(
            "@page { size: A4; margin: 22mm 20mm;"
            f' @top-center {{ content: "{title}"; font-size: 8pt; color: #666; }}'
            ' @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; } }'
        ),
        url_fetcher=refuse_fetch,
    )
    pdf = HTML(string=render_html(edition), url_fetcher=refuse_fetch).write_pdf(stylesheets=[pages])
    return pdf or b"", f"{file_stem(job.document)}.pdf", "application/pdf"
