"""A transaction that rolls back enqueues nothing: every Celery message names a row that was
committed. Services queue their side work with transaction.on_commit; these check it holds
when the transaction around them fails, in code and in an HTTP request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery.app.task import Task
from django.contrib import messages
from django.db import connection, transaction
from django.test import Client

from annotate.models import Annotation, Document, ExportJob, Notification
from annotate.services import annotations as notes
from annotate.services import exports, moderation
from core.models import Invitation, User
from core.services.invitations import invitation_create

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit needs real commits


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """Every task message sent (task name, arguments); none reaches a broker."""
    messages: list[tuple[str, tuple[Any, ...]]] = []

    def apply_async(task: Task, args: tuple[Any, ...] = (), *_: Any, **__: Any) -> None:
        messages.append((task.name, tuple(args)))

    monkeypatch.setattr(Task, "apply_async", apply_async)
    yield messages


class Failed(Exception):
    """What goes wrong after the service was called."""


def ask_export(document: Document, user: User) -> ExportJob:
    return exports.export_request(user=user, kind="edition", format="html", document=document)


def invite(document: Document, user: User) -> Invitation:
    return invitation_create(
        seminar=document.seminar, actor=user, username_or_email="newcomer@example.org"
    )


def hide(document: Document, user: User) -> Annotation:
    annotation = Annotation.objects.get(body="To be hidden.")
    return moderation.content_set_hidden(  # type: ignore[return-value]
        moderator=user, annotation=annotation, hidden=True, reason="Off-topic."
    )


@pytest.mark.parametrize(
    ("service", "task", "made"),
    [
        (ask_export, "annotate.tasks.build_export", ExportJob),
        (invite, "core.tasks.send_invitation_email", Invitation),
        (hide, "annotate.tasks.send_notification_email", Notification),
    ],
)
def test_a_service_called_in_a_transaction_that_fails_queues_nothing(
    sent: list[tuple[str, tuple[Any, ...]]],
    document: Document,
    roles: dict[str, User],
    service: Any,
    task: str,
    made: Any,
) -> None:
    notes.annotation_create(
        document=document, user=roles["member"], start=0, end=8, body="To be hidden."
    )
    with pytest.raises(Failed), transaction.atomic():
        service(document, roles["moderator"])
        raise Failed
    assert sent == []
    assert not made.objects.exists()
    # In a savepoint that rolls back, inside a transaction that commits: nothing either.
    with transaction.atomic():
        with pytest.raises(Failed), transaction.atomic():
            service(document, roles["moderator"])
            raise Failed
        assert sent == []
    assert sent == [] and not made.objects.exists()
    # Committed, it is queued once, naming the row it made.
    row = service(document, roles["moderator"])
    pk = row.pk if made is not Notification else Notification.objects.get(kind="moderation").pk
    assert sent == [(task, (pk,))]


@pytest.mark.parametrize("atomic_requests", [True, False])
def test_a_request_that_fails_after_asking_for_an_export_queues_only_what_it_committed(
    sent: list[tuple[str, tuple[Any, ...]]],
    monkeypatch: pytest.MonkeyPatch,
    document: Document,
    roles: dict[str, User],
    atomic_requests: bool,
) -> None:
    """The export page's view fails after the service returned (here: adding its message).

    With ATOMIC_REQUESTS (a common deployment choice) the request's transaction rolls back,
    job and message alike. Glossa's own setting leaves it off: the service committed its job
    before the failure, so the job stands and is built: a message for a committed job.
    """
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", atomic_requests)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise Failed

    monkeypatch.setattr(messages, "success", fail)
    client = Client(raise_request_exception=False)
    client.force_login(roles["member"])
    response = client.post(
        f"/s/{document.seminar.slug}/texts/{document.pk}/export/", {"format": "html"}
    )
    assert response.status_code == 500
    if atomic_requests:
        assert sent == [] and not ExportJob.objects.exists()
    else:
        job = ExportJob.objects.get()
        assert sent == [("annotate.tasks.build_export", (job.pk,))]
