"""Telling members what happened to their work: in the app, and by email for moderation."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from annotate.models import Annotation, ExportJob, Notification
from core import enqueue
from core.models import User


def notify_moderation(*, recipient: User, actor: User, annotation: Annotation) -> None:
    """An in-app notification, and an email after the transaction commits."""
    if recipient.pk == actor.pk:
        return
    notification = Notification.objects.create(
        recipient=recipient, actor=actor, annotation=annotation, kind=Notification.Kind.MODERATION
    )
    if recipient.email:
        # robust: with Redis away the in-app notification stands; the email is logged as lost.
        enqueue.after_commit("annotate.tasks.send_notification_email", notification.pk, robust=True)


def notify_export(job: ExportJob) -> None:
    """Tell who asked for an export that it is ready, or that it failed (in the app)."""
    Notification.objects.create(
        recipient_id=job.requested_by_id, kind=Notification.Kind.EXPORT, export=job
    )


def notification_email_send(*, notification_id: int) -> bool:
    """Email a moderation notification; False if there is nothing (left) to send."""
    notification = (
        Notification.objects.select_related("recipient", "actor", "annotation__seminar")
        .filter(pk=notification_id, kind=Notification.Kind.MODERATION)
        .first()
    )
    if notification is None or not notification.recipient.email:
        return False
    annotation = notification.annotation
    assert annotation is not None  # moderation notifications are about an annotation
    path = (
        reverse("claim", args=[annotation.seminar.slug, annotation.pk])
        if annotation.kind == Annotation.Kind.CLAIM
        else reverse("notifications")
    )
    actor = notification.actor.name if notification.actor else "A moderator"
    quote = " ".join(annotation.exact.split())  # a quote across paragraphs, on one line
    quote = quote if len(quote) <= 80 else quote[:79] + "…"
    send_mail(
        # Members' words (seminar names, quotes) stay out of the Subject: one line, ours.
        subject="Glossa: a moderator acted on your annotation or a dispute you are part of",
        message=(
            f"{actor} acted on something of yours (or a dispute you are part of) in the "
            f"seminar “{annotation.seminar.name}”, on the passage “{quote}”.\n\n"
            f"See the decision and the moderation log: {settings.SITE_URL}{path}\n"
        ),
        from_email=None,
        recipient_list=[notification.recipient.email],
    )
    return True
