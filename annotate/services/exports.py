"""Exports: requested in a request, built by a Celery task, stored through Django's storage.

The task is idempotent: a finished job is not rebuilt, and a re-run (after a worker died
mid-way; tasks are acks_late) writes the same file name again, so there is never a second
file. What an export contains is exactly what its requester may see.

Fair shares of the workers: a member has at most EXPORT_MAX_ACTIVE jobs queued or running,
asks for at most RATE_LIMITS["export"] in an hour, and only one of their jobs is with Celery
at a time. The others wait here, unsent (dispatched_at empty), and the next is sent when the
one in flight ends: so another member's export, queued behind at most that one job, never
waits for a whole burst. Every decision to send is taken under a lock on the member's row;
a sweep (Celery beat) sends what a lost message or a broker outage left waiting.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.text import slugify
from kombu.exceptions import OperationalError as BrokerError

from annotate import access, selectors
from annotate.models import (
    Annotation,
    ClaimStatus,
    ClaimStatusChange,
    Dispute,
    Document,
    ExportJob,
    ModerationEvent,
)
from annotate.services import notifications
from core import enqueue, policy, ratelimit
from core.errors import TooManyRequests
from core.http import site_request
from core.models import Seminar, User
from core.policy import Action
from core.services.accounts import member_lock

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
NOT_QUEUED = "The export could not be queued (the job queue is not answering); retry it shortly."
ACTIVE = (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING)
# When to try again past the cap: most exports take seconds, a big PDF a minute or so.
FULL_RETRY_AFTER = 30
HTML_TYPE = "text/html; charset=utf-8"
MARKDOWN_TYPE = "text/markdown; charset=utf-8"
PDF_TYPE = "application/pdf"
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
    claim: Annotation | None = None,
    seminar: Seminar | None = None,
    options: dict[str, Any] | None = None,
) -> ExportJob:
    """Create an export job (or reuse an identical one still in progress) and queue it.

    An edition needs the `document`, a claim record the `claim`, an archive the `seminar`;
    the caller has checked the user may see it (this checks again, it costs little).
    """
    if kind not in ExportJob.Kind.values:
        raise ValidationError({"kind": f"Unknown export kind {kind!r}."})
    if (kind, format) not in BUILDERS:
        formats = sorted(f for k, f in BUILDERS if k == kind)
        article = "An" if kind[0] in "aeiou" else "A"
        raise ValidationError(
            {"format": f"{article} {kind} export comes as: {', '.join(formats)}."}
        )
    options = _clean_options(options or {})
    if kind == ExportJob.Kind.EDITION:
        if document is None:
            raise ValidationError({"document": "Choose the text to export."})
        claim, seminar = None, document.seminar
        access.access_document(user, document.pk)
    elif kind == ExportJob.Kind.CLAIM:
        if claim is None:
            raise ValidationError({"claim": "Choose the claim to export."})
        document, seminar = None, claim.seminar
        access.access_claim(user, claim.pk, whole=True)
    else:
        if seminar is None:
            raise ValidationError({"seminar": "Choose the seminar to archive."})
        document, claim = None, None
        policy.require(policy.membership_of(user, seminar), Action.VIEW)
    target = [kind, format, seminar.pk, document and document.pk, claim and claim.pk]
    fingerprint = hashlib.sha256(
        json.dumps([user.pk, *target, options], sort_keys=True).encode()
    ).hexdigest()
    ratelimit.check(user.pk, "export")
    with transaction.atomic():
        member_lock(user_id=user.pk)  # concurrent requests by one member are counted one at a time
        active = ExportJob.objects.filter(requested_by=user, status__in=ACTIVE)
        running = active.filter(fingerprint=fingerprint).first()
        if running:
            return running
        _refuse_past_cap(active.count())
        job = ExportJob.objects.create(
            seminar=seminar,
            requested_by=user,
            kind=kind,
            format=format,
            document=document,
            claim=claim,
            options=options,
            fingerprint=fingerprint,
        )
        if _dispatch_next(user.pk) != job:
            transaction.on_commit(lambda: _fail_unless_queue_answers(job.pk))
    return job


def _refuse_past_cap(active: int) -> None:
    if active >= settings.EXPORT_MAX_ACTIVE:
        raise TooManyRequests(
            f"You have {active} export{'s' if active != 1 else ''} waiting or running; "
            "wait for one to finish.",
            retry_after=FULL_RETRY_AFTER,
        )


def _dispatch_next(user_id: int) -> ExportJob | None:
    """Send the member's oldest waiting job to Celery, unless one of theirs is already there
    (queued or being built); the job sent, if any. Under member_lock()."""
    mine = ExportJob.objects.filter(requested_by_id=user_id, status__in=ACTIVE)
    if mine.filter(dispatched_at__isnull=False).exists():
        return None
    job = (
        mine.filter(status=ExportJob.Status.QUEUED, dispatched_at__isnull=True)
        .order_by("created_at", "pk")
        .first()
    )
    if job is None:
        return None
    job.dispatched_at = timezone.now()
    job.save(update_fields=["dispatched_at"])
    _enqueue(job)
    return job


def export_dispatch_next(*, user_id: int) -> ExportJob | None:
    """One of the member's jobs ended (or was found waiting): send the next, if it is due."""
    with transaction.atomic():
        member_lock(user_id=user_id)
        return _dispatch_next(user_id)


def _job_ended(user_id: int) -> None:
    """After the transaction that ended a job commits, its member's next job goes out."""
    transaction.on_commit(lambda: export_dispatch_next(user_id=user_id))


BUILD = "annotate.tasks.build_export"


def _enqueue(job: ExportJob) -> None:
    build_export = enqueue.task(BUILD)

    def send() -> None:
        in_worker = _in_worker()
        # A worker sending the next job waits out a short broker outage (it can take no other
        # task meanwhile anyway); a request answers at once.
        patience = {"retry_policy": PATIENT} if in_worker else {}
        try:
            build_export.apply_async((job.pk,), **patience)
        except Exception as error:  # kombu also raises AttributeError when Redis dies mid-send
            logger.error("export %s could not be queued: %s", job.pk, error)
            if in_worker:
                # The worker keeps trying in the background (the job stays marked as sent, so
                # nothing else sends it meanwhile); the sweep is the backstop if it dies.
                threading.Thread(target=_send_when_back, args=(job.pk,), daemon=True).start()
                return
            # Redis is away: rather than a job queued for ever (and reused by every identical
            # request), it fails now, and its requester can retry it from the exports page.
            export_failed(job_id=job.pk, error=ExportRefused(NOT_QUEUED))

    transaction.on_commit(send)


def _send_when_back(job_id: int, tries: int = 300, pause: float = 2.0) -> None:
    """Send a waiting job once the broker answers again (for about ten minutes), unless it
    has started or ended meanwhile."""
    from django.db import connection

    build_export = enqueue.task(BUILD)
    try:
        for _ in range(tries):
            time.sleep(pause)
            if not ExportJob.objects.filter(
                pk=job_id, status=ExportJob.Status.QUEUED, started_at__isnull=True
            ).exists():
                return
            try:
                build_export.apply_async((job_id,))
            except Exception as error:  # still away
                logger.info("export %s still not queued: %s", job_id, error)
                continue
            logger.warning("export %s queued once the job queue answered again", job_id)
            return
    finally:
        connection.close()


# How long a worker keeps trying to send the next job while the broker is away: about a
# minute, in steps of up to 2 s (kombu's publish retry policy).
PATIENT = {"max_retries": 30, "interval_start": 0.5, "interval_step": 0.5, "interval_max": 2}


def _in_worker() -> bool:
    """Whether this process is a Celery worker's (core.celery marks it when it starts):
    `current_task` is not reliably set in the on-commit callbacks a task runs."""
    from core.celery import IN_WORKER

    return IN_WORKER.is_set()


def _fail_unless_queue_answers(job_id: int) -> None:
    """A job waiting behind the member's own is sent later, by a worker. If the queue is not
    answering now, its requester is told now, as for an export sent at once."""
    from core.celery import app

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=0)
    except (BrokerError, OSError) as error:
        logger.error("export %s could not be queued: %s", job_id, error)
        export_failed(job_id=job_id, error=ExportRefused(NOT_QUEUED))


OPTIONS: dict[str, type] = {
    "threads": bool,  # replies, and for claims their disputes, rulings and history
    "claims_only": bool,
    "private": bool,  # the requester's private notes too
    "log": bool,  # the seminar's moderation log, as an appendix
    "status": str,  # claims with this status
    "member": str,  # annotations by this member (username)
    "tag": str,
}


def _clean_options(options: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(options, dict):
        raise ValidationError({"options": "Options are an object."})
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise ValidationError(
            {
                "options": f"Unknown options: {', '.join(sorted(unknown))}; "
                f"known: {', '.join(OPTIONS)}."
            }
        )
    for key, value in options.items():
        if not isinstance(value, OPTIONS[key]) or (isinstance(value, str) and len(value) > 150):
            kind = "true or false" if OPTIONS[key] is bool else "a short text"
            raise ValidationError({"options": f"The option {key!r} is {kind}."})
    if options.get("status") and options["status"] not in ClaimStatus.values:
        raise ValidationError(
            {"options": f"A claim status is one of: {', '.join(ClaimStatus.values)}."}
        )
    return {key: options[key] for key in sorted(options)}


def export_retry(*, job: ExportJob, user: User) -> ExportJob:
    """Queue a failed job again, within the same limits as a new request."""
    if job.requested_by_id != user.pk:
        raise PermissionDenied("Only who asked for an export can retry it.")
    ratelimit.check(user.pk, "export")
    with transaction.atomic():
        member_lock(user_id=user.pk)
        job = ExportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ExportJob.Status.FAILED:
            return job
        _refuse_past_cap(ExportJob.objects.filter(requested_by=user, status__in=ACTIVE).count())
        # A fresh start: its earlier interruptions and retries do not count against it.
        job.status, job.error, job.progress, job.attempts = ExportJob.Status.QUEUED, "", 0, 0
        job.started_at = job.finished_at = job.dispatched_at = None
        job.save(
            update_fields=[
                "status",
                "error",
                "progress",
                "attempts",
                "started_at",
                "finished_at",
                "dispatched_at",
            ]
        )
        if _dispatch_next(user.pk) != job:
            transaction.on_commit(lambda: _fail_unless_queue_answers(job.pk))
    return job


def export_run(*, job_id: int) -> ExportJob:
    """Build the job's file (the Celery task's body). Safe to run twice: a finished job is
    not rebuilt, and a re-run stores under the same name, replacing what a dead run left."""
    with transaction.atomic():
        job = (
            ExportJob.objects.select_for_update(of=("self",))
            .select_related("requested_by", "seminar", "document__current", "claim")
            .get(pk=job_id)
        )
        if job.status == ExportJob.Status.SUCCEEDED:
            # A message delivered again: perhaps the first run could not send the next job.
            _job_ended(job.requested_by_id)
            return job
        if job.attempts >= MAX_ATTEMPTS:  # its worker died every time: do not loop forever
            raise ExportRefused(
                f"The export was interrupted {job.attempts} times; it is too big to build."
            )
        job.status, job.progress, job.error = ExportJob.Status.RUNNING, 5, ""
        job.started_at, job.attempts = timezone.now(), job.attempts + 1
        job.dispatched_at = job.dispatched_at or job.started_at  # whatever runs is in flight
        job.save(
            update_fields=["status", "progress", "error", "started_at", "attempts", "dispatched_at"]
        )
    content, file_name, content_type = BUILDERS[(job.kind, job.format)](job)
    progress(job, 95)
    # Finished once, under the job's lock: a twin run (redelivered while this one was still
    # building) that got here first has stored the file and told the requester; and the
    # status and the notification commit together, so a worker dying between them cannot
    # leave a finished job nobody was told about.
    with transaction.atomic():
        status = ExportJob.objects.select_for_update().values_list("status", flat=True)
        _job_ended(job.requested_by_id)  # built by this run or by its twin, it ends here
        if status.get(pk=job.pk) == ExportJob.Status.SUCCEEDED:
            job.refresh_from_db()
            return job
        name = f"{job.folder}/{file_name}"
        if default_storage.exists(name):  # a re-run after a crash: same name, one file
            default_storage.delete(name)
        stored = default_storage.save(name, ContentFile(content))
        finished = timezone.now()
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.SUCCEEDED,
            progress=100,
            file=stored,
            file_name=file_name,
            content_type=content_type,
            finished_at=finished,
            expires_at=finished + timedelta(hours=settings.EXPORT_KEEP_HOURS),
        )
        job.refresh_from_db()
        notifications.notify_export(job)
    return job


def progress(job: ExportJob, percent: int) -> None:
    """Tell the export page how far the job has come (it polls)."""
    ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
        progress=max(0, min(99, percent))
    )


def readable(error: BaseException) -> str:
    """What went wrong, for the person who asked for the export: no paths, no traceback."""
    from celery.exceptions import SoftTimeLimitExceeded

    if isinstance(error, ExportRefused):
        return str(error)
    if isinstance(error, SoftTimeLimitExceeded):
        return (
            "The export took longer than the time allowed; "
            "try fewer annotations or a lighter format."
        )
    if isinstance(error, OSError):
        return f"The file could not be stored ({error.strerror or type(error).__name__})."
    return f"The export could not be built ({type(error).__name__})."


def export_retrying(*, job_id: int, error: BaseException, delay: int) -> None:
    """A transient failure: the task will run again by itself."""
    ExportJob.objects.filter(pk=job_id).exclude(status=ExportJob.Status.SUCCEEDED).update(
        status=ExportJob.Status.QUEUED,
        progress=0,
        error=f"{readable(error)} Trying again in {delay} s.",
    )


def export_failed(*, job_id: int, error: BaseException) -> None:
    """The job has failed for good (until its requester retries it from the exports page)."""
    with transaction.atomic():
        updated = (
            ExportJob.objects.filter(pk=job_id)
            .exclude(status=ExportJob.Status.SUCCEEDED)
            .update(
                status=ExportJob.Status.FAILED,
                error=readable(error)[:2000],
                finished_at=timezone.now(),
            )
        )
        if updated:
            job = ExportJob.objects.select_related("seminar").get(pk=job_id)
            notifications.notify_export(job)
            _job_ended(job.requested_by_id)


class ExportRefused(Exception):
    """The export cannot be built as asked (e.g. the claim was hidden since); said as is."""


def export_open(job: ExportJob) -> Any:
    """The job's file, opened for reading; 404 while it has none, or once it expired."""
    from django.http import Http404

    if job.status != ExportJob.Status.SUCCEEDED or not job.file:
        raise Http404("This export has no file (yet, or any more).")
    if not default_storage.exists(job.file):
        raise Http404("This export's file has expired.")
    return default_storage.open(job.file, "rb")


def exports_sweep(*, now: Any = None) -> int:
    """Send what is due and was not sent (Celery beat runs this): a member's oldest waiting
    job when none of theirs is in flight (its send failed, or a worker died before sending
    it); and a job sent long ago that never started (its message was lost with the broker's
    data), again: a second message for a job still queued is harmless, the task being
    idempotent. How many jobs it sent."""
    now = now or timezone.now()
    waiting = (
        ExportJob.objects.filter(status=ExportJob.Status.QUEUED, dispatched_at__isnull=True)
        .order_by()
        .values_list("requested_by_id", flat=True)
        .distinct()
    )
    sent = sum(export_dispatch_next(user_id=user_id) is not None for user_id in waiting)
    lost = now - timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT)
    for job in ExportJob.objects.filter(
        status=ExportJob.Status.QUEUED, started_at__isnull=True, dispatched_at__lt=lost
    ):
        with transaction.atomic():
            member_lock(user_id=job.requested_by_id)
            if ExportJob.objects.filter(
                pk=job.pk, status=ExportJob.Status.QUEUED, dispatched_at__lt=lost
            ).update(dispatched_at=now):
                _enqueue(job)
                sent += 1
    return sent


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
    """What the requester may see of the text, narrowed by the job's options; never hidden
    content (moderators and authors included: an edition is for reading)."""
    document, user = job.document, job.requested_by
    assert document is not None and document.current is not None
    viewer = access.Viewer.of(user, document.seminar)
    options = job.options
    found = access.edition_annotations(viewer, private=options.get("private", True)).filter(
        document=document, revision=document.current
    )
    if options.get("claims_only"):
        found = found.filter(kind=Annotation.Kind.CLAIM)
    if options.get("status"):
        found = found.filter(claim_status=options["status"])
    if options.get("member"):
        found = found.filter(author__username=options["member"])
    if options.get("tag"):
        found = found.filter(tags__contains=[options["tag"]])
    found = selectors.with_threads(found).prefetch_related(
        Prefetch(
            "disputes", queryset=Dispute.objects.select_related("opened_by", "ruling__moderator")
        ),
        Prefetch("status_changes", queryset=ClaimStatusChange.objects.select_related("actor")),
    )
    chosen = list(found.order_by("start", "pk"))
    for annotation in chosen:  # all on this revision: share the loaded objects, no query each
        annotation.document, annotation.seminar = document, document.seminar
        annotation.revision = document.current
    return chosen


def log_of(job: ExportJob) -> list[Any]:
    """The seminar's moderation log, oldest first, if the job asked for it."""
    from annotate.exports.edition import log_entry

    if not job.options.get("log"):
        return []
    events = ModerationEvent.objects.filter(seminar=job.seminar).order_by("created_at", "pk")
    return [log_entry(event) for event in events]


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


def _edition(job: ExportJob) -> Any:
    from annotate.exports.edition import build_edition

    document = job.document
    assert document is not None and document.current is not None
    chosen = chosen_annotations(job)
    progress(job, 20)
    return build_edition(
        document,
        document.current,
        chosen,
        threads=bool(job.options.get("threads", True)),
        seminar_name=document.seminar.name,
        requester_name=job.requested_by.name,
        exported_at=timezone.now(),
        log=log_of(job),
    )


@builder("edition", "html")
def edition_html(job: ExportJob) -> tuple[bytes, str, str]:
    from annotate.exports.html import render_html

    assert job.document is not None
    return (
        render_html(_edition(job)).encode(),
        f"{file_stem(job.document)}.html",
        HTML_TYPE,
    )


@builder("edition", "markdown")
def edition_markdown(job: ExportJob) -> tuple[bytes, str, str]:
    from annotate.exports.markdown import render_markdown

    assert job.document is not None
    return (
        render_markdown(_edition(job)).encode(),
        f"{file_stem(job.document)}.md",
        MARKDOWN_TYPE,
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


def refusing_fetcher() -> Any:
    """WeasyPrint's url_fetcher for exports: it fetches nothing, neither from the network nor
    from the disk, whatever a member's Markdown asks for. WeasyPrint skips what it refuses
    (a ValueError) and goes on printing."""
    from weasyprint.urls import URLFetcher

    class Refuse(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"exports fetch nothing ({url[:80]})")

    return Refuse(allowed_protocols=())


@builder("edition", "pdf")
def edition_pdf(job: ExportJob) -> tuple[bytes, str, str]:
    """The HTML edition printed by WeasyPrint, with running heads and page numbers."""
    from annotate.exports.html import render_html

    assert job.document is not None
    html = render_html(_edition(job))
    progress(job, 40)
    return pdf_of(html, job.document.title), f"{file_stem(job.document)}.pdf", PDF_TYPE


def pdf_of(html: str, title: str) -> bytes:
    """An HTML export printed by WeasyPrint, with a running head and page numbers; it fetches
    nothing (refusing_fetcher)."""
    from weasyprint import CSS, HTML

    fetcher = refusing_fetcher()
    # One line: a newline in a CSS string ends it, and what follows would be read as rules.
    head = " ".join(title.split()).replace("\\", "").replace('"', "'")[:80]
    pages = CSS(
        string=(
            "@page { size: A4; margin: 22mm 20mm;"
            f' @top-center {{ content: "{head}"; font-size: 8pt; color: #666; }}'
            ' @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; } }'
        ),
        url_fetcher=fetcher,
    )
    return HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[pages]) or b""


# --- Claim records ----------------------------------------------------------------------------


def _record(job: ExportJob) -> Any:
    from django.urls import reverse

    from annotate.exports.record import build_claim_record

    assert job.claim_id is not None
    try:
        access.access_claim(job.requested_by, job.claim_id, whole=True)
    except Exception as error:  # hidden, deleted, or its reader left the seminar since
        raise ExportRefused("This claim is no longer there for you to export.") from error
    claim = (
        selectors.with_threads(Annotation.objects.filter(pk=job.claim_id))
        .select_related("document", "revision", "seminar")
        .prefetch_related(
            Prefetch(
                "disputes",
                queryset=Dispute.objects.select_related("opened_by", "ruling__moderator"),
            ),
            Prefetch("status_changes", queryset=ClaimStatusChange.objects.select_related("actor")),
        )
        .get()
    )
    progress(job, 40)
    return build_claim_record(
        claim,
        seminar_name=claim.seminar.name,
        requester_name=job.requested_by.name,
        exported_at=timezone.now(),
        url=settings.SITE_URL + reverse("claim", args=[claim.seminar.slug, claim.pk]),
    )


def _record_stem(job: ExportJob) -> str:
    assert job.claim is not None
    return f"claim-{job.claim_id}-{slugify(job.claim.exact)[:40]}".rstrip("-")


@builder("claim", "html")
def claim_html(job: ExportJob) -> tuple[bytes, str, str]:
    from annotate.exports.record import record_html

    return record_html(_record(job)).encode(), f"{_record_stem(job)}.html", HTML_TYPE


@builder("claim", "pdf")
def claim_pdf(job: ExportJob) -> tuple[bytes, str, str]:
    from annotate.exports.record import record_html

    record = _record(job)
    return pdf_of(record_html(record), record.title), f"{_record_stem(job)}.pdf", PDF_TYPE


@builder("claim", "markdown")
def claim_markdown(job: ExportJob) -> tuple[bytes, str, str]:
    from annotate.exports.record import record_markdown

    return record_markdown(_record(job)).encode(), f"{_record_stem(job)}.md", MARKDOWN_TYPE


@builder("claim", "json")
def claim_json(job: ExportJob) -> tuple[bytes, str, str]:
    from annotate.exports.record import record_json

    body = json.dumps(record_json(_record(job)), ensure_ascii=False, indent=2).encode()
    return body, f"{_record_stem(job)}.json", "application/json"


# --- Seminar archives -------------------------------------------------------------------------

ARCHIVE_EDITIONS = ["html", "pdf", "tei", "markdown", "jsonld"]
ARCHIVE_RECORDS = ["html", "markdown", "json"]


@builder("archive", "zip")
def archive_zip(job: ExportJob) -> tuple[bytes, str, str]:
    """Every text's edition in every format, every claim record, and the moderation log: what
    the requester may see, each built by the same builder a single export uses."""
    import io
    import zipfile

    from annotate.exports.edition import log_entry
    from annotate.exports.markdown import log_markdown

    user, seminar = job.requested_by, job.seminar
    viewer = access.Viewer.of(user, seminar)
    documents = list(
        Document.objects.filter(seminar=seminar, current__isnull=False)
        .select_related("seminar", "current")
        .order_by("title", "pk")
    )
    claims = [
        claim
        for document in documents
        for claim in access.edition_annotations(viewer)
        .filter(document=document, kind=Annotation.Kind.CLAIM)
        .select_related("document")
        .order_by("start", "pk")
    ]
    steps = len(documents) * len(ARCHIVE_EDITIONS) + len(claims) * len(ARCHIVE_RECORDS) + 1
    done = 0
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            for format in ARCHIVE_EDITIONS:
                part = ExportJob(  # unsaved: its progress() calls update nothing
                    seminar=seminar,
                    requested_by=user,
                    kind="edition",
                    format=format,
                    document=document,
                    options=job.options,
                )
                content, name, _ = BUILDERS[("edition", format)](part)
                archive.writestr(f"texts/{document.pk}-{name}", content)
                done += 1
                progress(job, 5 + 90 * done // steps)
        for claim in claims:
            for format in ARCHIVE_RECORDS:
                part = ExportJob(seminar=seminar, requested_by=user, kind="claim", format=format)
                part.claim = claim
                content, name, _ = BUILDERS[("claim", format)](part)
                archive.writestr(f"claims/{name}", content)
                done += 1
                progress(job, 5 + 90 * done // steps)
        events = ModerationEvent.objects.filter(seminar=seminar).order_by("created_at", "pk")
        log = tuple(log_entry(event) for event in events)
        archive.writestr("moderation-log.md", log_markdown(log) + "\n")
        archive.writestr(
            "moderation-log.json",
            json.dumps(
                [{**entry.__dict__, "created_at": entry.created_at.isoformat()} for entry in log],
                ensure_ascii=False,
                indent=2,
            ),
        )
        archive.writestr("README.txt", _archive_readme(job, documents, claims))
    return (
        buffer.getvalue(),
        f"{slugify(seminar.name)[:60] or 'seminar'}-archive.zip",
        "application/zip",
    )


def _archive_readme(job: ExportJob, documents: list[Document], claims: list[Annotation]) -> str:
    lines = [
        f"Glossa archive of the seminar “{job.seminar.name}”",
        f"Exported {timezone.now():%Y-%m-%d %H:%M} UTC by {job.requested_by.name}.",
        "It holds what this member could see: shared annotations and their own private notes.",
        "",
        f"texts/     the annotated edition of each of the {len(documents)} texts, as "
        + ", ".join(ARCHIVE_EDITIONS),
        f"claims/    the record of each of the {len(claims)} claims, as "
        + ", ".join(ARCHIVE_RECORDS),
        "moderation-log.md, moderation-log.json    every moderation action",
    ]
    return "\n".join(lines) + "\n"
