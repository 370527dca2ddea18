"""`make load`: a seminar's members reading and writing at once, against gunicorn and Celery.

For each phase, a fresh database (`glossa_load`, copied from `glossa_load_seed`: migrated, the
demo seminar and its OCR sample, LOAD_USERS members with known passwords) on the PostgreSQL of
DATABASE_URL (else 127.0.0.1:5432, else the embedded one), Redis database 6 of REDIS_URL's
server (flushed), gunicorn and a Celery worker with production settings (DEBUG=0), then
Locust, headless, with the user classes of tests/load/locustfile.py. Two phases by default:
`baseline` (the members and one export a minute) and `abuse` (the same plus one client
writing 10 times a second, which should get 429s without slowing anyone else), each run
twice by default in ABBA order (baseline, abuse, abuse, baseline) and compared pooled.

    python -m tests.load.run [--users 50] [--seconds 300] [--phases baseline,abuse] [--rounds 2]

Prints per group (read, fragment, write, export) requests, failures and p50/p95/p99, checks
the targets, and exits 1 if one is missed. Everything it starts it stops; `--keep` leaves the
databases. Files (logs, Locust's CSV and JSON, summary.json) go to var/load/.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import parse_qs, urlencode, urlsplit

from core import runtime

BASE_DIR = runtime.BASE_DIR
OUT = runtime.VAR / "load"
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
DATABASE = "glossa_load"
SEED_DATABASE = "glossa_load_seed"
REDIS_DB = 6
PASSWORD = "glossa-load-1956"  # throwaway accounts in a throwaway database
GROUPS = ("read", "fragment", "write", "export")
TARGET_P95_MS = {"read": 300, "fragment": 300, "write": 500}
ABUSE_TOLERANCE = 1.10  # everyone else's p95 with the abuser, against the baseline
WORKER_NICE = 10  # the Celery worker's: exports yield to members' requests


def log(message: str) -> None:
    print(f"load: {message}", flush=True)


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# --- Services -----------------------------------------------------------------------------


@dataclass
class Stack:
    admin_url: str = ""  # the PostgreSQL server, any database
    redis_url: str = ""  # database REDIS_DB of the Redis server
    stops: list[Callable[[], None]] = field(default_factory=list)

    def database_url(self, name: str = DATABASE) -> str:
        return runtime.with_database(self.admin_url, name)


def with_redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        return parts._replace(query=urlencode({**query, "db": db})).geturl()
    return parts._replace(path=f"/{db}").geturl()


def find_services(stack: Stack) -> None:
    """DATABASE_URL's and REDIS_URL's servers, else 127.0.0.1's, else embedded ones."""
    if os.environ.get("DATABASE_URL"):
        stack.admin_url = runtime.with_database(os.environ["DATABASE_URL"], "postgres")
    elif runtime.answers("127.0.0.1", 5432):
        stack.admin_url = runtime.with_database(runtime.LOCAL_DATABASE_URL, "postgres")
    else:
        log("no PostgreSQL on 127.0.0.1:5432: starting the embedded one")
        stack.admin_url, stop = runtime.start_embedded_postgres("postgres", stop_reused=False)
        stack.stops.append(stop)
    if os.environ.get("REDIS_URL"):
        stack.redis_url = with_redis_db(os.environ["REDIS_URL"], REDIS_DB)
    elif runtime.answers("127.0.0.1", 6379):
        stack.redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    else:
        log("no Redis on 127.0.0.1:6379: starting the embedded one")
        url, stop = runtime.start_embedded_redis(stop_reused=False)
        stack.redis_url = with_redis_db(url, REDIS_DB)
        stack.stops.append(stop)


def sql(admin_url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.encode())


def drop_database(admin_url: str, name: str) -> None:
    sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def app_env(stack: Stack, port: int, secret: str, database: str = DATABASE) -> dict[str, str]:
    """Production settings (as the Dockerfile's), on plain HTTP to 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if k != "GUNICORN_CMD_ARGS"}
    return {
        **env,
        "DEBUG": "0",
        "SECRET_KEY": secret,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": stack.database_url(database),
        "REDIS_URL": stack.redis_url,
        "STATIC_ROOT": str(OUT / "static"),
        "MEDIA_ROOT": str(OUT / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        "PYTHONUNBUFFERED": "1",
    }


# --- Seeding (runs in a subprocess, on the seed database) ------------------------------------


def seed(users: int, fixture: Path) -> None:
    """Migrate, load the demo seminar, add the members, and describe it all for Locust."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from annotate.models import Annotation, ClaimStatus
    from core.management.commands.seed_demo import DEMO_SEMINAR
    from core.models import Membership, Role, Seminar, User

    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", stdout=io.StringIO())
    seminar = Seminar.objects.get(slug=DEMO_SEMINAR)
    names = [f"member{i:02}" for i in range(1, users + 1)] + ["exporter", "abuser"]
    password = make_password(PASSWORD)  # hashed once: 52 hashes would take a while
    accounts = User.objects.bulk_create(
        User(
            username=name, display_name=name.title(), email=f"{name}@example.org", password=password
        )
        for name in names
    )
    Membership.objects.bulk_create(
        Membership(seminar=seminar, user=user, role=Role.MEMBER) for user in accounts
    )
    document = seminar.documents.get()
    revision = document.current
    assert revision is not None
    shown = Annotation.objects.filter(
        document=document,
        revision=revision,
        visibility=Annotation.Visibility.SEMINAR,
        deleted_at__isnull=True,
        hidden=False,
        locked=False,
        start__isnull=False,
    )
    final = {ClaimStatus.UPHELD, ClaimStatus.REJECTED, ClaimStatus.WITHDRAWN}
    rows = shown.order_by("pk").values_list(
        "pk", "start", "end", "kind", "author__username", "claim_status"
    )
    threads = [
        {"id": pk, "start": start, "end": end, "kind": kind, "author": author}
        for pk, start, end, kind, author, _ in rows
    ]
    claims = [
        thread
        for thread, (*_, status) in zip(threads, rows, strict=True)
        if thread["kind"] == Annotation.Kind.CLAIM and status not in final
    ]
    fixture.write_text(
        json.dumps(
            {
                "seminar": seminar.slug,
                "document": document.pk,
                "revision": revision.number,
                "paragraphs": [
                    [b["start"], b["end"]]
                    for b in revision.blocks
                    if b["kind"] == "paragraph" and b["end"] - b["start"] > 40
                ],
                "threads": threads,
                "claims": claims,
                "members": names[:users],
                "exporter": "exporter",
                "abuser": "abuser",
                "password": PASSWORD,
                "poll_seconds": settings.READER_POLL_SECONDS,
                "rate_limits": {action: n for action, (n, _) in settings.RATE_LIMITS.items()},
            },
            indent=1,
        )
    )


def prepare(stack: Stack, users: int, port: int, secret: str) -> Path:
    """The seed database (a template for each phase's fresh copy), the fixture, static files."""
    OUT.mkdir(parents=True, exist_ok=True)
    fixture = OUT / "fixture.json"
    drop_database(stack.admin_url, DATABASE)
    drop_database(stack.admin_url, SEED_DATABASE)
    sql(stack.admin_url, f'CREATE DATABASE "{SEED_DATABASE}"')
    log(f"migrating {SEED_DATABASE} and seeding the demo seminar with {users} members")
    env = app_env(stack, port, secret, SEED_DATABASE)
    # seed_demo sets known passwords, so it refuses to run with DEBUG off: only it has DEBUG on.
    subprocess.run(
        [sys.executable, "-m", "tests.load.run", "seed", "--users", str(users), str(fixture)],
        cwd=BASE_DIR,
        env={**env, "DEBUG": "1"},
        check=True,
    )
    if static_is_current():
        log(f"static files in {OUT / 'static'} are up to date")
    else:
        log("collecting static files (WhiteNoise's manifest, as the Dockerfile does; minutes)")
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
        )
    return fixture


def static_is_current() -> bool:
    """Compressing every static file takes minutes here: redo it only when one changed."""
    manifest = OUT / "static" / "staticfiles.json"
    if not manifest.exists():
        return False
    sources = [BASE_DIR / "pyproject.toml", *(BASE_DIR / "static").rglob("*")]
    return all(p.stat().st_mtime < manifest.stat().st_mtime for p in sources)


# --- A phase --------------------------------------------------------------------------------


@dataclass
class Options:
    users: int
    seconds: int
    port: int
    web_workers: int
    worker_concurrency: int
    spawn_rate: float
    abuse_rps: float
    warmup: int


@contextlib.contextmanager
def servers(
    stack: Stack, options: Options, secret: str
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """gunicorn and a Celery worker on a fresh copy of the seed database, until the block ends."""
    drop_database(stack.admin_url, DATABASE)
    sql(stack.admin_url, f'CREATE DATABASE "{DATABASE}" TEMPLATE "{SEED_DATABASE}"')
    flush_redis(stack.redis_url)
    shutil.rmtree(OUT / "media", ignore_errors=True)
    env = app_env(stack, options.port, secret)
    children: dict[str, subprocess.Popen[bytes]] = {}
    logs: list[IO[bytes]] = []

    def start(name: str, args: list[str]) -> None:
        out = (OUT / f"{name}.log").open("ab")
        logs.append(out)
        children[name] = subprocess.Popen(
            args, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    try:
        # Niced: on a machine it shares with the web server, a PDF export (seconds of CPU)
        # should yield to members' requests, as a deployment would arrange (docker-compose.yml
        # gives the worker a smaller CPU share).
        start(
            "celery",
            ["nice", "-n", str(WORKER_NICE),
             sys.executable, "-m", "celery", "-A", "core", "worker", "--loglevel", "WARNING",
             "--concurrency", str(options.worker_concurrency), "--without-gossip",
             "--without-mingle", "--hostname", f"load-{options.port}@%h"],
        )  # fmt: skip
        yield_cpu(children["celery"])
        start(
            "gunicorn",
            [sys.executable, "-m", "gunicorn", "core.wsgi", "--bind",
             f"127.0.0.1:{options.port}", "--workers", str(options.web_workers),
             "--timeout", "60", "--graceful-timeout", "10"],
        )  # fmt: skip
        wait_healthy(options.port, list(children.values()))
        yield children
    finally:
        for child in reversed(children.values()):
            runtime.stop_process_group(child)
        for out in logs:
            out.close()


def yield_cpu(child: subprocess.Popen[bytes], nice: int = WORKER_NICE) -> None:
    """Make `nice` count for a process in a session of its own.

    Where the kernel groups processes by session for scheduling (autogroup, on by default in
    most Linux distributions: /proc/sys/kernel/sched_autogroup_enabled), each session gets an
    equal share of the CPU and a process's nice value only weighs against its own session: a
    niced worker started with start_new_session=True took a whole core from gunicorn's five
    workers while it built a PDF. The session's own nice value is what weighs against the
    others. Without autogroup there is no such file, and the plain nice value is enough.
    """
    with contextlib.suppress(OSError):
        Path(f"/proc/{child.pid}/autogroup").write_text(f"{nice}\n")


def wait_healthy(port: int, children: list[subprocess.Popen[bytes]], timeout: float = 90) -> None:
    """Until /healthz answers 200: the database, Redis and the Celery worker all answer."""
    url = f"http://127.0.0.1:{port}/healthz"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            raise SystemExit(f"load: gunicorn or the worker exited; see {OUT}/*.log")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as answer:
            if answer.status == 200:
                return
        time.sleep(0.5)
    raise SystemExit(f"load: {url} did not answer 200 within {timeout:.0f} s; see {OUT}/*.log")


def group_cpu(pgid: int) -> float:
    """CPU seconds the live processes of a process group have used (from /proc)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:  # pgrp; then utime and stime, in clock ticks
                ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Measures:
    """What the machine did while Locust measured."""

    loads: list[tuple[float, float]] = field(default_factory=list)  # (when, 1-minute load)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds of gunicorn, the worker


def run_locust(
    phase: str,
    options: Options,
    fixture: Path,
    children: dict[str, subprocess.Popen[bytes]],
    files: str = "",
) -> tuple[Path, Measures]:
    """Locust, headless; its stats (reset once every client has signed in) and what the
    machine did meanwhile. Its files in OUT are named `files` (default: the phase's name)."""
    classes = ["Reader", "Writer", "Exporter"] + (["Abuser"] if phase == "abuse" else [])
    files = files or phase
    total = options.users + len(classes) - 2  # Exporter and Abuser come on top of the members
    ramp = int(total / options.spawn_rate + 0.999)
    # Signing in (a password hash each) can take longer than spawning on a busy machine: the
    # locustfile stops LOAD_SECONDS after the last sign-in; --run-time is only a safety net.
    cap = ramp + options.warmup + options.seconds + 600
    results, mark = OUT / f"{files}.json", OUT / f"{files}.measuring"
    for old in (results, mark):
        old.unlink(missing_ok=True)
    command = [
        str(Path(sys.executable).with_name("locust")),
        "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        "--users", str(total), "--spawn-rate", str(options.spawn_rate),
        "--run-time", f"{cap}s", "--stop-timeout", "15",
        "--host", f"http://127.0.0.1:{options.port}",
        "--csv", str(OUT / files), "--loglevel", "WARNING",
        *classes,
    ]  # fmt: skip
    env = {
        **os.environ,
        "LOAD_FIXTURE": str(fixture),
        "LOAD_RESULTS_FILE": str(results),
        "LOAD_ABUSE_RPS": str(options.abuse_rps),
        "LOAD_SECONDS": str(options.seconds),
        "LOAD_WARMUP": str(options.warmup),
        "LOAD_MARK_FILE": str(mark),
    }
    log(
        f"{phase}: {total} simulated clients ({', '.join(classes)}) sign in over {ramp} s or "
        f"more, {options.warmup} s to settle, then {options.seconds} s measured"
    )
    with (OUT / f"{files}-locust.log").open("wb") as out:
        locust = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        measures = Measures()
        started: dict[str, float] = {}
        locust_cpu = 0.0  # Locust's own, sampled while it runs (it is gone at the end)
        try:
            while locust.poll() is None:
                time.sleep(5)
                if mark.exists():
                    if not started:
                        started = {n: group_cpu(c.pid) for n, c in children.items()}
                        started["locust"] = group_cpu(locust.pid)
                    when = time.time() - mark.stat().st_mtime
                    measures.loads.append((when, os.getloadavg()[0]))
                    if now := group_cpu(locust.pid):  # 0 once it has exited
                        locust_cpu = now - started["locust"]
        finally:
            runtime.stop_process_group(locust, timeout=30)
        measures.cpu = {n: group_cpu(c.pid) - started.get(n, 0) for n, c in children.items()}
        measures.cpu["locust"] = max(0.0, locust_cpu)
    if not results.exists():
        raise SystemExit(
            f"load: Locust stopped before it measured anything; see {OUT}/{phase}-locust.log"
        )
    return results, measures


# --- Figures --------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    requests: int = 0
    failures: int = 0
    times: dict[float, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    method: str = ""  # GET, POST; JOB for an export's whole wait (not a request)

    @property
    def group(self) -> str:
        return self.name.split(":", 1)[0]

    def add(self, other: Row) -> None:
        self.requests += other.requests
        self.failures += other.failures
        for ms, n in other.times.items():
            self.times[ms] = self.times.get(ms, 0) + n
        for code, n in other.statuses.items():
            self.statuses[code] = self.statuses.get(code, 0) + n

    def percentile(self, fraction: float) -> float:
        counted = sum(self.times.values())
        seen = 0
        for ms in sorted(self.times):
            seen += self.times[ms]
            if seen >= fraction * counted:
                return ms
        return 0.0


@dataclass
class Phase:
    name: str
    seconds: float
    rows: list[Row]
    measures: Measures
    load_before: float
    timeline: list[float] = field(default_factory=list)  # members' p95 by 30 s

    def group(self, group: str) -> Row:
        total = Row(group)
        for row in self.rows:
            if row.group == group:
                total.add(row)
        return total

    def members_failures(self) -> int:
        return sum(row.failures for row in self.rows if row.group != "abuse")

    def count(self, group: str, status: str) -> int:
        return sum(r.statuses.get(status, 0) for r in self.rows if r.group == group)


def read_phase(name: str, results: Path, measures: Measures, before: float) -> Phase:
    codes = json.loads(results.read_text())
    rows = []
    for entry in codes["stats"]:
        row = Row(
            entry["name"],
            entry["num_requests"],
            entry["num_failures"],
            {float(ms): n for ms, n in entry["response_times"].items()},
            codes["status"].get(f"{entry['method']} {entry['name']}", {}),
            entry["method"],
        )
        rows.append(row)
    rows.sort(key=lambda r: r.name)
    return Phase(name, codes["seconds"], rows, measures, before, codes.get("timeline", []))


def phase_order(names: list[str], rounds: int) -> list[str]:
    """The phases, `rounds` times, every other round reversed (baseline, abuse, abuse,
    baseline, ...): a machine that slows down or speeds up over the run weighs on both alike."""
    return [name for i in range(rounds) for name in (names if i % 2 == 0 else names[::-1])]


def pooled(runs: list[Phase]) -> Phase:
    """Several runs of one phase as one: every response time of every run counts."""
    if len(runs) == 1:
        return runs[0]
    rows: dict[str, Row] = {}
    for run in runs:
        for row in run.rows:
            rows.setdefault(row.name, Row(row.name, method=row.method)).add(row)
    measures = Measures(
        [load for run in runs for load in run.measures.loads],
        {
            name: sum(run.measures.cpu.get(name, 0) for run in runs)
            for name in {name for run in runs for name in run.measures.cpu}
        },
    )
    return Phase(
        f"{runs[0].name} (all {len(runs)} runs)",
        sum(run.seconds for run in runs),
        sorted(rows.values(), key=lambda r: r.name),
        measures,
        max(run.load_before for run in runs),
        [],  # each run's table has its own, by 30 s
    )


def table(phase: Phase) -> str:
    head = f"{'':34} {'requests':>8} {'fail':>5} {'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6}"
    lines = [f"{phase.name}: {phase.seconds:.0f} s measured", head, "-" * len(head)]

    def line(row: Row, label: str) -> str:
        rate = row.requests / phase.seconds if phase.seconds else 0
        return (
            f"{label:34} {row.requests:8} {row.failures:5} {rate:6.1f} "
            f"{row.percentile(0.5):6.0f} {row.percentile(0.95):6.0f} {row.percentile(0.99):6.0f}"
        )

    for row in phase.rows:
        lines.append(line(row, "  " + row.name))
    lines.append("-" * len(head))
    for group in (*GROUPS, "abuse"):
        row = phase.group(group)
        if row.requests:
            lines.append(line(row, f"{group.upper()} (all)"))
    if phase.group("abuse").requests:
        lines.append(
            f"abuser: {phase.group('abuse').requests} requests, "
            f"{phase.count('abuse', '429')} answered 429, {phase.count('abuse', '201')} accepted"
        )
        for row in phase.rows:
            if row.group == "abuse":
                lines.append(
                    f"  {row.name}: "
                    + ", ".join(
                        f"{count} × {status}" for status, count in sorted(row.statuses.items())
                    )
                )
    loads = [load for _, load in phase.measures.loads]
    if loads:
        lines.append(
            f"load average (1 min) before: {phase.load_before:.2f}; during: mean "
            f"{sum(loads) / len(loads):.2f}, max {max(loads):.2f} on {os.cpu_count()} cores"
        )
    if phase.timeline:  # when it was slow, and what else the machine was doing then
        by_slice: dict[int, list[float]] = {}
        for when, load in phase.measures.loads:
            by_slice.setdefault(int(when // 30), []).append(load)
        lines.append("by 30 s, members' p95 ms: " + " ".join(f"{ms:.0f}" for ms in phase.timeline))
        lines.append(
            "by 30 s, load average:    "
            + " ".join(
                f"{max(by_slice[i]):.1f}" if i in by_slice else "-"
                for i in range(len(phase.timeline))
            )
        )
    served = sum(row.requests for row in phase.rows if row.method != "JOB")
    cpu = phase.measures.cpu
    if cpu and phase.seconds:
        web = cpu.get("gunicorn", 0)
        lines.append(
            f"CPU: gunicorn {web:.0f} s ({web / phase.seconds:.0%} of a core, "
            f"{web * 1000 / max(1, served):.1f} ms a request), Celery worker "
            f"{cpu.get('celery', 0):.0f} s, Locust {cpu.get('locust', 0):.0f} s; PostgreSQL "
            "comes on top"
        )
    return "\n".join(lines)


def checks(phases: dict[str, Phase]) -> list[tuple[str, bool]]:
    results: list[tuple[str, bool]] = []
    for phase in phases.values():
        failures = phase.members_failures()
        results.append((f"{phase.name}: members' failed requests = {failures} (0)", failures == 0))
    if "baseline" in phases:
        for group, target in TARGET_P95_MS.items():
            p95 = phases["baseline"].group(group).percentile(0.95)
            results.append((f"baseline: {group} p95 {p95:.0f} ms (< {target})", p95 < target))
    if "abuse" in phases:
        abuse = phases["abuse"]
        limited = abuse.count("abuse", "429")
        results.append((f"abuse: the abuser got {limited} 429s (> 0)", limited > 0))
        others = sum(r.statuses.get("429", 0) for r in abuse.rows if r.group != "abuse")
        results.append((f"abuse: members got {others} 429s (0)", others == 0))
        if "baseline" in phases:
            for group in TARGET_P95_MS:
                before = phases["baseline"].group(group).percentile(0.95)
                after = abuse.group(group).percentile(0.95)
                limit = before * ABUSE_TOLERANCE
                results.append(
                    (
                        f"abuse: {group} p95 {after:.0f} ms vs {before:.0f} ms "
                        f"(<= {limit:.0f}, +{(ABUSE_TOLERANCE - 1) * 100:.0f}%)",
                        after <= limit,
                    )
                )
            # The abuser's export flood: the members' exporter waits at most one job more.
            built = "export: built and downloaded"
            jobs = [
                next((r for r in phase.rows if r.name == built), None)
                for phase in (phases["baseline"], abuse)
            ]
            before, after = (row.percentile(0.95) if row else 0 for row in jobs)
            if before:
                results.append(
                    (
                        f"abuse: members' exports p95 {after:.0f} ms vs {before:.0f} ms "
                        f"(<= {2 * before:.0f}: at most one more job's time)",
                        after <= 2 * before,
                    )
                )
    return results


# --- Main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.load.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=env_int("LOAD_USERS", 50))
    parser.add_argument("--seconds", type=int, default=env_int("LOAD_SECONDS", 300))
    parser.add_argument(
        "--phases", default=os.environ.get("LOAD_PHASES", "baseline,abuse"),
        help="baseline, abuse, or both (comma-separated)",
    )  # fmt: skip
    parser.add_argument("--port", type=int, default=env_int("LOAD_PORT", 8765))
    parser.add_argument(
        "--web-workers",
        type=int,
        default=env_int("LOAD_WEB_WORKERS", 2 * (os.cpu_count() or 1) + 1),
    )
    parser.add_argument("--worker-concurrency", type=int, default=env_int("LOAD_CELERY", 1))
    parser.add_argument(
        "--spawn-rate", type=float, default=float(os.environ.get("LOAD_SPAWN_RATE", "2"))
    )
    parser.add_argument(
        "--abuse-rps", type=float, default=float(os.environ.get("LOAD_ABUSE_RPS", "10"))
    )
    parser.add_argument(
        "--warmup", type=int, default=env_int("LOAD_WARMUP", 30),
        help="seconds between the last sign-in and the start of the measurement",
    )  # fmt: skip
    parser.add_argument(
        "--rounds", type=int, default=env_int("LOAD_ROUNDS", 2),
        help="run the phases this many times, in ABBA order, and compare the pooled figures",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="leave the databases for a look")
    sub = parser.add_subparsers(dest="action")
    seeding = sub.add_parser("seed", help="(internal) seed the database DATABASE_URL names")
    seeding.add_argument("--users", type=int, dest="seed_users", default=50)
    seeding.add_argument("fixture", type=Path)
    args = parser.parse_args(argv)
    if args.action == "seed":
        seed(args.seed_users, args.fixture)
        return 0

    names = [p.strip() for p in args.phases.split(",") if p.strip()]
    if not names or any(name not in ("baseline", "abuse") for name in names):
        parser.error("--phases takes baseline, abuse or both")
    options = Options(
        args.users,
        args.seconds,
        args.port,
        args.web_workers,
        args.worker_concurrency,
        args.spawn_rate,
        args.abuse_rps,
        args.warmup,
    )
    if runtime.answers("127.0.0.1", options.port):
        raise SystemExit(f"load: port {options.port} is taken; choose another with --port")
    stack = Stack()
    secret = secrets.token_urlsafe(50)
    phases: dict[str, Phase] = {}
    try:
        find_services(stack)
        fixture = prepare(stack, options.users, options.port, secret)
        runs: dict[str, list[Phase]] = {}
        for name in phase_order(names, args.rounds):
            log(
                f"{name}: gunicorn ({options.web_workers} workers) on port {options.port} and a "
                f"Celery worker, on a fresh {DATABASE}"
            )
            before = os.getloadavg()[0]
            files = f"{name}-{len(runs.get(name, [])) + 1}" if args.rounds > 1 else name
            with servers(stack, options, secret) as children:
                figures, measures = run_locust(name, options, fixture, children, files)
            runs.setdefault(name, []).append(read_phase(name, figures, measures, before))
            print("\n" + table(runs[name][-1]) + "\n", flush=True)
        phases = {name: pooled(found) for name, found in runs.items()}
        if args.rounds > 1:
            for phase in phases.values():
                print("\n" + table(phase) + "\n", flush=True)
    finally:
        if not args.keep and stack.admin_url:
            for database in (DATABASE, SEED_DATABASE):
                with contextlib.suppress(Exception):
                    drop_database(stack.admin_url, database)
        if stack.redis_url:
            with contextlib.suppress(Exception):
                flush_redis(stack.redis_url)
        for stop in reversed(stack.stops):
            with contextlib.suppress(Exception):
                stop()
    results = checks(phases)
    print("Targets:")
    for text, passed in results:
        print(f"  {'PASS' if passed else 'FAIL'}  {text}")
    (OUT / "summary.json").write_text(
        json.dumps(
            {
                "phases": {
                    name: {
                        group: {
                            "requests": row.requests,
                            "failures": row.failures,
                            "p50": row.percentile(0.5),
                            "p95": row.percentile(0.95),
                            "p99": row.percentile(0.99),
                        }
                        for group in (*GROUPS, "abuse")
                        if (row := phase.group(group)).requests
                    }
                    for name, phase in phases.items()
                },
                "checks": [{"check": text, "passed": passed} for text, passed in results],
            },
            indent=1,
        )
    )
    return 0 if all(passed for _, passed in results) else 1


if __name__ == "__main__":
    sys.exit(main())
