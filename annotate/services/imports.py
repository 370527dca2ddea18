"""Imports as both doors ask for them: read in the request when the source is short, else as an
ImportJob that a Celery task reads under a time limit, so no request holds a web process while
a long text is parsed (or many long quotes anchored).

The import page and POST /api/v1/documents/ both call `text_preview_request` or
`text_publish_request`; each counts against the member's limit (core.ratelimit, actions
"text_preview" and "text_import") and returns either the finished result or the job to watch.
W3C annotations from elsewhere (POST /api/v1/documents/{id}/import-annotations/) go the same
way past W3C_IMPORT_INLINE_MAX_ITEMS items or W3C_IMPORT_INLINE_MAX_CHARS bytes of body. A
member has at most IMPORT_MAX_ACTIVE jobs waiting or running. `import_run` is idempotent: a
job already finished is left as it is, and a publication creates its document in the same
transaction that marks the job done.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from annotate import anchoring, w3c
from annotate.ingest.types import Ingested
from annotate.models import Annotation, Document, ImportJob, Revision
from annotate.services import annotations as annotation_service
from annotate.services import documents
from core import enqueue, policy, ratelimit
from core.errors import ServiceError, TooManyRequests, Unprocessable
from core.http import site_request
from core.models import Seminar, User
from core.policy import Action
from core.services.accounts import member_lock

logger = logging.getLogger(__name__)

ACTIVE = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
NOT_QUEUED = (
    "The text could not be queued for reading (the job queue is not answering); try again shortly."
)


def text_preview_request(
    *,
    seminar: Seminar,
    user: User,
    source_text: str,
    format: str = "auto",
    first_page: int | None = None,
    language: str = "en",
    source_name: str = "",
    described: dict[str, str] | None = None,
) -> Ingested | ImportJob:
    """The cleaned text of a source (nothing saved), or the job that is reading it.

    `described` (title, author, citation as typed so far) is kept with a job, so the page
    that shows its result can show the form as the editor left it."""
    policy.require(policy.membership_of(user, seminar), Action.EDIT_TEXTS)
    ratelimit.check(user.pk, "text_preview")
    options: dict[str, Any] = {"format": format, "first_page": first_page, "language": language}
    if len(source_text) <= settings.IMPORT_INLINE_MAX_CHARS:
        return documents.document_preview(
            source_text=source_text, format=format, first_page=first_page, language=language
        )
    documents.source_check(source_text=source_text, format=format, first_page=first_page)
    return _job_create(
        seminar=seminar,
        user=user,
        kind=ImportJob.Kind.PREVIEW,
        source_text=source_text,
        source_name=source_name,
        options={**options, "described": described or {}},
    )


def text_publish_request(
    *,
    seminar: Seminar,
    user: User,
    title: str,
    source_text: str,
    format: str = "auto",
    author: str = "",
    citation: str = "",
    language: str = "en",
    first_page: int | None = None,
    source_name: str = "",
) -> Document | ImportJob:
    """Publish a source as a document, or start the job that will."""
    policy.require(policy.membership_of(user, seminar), Action.EDIT_TEXTS)
    ratelimit.check(user.pk, "text_import")
    options: dict[str, Any] = {"format": format, "first_page": first_page, "language": language}
    described = {"title": title, "author": author, "citation": citation}
    if len(source_text) <= settings.IMPORT_INLINE_MAX_CHARS:
        return documents.document_import(
            seminar=seminar,
            user=user,
            source_text=source_text,
            source_name=source_name,
            format=format,
            first_page=first_page,
            language=language,
            title=title,
            author=author,
            citation=citation,
        )
    if not title.strip():
        raise ValidationError({"title": "A document needs a title."})
    documents.source_check(source_text=source_text, format=format, first_page=first_page)
    return _job_create(
        seminar=seminar,
        user=user,
        kind=ImportJob.Kind.PUBLISH,
        source_text=source_text,
        source_name=source_name,
        options={**options, "described": described},
    )


def _job_create(
    *,
    seminar: Seminar,
    user: User,
    kind: str,
    source_text: str,
    source_name: str,
    options: dict[str, Any],
) -> ImportJob:
    """A queued job, unless the member already has IMPORT_MAX_ACTIVE of them (429)."""
    with transaction.atomic():
        member_lock(user_id=user.pk)  # parallel requests cannot all pass the count below
        active = ImportJob.objects.filter(requested_by=user, status__in=ACTIVE).count()
        if active >= settings.IMPORT_MAX_ACTIVE:
            raise TooManyRequests(
                f"You have {active} text{'s' if active > 1 else ''} being read already; "
                "wait for one to finish, then try again.",
                retry_after=10,
            )
        job = ImportJob.objects.create(
            seminar=seminar,
            requested_by=user,
            kind=kind,
            source_text=source_text,
            source_name=source_name[:255],
            options=options,
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    try:
        enqueue.task("annotate.tasks.read_import").delay(job_id)
    except (BrokerError, OSError) as error:
        logger.error("import %s could not be queued: %s", job_id, error)
        import_failed(job_id=job_id, message=NOT_QUEUED, status=503)


def import_run(*, job_id: int) -> ImportJob:
    """Read the job's source: a preview keeps the result, a publication makes the document."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("seminar").get(pk=job_id)
        if job.status not in ACTIVE:
            return job
        job.status, job.started_at = ImportJob.Status.RUNNING, timezone.now()
        job.save(update_fields=["status", "started_at"])
    user = job.requested_by
    options = {k: job.options.get(k) for k in ("format", "first_page", "language")}
    described = job.options.get("described") or {}
    try:
        if job.kind == ImportJob.Kind.ANNOTATIONS:
            with transaction.atomic():  # all of it, or none (a retry starts afresh)
                _annotations_run(job)
            return job
        if job.kind == ImportJob.Kind.PREVIEW:
            ingested = documents.document_preview(source_text=job.source_text, **options)
            job.result = ingested.as_dict()
            job.status, job.finished_at = ImportJob.Status.SUCCEEDED, timezone.now()
            job.save(update_fields=["result", "status", "finished_at"])
            return job
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job_id)
            if job.status != ImportJob.Status.RUNNING:  # finished meanwhile (swept as lost)
                return job
            job.document = documents.document_import(
                seminar=job.seminar,
                user=user,
                source_text=job.source_text,
                source_name=job.source_name,
                title=described.get("title", ""),
                author=described.get("author", ""),
                citation=described.get("citation", ""),
                **options,
            )
            job.status, job.finished_at = ImportJob.Status.SUCCEEDED, timezone.now()
            job.save(update_fields=["document", "status", "finished_at"])
        return job
    except ValidationError as error:
        import_failed(job_id=job_id, message=" ".join(error.messages), status=422)
    except ServiceError as error:
        import_failed(job_id=job_id, message=error.message, status=error.status)
    return ImportJob.objects.get(pk=job_id)


def import_failed(*, job_id: int, message: str, status: int = 422) -> None:
    """End the job as failed with a message its requester reads on the import page."""
    ImportJob.objects.filter(pk=job_id, status__in=ACTIVE).update(
        status=ImportJob.Status.FAILED,
        error=message,
        error_status=status,
        finished_at=timezone.now(),
    )


def too_long_message() -> str:
    return (
        f"Reading this text took longer than {settings.IMPORT_TIME_LIMIT} seconds, so it was "
        "stopped. Check that it is a text in the format chosen, or split it into parts."
    )


def imports_sweep(*, now: Any = None) -> int:
    """Fail jobs whose reading was lost (a worker killed past its time limit), and delete
    finished jobs, with their sources, after IMPORT_KEEP_HOURS."""
    now = now or timezone.now()
    lost = Q(
        status=ImportJob.Status.RUNNING,
        started_at__lt=now - timedelta(seconds=settings.IMPORT_TIME_LIMIT + 60),
    ) | Q(status=ImportJob.Status.QUEUED, created_at__lt=now - timedelta(hours=1))
    ImportJob.objects.filter(lost).update(
        status=ImportJob.Status.FAILED,
        error="The text could not be read (the job was lost). Try again.",
        error_status=503,
        finished_at=now,
    )
    old = now - timedelta(hours=settings.IMPORT_KEEP_HOURS)
    deleted, _ = ImportJob.objects.filter(
        status__in=["succeeded", "failed"], finished_at__lt=old
    ).delete()
    return deleted


# --- W3C annotations -----------------------------------------------------------------------


def annotations_too_many(items: list[Any], body_size: int) -> bool:
    """Whether anchoring these annotations is work for a job rather than a request: many of
    them, or a large body (long quotes: fuzzy anchoring grows with the quote). `body_size` is
    the request's, as sent: the items are not serialised again to measure them."""
    return (
        len(items) > settings.W3C_IMPORT_INLINE_MAX_ITEMS
        or body_size > settings.W3C_IMPORT_INLINE_MAX_CHARS
    )


def annotations_import_request(*, document: Document, user: User, items: list[Any]) -> ImportJob:
    """Queue an import of W3C annotations onto the document's current text (a job)."""
    policy.require(policy.membership_of(user, document.seminar), Action.PARTICIPATE)
    ratelimit.check(user.pk, "import")
    if document.current_id is None:
        raise Unprocessable("This text has no revision to annotate yet.")
    return _job_create(
        seminar=document.seminar,
        user=user,
        kind=ImportJob.Kind.ANNOTATIONS,
        source_text=json.dumps(items),
        source_name="",
        options={"document": document.pk, "revision": document.current_id},
    )


def annotations_import(
    *,
    document: Document,
    user: User,
    revision: Revision,
    items: list[Any],
    iri: Callable[[int], str],
) -> dict[str, Any]:
    """Parse, anchor and save W3C annotations made elsewhere; what became of each item.

    `iri(pk)` is a new annotation's address. Items that cannot be read or saved are reported
    by index with the reason; the others are imported all the same."""
    outcomes: list[dict[str, Any]] = [{"index": index} for index in range(len(items))]
    parsed: list[tuple[int, w3c.W3CAnnotation]] = []
    for index, item in enumerate(items):
        try:
            parsed.append((index, w3c.parse_w3c(item, imported=True)))
        except ValidationError as error:
            outcomes[index]["error"] = w3c.error_text(error)
    quotes, hints = w3c.quotes_and_hints([item for _, item in parsed])
    anchors = anchoring.anchor_many(revision.text, quotes, hints)
    imported = [_imported(item, anchor) for (_, item), anchor in zip(parsed, anchors, strict=True)]
    results = annotation_service.annotation_import(
        document=document, user=user, revision=revision, items=imported
    )
    created = 0
    for (index, _), result in zip(parsed, results, strict=True):
        if isinstance(result, str):
            outcomes[index]["error"] = result
            continue
        created += 1
        outcomes[index]["id"] = iri(result.pk)
        outcomes[index]["anchor_status"] = result.anchor_status
    counts = {
        status: sum(1 for o in outcomes if o.get("anchor_status") == status)
        for status in Annotation.AnchorStatus.values
    }
    return {"created": created, **counts, "items": outcomes}


def _imported(
    item: w3c.W3CAnnotation, anchor: anchoring.Anchor
) -> annotation_service.ImportedAnnotation:
    assert item.quote is not None
    found = anchor.status != "orphaned"
    return annotation_service.ImportedAnnotation(
        exact=item.quote.exact,
        prefix=item.quote.prefix,
        suffix=item.quote.suffix,
        start=anchor.start if found else None,
        end=anchor.end if found else None,
        relocated=anchor.status == "relocated",
        kind=item.kind or Annotation.Kind.COMMENT,
        body=item.body,
        tags=item.tags,
        visibility=item.visibility or Annotation.Visibility.SEMINAR,
        canonical=item.canonical,
        provenance=item.provenance(),
    )


def _annotations_run(job: ImportJob) -> None:
    """A queued W3C import: onto the revision it was asked for (409 if corrected since)."""
    document = Document.objects.select_related("seminar").get(pk=job.options["document"])
    revision = Revision.objects.get(pk=job.options["revision"], document=document)
    request = site_request()

    def iri(pk: int) -> str:
        return w3c.annotation_iri(request, document.seminar.slug, pk)

    with ratelimit.suspended():  # counted when it was asked for
        result = annotations_import(
            document=document,
            user=job.requested_by,
            revision=revision,
            items=json.loads(job.source_text),
            iri=iri,
        )
    job.result = result
    job.status, job.finished_at = ImportJob.Status.SUCCEEDED, timezone.now()
    job.save(update_fields=["result", "status", "finished_at"])
