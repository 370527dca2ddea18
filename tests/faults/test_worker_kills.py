"""Celery workers SIGKILLed in the middle of exports, again and again: no job lost, none built
twice over, one file and one notification each.

The single kill is tests/annotate/test_export_faults.py (make test); this is the repeated one
(make faults), plus two quick checks of the moments a random kill rarely hits: a run dying
after it stored the file but before it told anyone, and a twin run finishing first.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from annotate.models import Document, ExportJob, Notification
from annotate.services import exports, notifications
from core.celery import app
from core.models import Role, User
from tests.annotate.test_export_faults import QUEUE, busy, routed  # noqa: F401  (a fixture)
from tests.conftest import spawn_worker, stop_worker
from tests.factories import member
from tests.faults.conftest import report

JOBS = 20
KILLS = 20
# A job interrupted MAX_ATTEMPTS times fails on purpose (exports.export_run): kill each one at
# most this often, so it runs at most MAX_ATTEMPTS - 1 times and must succeed.
KILLS_PER_JOB = exports.MAX_ATTEMPTS - 2


class Died(BaseException):
    """The worker's process ends here (as SIGKILL would end it)."""


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> None:
    """Exports run in the test's own process, by hand; files go to a fresh directory."""
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr(exports, "_enqueue", lambda job: None)


@pytest.mark.django_db
@pytest.mark.usefixtures("quiet")
def test_a_run_dying_before_it_told_anyone_is_finished_by_the_next(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, document: Document, roles: dict[str, User]
) -> None:
    job = exports.export_request(
        user=roles["member"], kind="edition", format="markdown", document=document
    )

    def die(job: ExportJob) -> None:
        raise Died

    with monkeypatch.context() as patch:
        patch.setattr(notifications, "notify_export", die)  # killed after storing the file
        with pytest.raises(Died):
            exports.export_run(job_id=job.pk)
    job.refresh_from_db()
    # Not "succeeded" with nobody told: the status and the notice commit together.
    assert (job.status, job.attempts) == ("running", 1)
    exports.export_run(job_id=job.pk)  # the task, redelivered
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("succeeded", 2)
    assert Notification.objects.filter(export=job).count() == 1
    assert [f.name for f in (tmp_path / job.folder).iterdir()] == [job.file_name]


@pytest.mark.django_db
@pytest.mark.usefixtures("quiet")
def test_a_twin_run_that_finishes_first_leaves_one_file_and_one_notice(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, document: Document, roles: dict[str, User]
) -> None:
    """A task redelivered while its first run still builds (a visibility timeout shorter than
    the export): whichever finishes second changes nothing."""
    job = exports.export_request(
        user=roles["member"], kind="edition", format="markdown", document=document
    )
    key = ("edition", "markdown")
    build = exports.BUILDERS[key]

    def first(job: ExportJob) -> tuple[bytes, str, str]:
        monkeypatch.setitem(exports.BUILDERS, key, build)
        exports.export_run(job_id=job.pk)  # the twin starts, builds and finishes meanwhile
        return build(job)

    monkeypatch.setitem(exports.BUILDERS, key, first)
    exports.export_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("succeeded", 2)
    assert Notification.objects.filter(export=job).count() == 1
    assert [f.name for f in (tmp_path / job.folder).iterdir()] == [job.file_name]


def running(after: Any, seconds: float = 60) -> ExportJob | None:
    """The job the (only) live worker is building: the newest running one it started."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = (
            ExportJob.objects.filter(status="running", started_at__gt=after)
            .order_by("-started_at")
            .first()
        )
        if job is not None:
            return job
        if not ExportJob.objects.exclude(status="succeeded").exists():
            return None
        time.sleep(0.05)
    pytest.fail("no worker took up a job")


def typical_build() -> float:
    """How long a whole build has taken so far (the median), in seconds; 2 s before any."""
    done = ExportJob.objects.filter(status="succeeded").values_list("started_at", "finished_at")
    seconds = sorted((end - start).total_seconds() for start, end in done if start and end)
    return seconds[len(seconds) // 2] if seconds else 2.0


def interrupted(job: ExportJob, attempts: int) -> bool:
    job.refresh_from_db()
    return job.status == "running" and job.attempts == attempts


@pytest.mark.faults
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("routed")
def test_workers_killed_twenty_times_mid_export_lose_no_job_and_duplicate_nothing(
    worker_media_dir: Path, settings: Any, document: Document, roles: dict[str, User]
) -> None:
    settings.MEDIA_ROOT = str(worker_media_dir)
    busy(document, roles["member"], count=60)  # each PDF takes a few seconds to build
    jobs = [
        exports.export_request(
            user=member(document.seminar, Role.MEMBER, username=f"reader{i}"),
            kind="edition",
            format="pdf",
            document=document,
        ).pk
        for i in range(JOBS)
    ]
    media = {"MEDIA_ROOT": str(worker_media_dir), "CELERY_VISIBILITY_TIMEOUT": "3"}
    rng = random.Random(1956)
    killed: Counter[int] = Counter()  # job → times its worker died in the middle of building it
    late = workers = 0  # late: kills that came just after the job had finished
    began = time.monotonic()
    while sum(killed.values()) < KILLS:
        assert time.monotonic() - began < 900, f"too slow: {killed}"
        assert ExportJob.objects.exclude(status="succeeded").exists(), (
            f"every job finished after {sum(killed.values())} kills: make the builds longer"
        )
        workers += 1
        since = timezone.now()
        worker = spawn_worker(QUEUE, hostname=f"doomed{workers}", **media)
        try:
            while (job := running(since)) is not None:
                attempts = job.attempts
                if killed[job.pk] >= KILLS_PER_JOB:  # spared: let it finish
                    deadline = time.monotonic() + 120
                    while interrupted(job, attempts):
                        assert time.monotonic() < deadline, "a spared job never finished"
                        time.sleep(0.05)
                    since = job.started_at or since
                    continue
                time.sleep(rng.uniform(0.05, 0.9) * typical_build())  # a moment of the build
                if not interrupted(job, attempts):
                    since = job.started_at or since  # done first: aim at the next
                    continue
                os.killpg(worker.pid, signal.SIGKILL)  # the worker and all it started
                worker.wait(10)
                if interrupted(job, attempts):
                    killed[job.pk] += 1
                else:
                    late += 1
                break
        finally:
            if worker.poll() is None:
                stop_worker(worker)

    last = spawn_worker(QUEUE, hostname="survivor", **media)
    try:
        deadline = time.monotonic() + 600
        while ExportJob.objects.exclude(status__in=["succeeded", "failed"]).exists():
            assert time.monotonic() < deadline, "jobs were lost"
            time.sleep(0.2)
    finally:
        stop_worker(last)

    finished = list(ExportJob.objects.order_by("pk"))
    builds = [
        (job.finished_at - job.started_at).total_seconds()
        for job in finished
        if job.finished_at and job.started_at
    ]
    report(
        f"worker SIGKILL: {sum(killed.values())} kills mid-export (+{late} just after a job "
        f"finished) across {workers} workers; {JOBS} jobs, runs per job "
        f"{dict(sorted(Counter(j.attempts for j in finished).items()))}; last build "
        f"{min(builds):.1f}-{max(builds):.1f} s; {time.monotonic() - began:.0f} s in all"
    )
    assert [job.pk for job in finished] == jobs  # none lost, none made twice
    assert all(job.status == "succeeded" for job in finished), [j.error for j in finished]
    for job in finished:
        assert job.attempts == killed[job.pk] + 1  # every kill cost one run, nothing more
        assert job.attempts < exports.MAX_ATTEMPTS
        files = list((worker_media_dir / job.folder).iterdir())
        assert [f.name for f in files] == [job.file_name]
        assert files[0].read_bytes().startswith(b"%PDF")
        assert Notification.objects.filter(export=job, kind="export").count() == 1
    with app.connection_for_write() as connection:
        assert connection.default_channel.client.llen(QUEUE) == 0
