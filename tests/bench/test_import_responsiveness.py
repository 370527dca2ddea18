"""Does the web process keep answering while someone imports the worst text they can make?

A real server (Django's threaded live server, one process, as `make run` serves pages) and a
real Celery worker (prefork, as in production). A 1 MB pathological Markdown text and a 4.5 MB
OCR text are sent as import previews; meanwhile /healthz is asked every 20 ms, and its
latencies are reported. Read by a job (the default: sources over IMPORT_INLINE_MAX_CHARS), the
web process only queues the work and answers /healthz as fast as when idle. Read in the request
(IMPORT_INLINE_MAX_CHARS raised past the source, the way every import ran before), the parse
holds the process's GIL and /healthz waits: the same run shows both.

Runs only with `make bench`.
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from rest_framework.authtoken.models import Token

from core.models import Seminar, User
from tests.conftest import start_worker, stop_worker
from tests.factories import make_seminar, make_user

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "annotate/samples/hungarian-revolution-1956-superpowers.ocr.txt"
)
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def sources() -> dict[str, tuple[str, str]]:
    sample = SAMPLE.read_text(encoding="utf-8")
    return {
        'Markdown "*a " × 333,333 (1 MB)': ("markdown", "*a " * 333_333),
        "Markdown [×200,000 a ]×200,000 (0.4 MB)": (
            "markdown",
            "[" * 200_000 + "a" + "]" * 200_000,
        ),
        "OCR, one 1 MB word": ("ocr", "a" * 1_000_000),
        "OCR sample × 75 (4.5 MB)": ("ocr", (sample * 80)[:4_500_000]),
    }


def healthz_while(url: str, busy: threading.Event) -> list[float]:
    """/healthz latencies (seconds) until `busy` is cleared."""
    latencies: list[float] = []
    with requests.Session() as session:
        while busy.is_set():
            start = time.perf_counter()
            session.get(f"{url}/healthz", timeout=120)
            latencies.append(time.perf_counter() - start)
            time.sleep(0.02)
    return latencies


def preview(url: str, token: str, seminar: Seminar, fmt: str, text: str) -> tuple[float, int]:
    """Ask for the preview and wait for it (polling the job when it is one): seconds, status."""
    headers = {"Authorization": f"Token {token}"}
    body: dict[str, Any] = {
        "seminar": seminar.slug,
        "preview": True,
        "format": fmt,
        "source_text": text,
    }
    start = time.perf_counter()
    answer = requests.post(f"{url}/api/v1/documents/", json=body, headers=headers, timeout=900)
    if answer.status_code == 202:
        job = answer.json()["url"]
        while answer.json().get("status") not in ("succeeded", "failed"):
            time.sleep(0.1)
            answer = requests.get(f"{url}{job}", headers=headers, timeout=60)
    return time.perf_counter() - start, answer.status_code


def summary(latencies: list[float]) -> str:
    ms = sorted(1000 * x for x in latencies)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return (
        f"n={len(ms):4d}  p50 {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms  "
        f"max {ms[-1]:7.1f} ms"
    )


def test_healthz_answers_while_the_largest_pathological_import_runs(
    live_server: Any, settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "text_preview": (10_000, 3600)}
    settings.IMPORT_MAX_ACTIVE = 100
    owner: User = make_user(username="bench-owner")
    seminar = make_seminar(owner, name="Bench")
    token = Token.objects.create(user=owner).key
    worker = start_worker(hostname="bench-import", pool="prefork")
    url = live_server.url
    rows: list[str] = []
    job_p95: list[float] = []
    try:
        idle = threading.Event()
        idle.set()
        timer = threading.Timer(3, idle.clear)
        timer.start()
        rows.append(f"{'idle':48s} {'':>18s}  /healthz {summary(healthz_while(url, idle))}")
        for mode, inline_max in (("job", 100_000), ("in the request", 10**9)):
            settings.IMPORT_INLINE_MAX_CHARS = inline_max
            for name, (fmt, text) in sources().items():
                busy = threading.Event()
                busy.set()
                outcome: dict[str, Any] = {}

                def run(
                    fmt: str = fmt,
                    text: str = text,
                    outcome: dict[str, Any] = outcome,
                    busy: threading.Event = busy,
                ) -> None:
                    try:
                        outcome["seconds"], outcome["status"] = preview(
                            url, token, seminar, fmt, text
                        )
                    finally:
                        busy.clear()

                thread = threading.Thread(target=run)
                time.sleep(0.2)
                thread.start()
                latencies = healthz_while(url, busy)
                thread.join()
                rows.append(
                    f"{name:40s} {mode:>15s}  {outcome['status']} in "
                    f"{outcome['seconds']:6.2f} s  /healthz {summary(latencies)}"
                )
                if mode == "job":
                    ms = sorted(latencies)
                    job_p95.append(ms[min(len(ms) - 1, int(0.95 * len(ms)))])
    finally:
        stop_worker(worker)
    print("\nImport previews and /healthz (one web process, one prefork worker):")
    print("\n".join(rows))
    assert max(job_p95) < 0.1, "the web process stalled while a job read a text"
