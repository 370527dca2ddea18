"""Background jobs of the annotate app: thin wrappers that load by id and call a service."""

from __future__ import annotations

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError

from annotate.services import exports, imports, notifications


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    time_limit=60,
    soft_time_limit=50,
)
def send_notification_email(notification_id: int) -> bool:
    return notifications.notification_email_send(notification_id=notification_id)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
    time_limit=900,
    soft_time_limit=870,
)
def build_export(self: Task, job_id: int) -> str:
    """Build an export; a transient failure (storage, database) is retried with backoff, any
    other failure ends the job as failed, with a message its requester can read."""
    try:
        return exports.export_run(job_id=job_id).status
    except (OSError, DatabaseError) as error:
        if self.request.retries < (self.max_retries or 0):
            delay = settings.EXPORT_RETRY_SECONDS * 2**self.request.retries
            exports.export_retrying(job_id=job_id, error=error, delay=delay)
            raise self.retry(exc=error, countdown=delay) from error
        exports.export_failed(job_id=job_id, error=error)
        raise
    except Exception as error:
        exports.export_failed(job_id=job_id, error=error)
        raise


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def expire_exports() -> int:
    return exports.exports_expire()


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def sweep_exports() -> int:
    return exports.exports_sweep()


@shared_task(
    acks_late=True,
    reject_on_worker_lost=False,  # a source that kills its worker is not read again and again
    time_limit=settings.IMPORT_TIME_LIMIT + 15,
    soft_time_limit=settings.IMPORT_TIME_LIMIT,
)
def read_import(job_id: int) -> str:
    """Read a long text for an import preview or publication, under a time limit."""
    try:
        return imports.import_run(job_id=job_id).status
    except SoftTimeLimitExceeded:
        imports.import_failed(job_id=job_id, message=imports.too_long_message(), status=422)
        return "failed"
    except Exception:
        imports.import_failed(
            job_id=job_id, message="The text could not be read (an error on our side).", status=500
        )
        raise


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def sweep_imports() -> int:
    return imports.imports_sweep()
