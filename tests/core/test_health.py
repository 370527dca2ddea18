"""/healthz against the real database, Redis and a real Celery worker."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.test import Client

from core.models import User
from core.services import invitations
from tests.factories import make_seminar, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_healthy_with_a_worker(client: Client, celery_worker: subprocess.Popen) -> None:
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == "ok"
    assert body["checks"]["worker"].startswith("ok")


def test_503_when_redis_and_the_broker_are_down(
    client: Client, settings: object, celery_worker: subprocess.Popen
) -> None:
    from core.celery import app

    dead = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.REDIS_URL = dead  # type: ignore[attr-defined]
    saved = app.conf.broker_url
    app.conf.broker_url = dead
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = saved
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("down")
    assert body["checks"]["worker"].startswith("down")


def test_worker_sends_the_invitation_email_after_commit(
    celery_worker: subprocess.Popen, worker_mail_dir: Path
) -> None:
    import time

    owner: User = make_user(username="host")
    seminar = make_seminar(owner, name="Mail Test")
    make_user(username="guest", email="guest-mail@example.org")
    invitations.invitation_create(seminar=seminar, actor=owner, username_or_email="guest")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        sent = [p.read_text() for p in worker_mail_dir.glob("*.log")]
        if any("guest-mail@example.org" in text for text in sent):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the worker did not send the invitation email")
    assert any("Mail Test" in text for text in sent)
