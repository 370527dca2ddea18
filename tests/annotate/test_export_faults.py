"""Exports under faults: a worker killed mid-export, a store that refuses the file.

Each test starts its own worker on its own queue, so killing it leaves the session's worker
alone.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from annotate.models import Annotation, Document, ExportJob, Notification, Reply
from annotate.services import exports
from core.celery import app
from core.models import User
from tests.conftest import start_worker, stop_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
QUEUE = "export-faults"


@pytest.fixture
def routed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Exports requested during the test go to QUEUE (and only this test's workers), queued
    after the commit exactly as exports._enqueue does."""
    from django.db import transaction

    from annotate.tasks import build_export

    def enqueue(job: ExportJob) -> None:
        transaction.on_commit(lambda: build_export.apply_async((job.pk,), queue=QUEUE))

    monkeypatch.setattr(exports, "_enqueue", enqueue)
    yield
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(QUEUE)


def wait(job: ExportJob, condition: Any, seconds: float, what: str) -> ExportJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if condition(job):
            return job
        time.sleep(0.1)
    pytest.fail(f"{what}: {job.status} {job.progress}% attempts={job.attempts} {job.error}")


def busy(document: Document, user: User, count: int = 300) -> None:
    """Enough annotations and replies that a PDF edition takes a few seconds to build."""
    revision = document.current
    assert revision is not None
    text, now = revision.text, timezone.now()
    made = Annotation.objects.bulk_create(
        Annotation(
            seminar=document.seminar,
            document=document,
            revision=revision,
            made_on=revision,
            start=(i * 37) % (len(text) - 200),
            end=(i * 37) % (len(text) - 200) + 40 + i % 120,
            exact=text[(i * 37) % (len(text) - 200) : (i * 37) % (len(text) - 200) + 40 + i % 120],
            kind="comment",
            body=f"Note {i} with *some* words to set.",
            author=user,
            created_at=now,
            modified_at=now,
        )
        for i in range(count)
    )
    Reply.objects.bulk_create(
        Reply(annotation=a, author=user, body=f"Reply to {a.pk}.", created_at=now) for a in made
    )


def test_a_worker_killed_mid_export_leaves_one_job_finished_once_and_one_file(
    routed: None,
    worker_media_dir: Path,
    settings: Any,
    document: Document,
    roles: dict[str, User],
) -> None:
    settings.MEDIA_ROOT = str(worker_media_dir)
    member = roles["member"]
    busy(document, member)
    media = {"MEDIA_ROOT": str(worker_media_dir)}
    first = start_worker(QUEUE, hostname="doomed", **media)
    try:
        job = exports.export_request(user=member, kind="edition", format="pdf", document=document)
        # Killed while WeasyPrint prints (the HTML is done: progress 40).
        wait(job, lambda j: j.progress >= 40, 60, "the export never got going")
        os.killpg(first.pid, signal.SIGKILL)  # the worker and anything it started, at once
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    job.refresh_from_db()
    assert job.status == "running" and job.progress == 40 and job.attempts == 1 and not job.file

    # A new worker gets the unacknowledged task again once its visibility timeout passes.
    second = start_worker(QUEUE, hostname="rescuer", CELERY_VISIBILITY_TIMEOUT="2", **media)
    try:
        job = wait(job, lambda j: j.status in ("succeeded", "failed"), 120, "never redelivered")
    finally:
        stop_worker(second)
    assert job.status == "succeeded", job.error
    assert job.attempts == 2
    assert ExportJob.objects.count() == 1
    files = list((worker_media_dir / job.folder).iterdir())
    assert [f.name for f in files] == [job.file_name]
    assert files[0].read_bytes().startswith(b"%PDF")
    assert Notification.objects.filter(export=job).count() == 1  # told once


def test_a_failing_export_says_why_and_can_be_retried(
    routed: None,
    worker_media_dir: Path,
    tmp_path: Path,
    settings: Any,
    document: Document,
    roles: dict[str, User],
) -> None:
    from django.test import Client

    media = tmp_path / "media"
    media.mkdir()
    (media / "exports").write_text("not a directory")  # the store cannot take any file
    settings.MEDIA_ROOT = str(media)
    member = roles["member"]
    worker = start_worker(QUEUE, hostname="faulty", MEDIA_ROOT=str(media))
    try:
        job = exports.export_request(user=member, kind="edition", format="html", document=document)
        job = wait(job, lambda j: j.status == "failed", 60, "the export did not fail")
        assert job.attempts == 4  # the first run and three retries: a store error may pass
        assert job.error == "The file could not be stored (Not a directory)."
        client = Client()
        client.force_login(member)
        page = client.get("/exports/").content.decode()
        assert "Failed: The file could not be stored (Not a directory)." in page
        assert f'action="/exports/{job.pk}/retry/"' in page
        notice = Notification.objects.get(export=job)
        assert (
            "failed: The file could not be stored" in client.get("/notifications/").content.decode()
        )

        (media / "exports").unlink()  # the store is back
        response = client.post(f"/exports/{job.pk}/retry/")
        assert response.status_code == 302
        job = wait(job, lambda j: j.status == "succeeded", 60, "the retry did not succeed")
        assert job.error == "" and (media / job.file).is_file()
        assert Notification.objects.filter(export=job).exclude(pk=notice.pk).count() == 1

        # Only who asked may retry it; anyone else gets 404 and changes nothing.
        other = Client()
        other.force_login(roles["owner"])
        assert other.post(f"/exports/{job.pk}/retry/").status_code == 404
    finally:
        stop_worker(worker)
