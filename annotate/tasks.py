"""Background jobs of the annotate app: thin wrappers that load by id and call a service."""

from __future__ import annotations

from celery import shared_task

from annotate.services import notifications


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
