"""Background jobs of the annotate app: thin wrappers that load by id and call a service."""

from __future__ import annotations

from celery import shared_task

from annotate.services import exports, notifications


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
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=3,
    time_limit=900,
    soft_time_limit=870,
)
def build_export(job_id: int) -> str:
    return exports.export_run(job_id=job_id).status


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def expire_exports() -> int:
    return exports.exports_expire()
