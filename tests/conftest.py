"""Fixtures shared by every test: real PostgreSQL and Redis (see core/runtime.py), a real worker."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import signals
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from hypothesis import settings as hypothesis_settings

from annotate.models import Document
from annotate.services.documents import document_import
from core.models import Role, Seminar, User
from core.runtime import BASE_DIR, with_database
from tests.factories import PASSWORD, make_seminar, make_user, member

# The same examples on every run, so `make test` passes or fails the same way everywhere;
# explore new ones with HYPOTHESIS_PROFILE=explore.
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
hypothesis_settings.register_profile("explore")
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def _fast_tests(settings: Any) -> Iterator[None]:
    # The real hasher costs ~0.3 s a user; tests make hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests write fast; the rate limits have tests of their own (tests/annotate/test_ratelimit.py).
    settings.RATE_LIMITS = {
        action: (100_000, seconds) for action, (_, seconds) in settings.RATE_LIMITS.items()
    }
    yield
    cache.clear()


# Tasks this test process has queued for the session's worker (celery_worker), by queue.
QUEUED: dict[str, int] = {}
SESSION_WORKER: list[str] = []  # its node name, while it runs


@signals.after_task_publish.connect
def _count_queued(routing_key: str = "", **_: Any) -> None:
    QUEUED[routing_key] = QUEUED.get(routing_key, 0) + 1


@pytest.fixture(autouse=True)
def _worker_idle_before_flush(
    request: pytest.FixtureRequest, _django_db_marker: None
) -> Iterator[None]:
    """Before a transactional test's tables are emptied, let the session worker finish what the
    test queued for it (a notification email, say): a task still reading while TRUNCATE runs
    deadlocks with it, and the flush fails, leaving rows to the next test."""
    for name in ("transactional_db", "live_server"):
        if name in request.fixturenames:
            request.getfixturevalue(name)  # set up first, so torn down after this
    queued = QUEUED.get("celery", 0)
    yield
    if SESSION_WORKER and QUEUED.get("celery", 0) != queued:
        wait_until_worker_idle(SESSION_WORKER[0])


def wait_until_worker_idle(node: str, timeout: float = 30) -> None:
    """The default queue empty, nothing delivered but unfinished, and the (solo) worker free to
    answer a ping, which it does only between tasks."""
    import redis

    from core.celery import app

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            # Delivered, unfinished messages: [message, exchange, routing key] by delivery tag,
            # those of the fault tests' own queues among them.
            unacked = [json.loads(v)[2] for v in broker.hvals("unacked")]
            if (
                not broker.llen("celery")
                and "celery" not in unacked
                and app.control.ping(destination=[node], timeout=0.5)
            ):
                return
            time.sleep(0.05)
    finally:
        broker.close()


@pytest.fixture
def owner(db: None) -> User:
    return make_user(username="olivia", display_name="Olivia Owner")


@pytest.fixture
def seminar(owner: User) -> Seminar:
    return make_seminar(owner, name="Hungary 1956")


@pytest.fixture
def roles(seminar: Seminar) -> dict[str, User]:
    """One user for every relation to `seminar`, by name."""
    return {
        "owner": seminar.memberships.get(role=Role.OWNER).user,
        "moderator": member(seminar, Role.MODERATOR, username="mona"),
        "member": member(seminar, Role.MEMBER, username="mark"),
        "observer": member(seminar, Role.OBSERVER, username="oscar"),
        "outsider": make_user(username="nadia"),
    }


SAMPLE = BASE_DIR / "annotate" / "samples" / "hungarian-revolution-1956-superpowers.ocr.txt"


@pytest.fixture(scope="session")
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture
def document(seminar: Seminar, owner: User, sample_text: str) -> Document:
    return document_import(
        seminar=seminar,
        user=owner,
        title="The Hungarian Revolution of 1956 and the Superpowers",
        source_text=sample_text,
        format="ocr",
    )


def login(client: Client, user: User) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture(scope="session")
def worker_mail_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the test worker's file-based email backend writes the mail it sends."""
    return tmp_path_factory.mktemp("worker-mail")


@pytest.fixture(scope="session")
def worker_media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MEDIA_ROOT shared by the test worker and the tests that read what it stored."""
    return tmp_path_factory.mktemp("worker-media")


def spawn_worker(
    queue: str = "celery", *, hostname: str = "test", pool: str = "solo", **env: str
) -> subprocess.Popen:
    """A real Celery worker process on the test database, consuming `queue`, in its own
    process group (so a test can kill it whole). `env` adds to its environment. Not waited
    for: a solo worker busy with a task answers no ping, so a test that starts one onto a
    full queue watches its jobs instead (start_worker waits). Time limits need the prefork
    pool (as in production): the solo pool does not enforce them."""
    from django.db import connection

    environment = {
        **os.environ,
        "DATABASE_URL": with_database(settings.DATABASE_URL, connection.settings_dict["NAME"]),
        "REDIS_URL": settings.REDIS_URL,
        "EXPORT_RETRY_SECONDS": "0",
        **env,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "core",
            "worker",
            "--pool",
            pool,
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--queues",
            queue,
            "--hostname",
            f"{hostname}-{os.getpid()}@%h",
        ],
        cwd=BASE_DIR,
        env=environment,
        start_new_session=True,
    )


def start_worker(
    queue: str = "celery", *, hostname: str = "test", pool: str = "solo", **env: str
) -> subprocess.Popen:
    """spawn_worker, returned once the worker answers a ping."""
    from celery import Celery

    from core.celery import app
    from core.settings import celery_url

    worker = spawn_worker(queue, hostname=hostname, pool=pool, **env)
    deadline = time.monotonic() + 60
    destination = [f"{hostname}-{os.getpid()}@{socket.gethostname()}"]
    # A worker given another Redis (env REDIS_URL, as the fault tests do) answers pings there.
    control = app
    if "REDIS_URL" in env:
        control = Celery(broker=celery_url(env["REDIS_URL"]), set_as_current=False)
    while not control.control.ping(destination=destination, timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            pytest.fail("the test Celery worker did not start")
    if control is not app:
        control.close()
    return worker


def stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(5)


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup: None,
    django_db_blocker: object,
    worker_mail_dir: Path,
    worker_media_dir: Path,
) -> Iterator[subprocess.Popen]:
    """A real Celery worker process on the test database (use with transactional_db)."""
    from core.celery import app

    app.control.purge()
    worker = start_worker(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(worker_mail_dir),
        MEDIA_ROOT=str(worker_media_dir),
    )
    SESSION_WORKER.append(f"test-{os.getpid()}@{socket.gethostname()}")
    yield worker
    SESSION_WORKER.clear()
    stop_worker(worker)
