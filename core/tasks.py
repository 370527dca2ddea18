"""Background jobs of the core app: thin wrappers that load by id and call a service."""

from __future__ import annotations

from celery import shared_task

from core.services import invitations


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    time_limit=60,
    soft_time_limit=50,
)
def send_invitation_email(invitation_id: int) -> bool:
    return invitations.invitation_email_send(invitation_id=invitation_id)
