"""PostgreSQL killed (SIGKILL to the postmaster) while members write, then restarted: every
write a client was told had succeeded is there, and while the database is away the web
server answers at once with 503, never a hung request or a 500 (the quick test fakes the
outage inside one request; the long one, in make faults, kills a real server).

Runs against a private embedded PostgreSQL (never the shared one), behind gunicorn with
DEBUG off, written to through the API by several members at once.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from django.db import OperationalError
from django.test import Client

from core.models import Seminar, User
from core.runtime import BASE_DIR
from tests.faults.conftest import PrivatePostgres, WebServer, production_env, report

WRITERS = 8
KILLS = 3
LD = "application/ld+json"

# Run by `manage.py shell` on the private database: a seminar, a text, members with tokens.
SETUP = """
import json
from annotate.services.documents import document_import
from core.models import Role
from core.services.accounts import api_token_create
from tests.factories import make_seminar, make_user, member

owner = make_user(username="olivia")
seminar = make_seminar(owner, name="Durability")
text = "\\n\\n".join(
    f"Paragraph {i} reads lorem{i} ipsum{i} dolor{i} sit amet." for i in range(400)
)
document = document_import(
    seminar=seminar, user=owner, title="Words", source_text=text, format="plain"
)
tokens = [
    api_token_create(user=member(seminar, Role.MEMBER, username=f"writer{i}")).key
    for i in range(WRITERS)
]
print(json.dumps({"slug": seminar.slug, "document": document.pk, "tokens": tokens}))
"""


@dataclass
class Outcome:
    kind: str  # "annotation" or "reply"
    marker: str  # the body: unique, so the database can be searched for it
    status: int | None  # None: no answer (connection error or timeout)
    seconds: float
    phase: str  # "up", "down" (between the kill and the restart) or "back"


@dataclass
class Run:
    phase: str = "up"
    stop: threading.Event = field(default_factory=threading.Event)
    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def writer(number: int, token: str, web: WebServer, setup: dict[str, object], run: Run) -> None:
    """Annotate and reply as one member until told to stop, recording every answer."""
    session = requests.Session()
    session.headers.update({"Authorization": f"Token {token}", "Content-Type": LD})
    container = web.url(f"/api/v1/seminars/{setup['slug']}/annotations/")
    source = web.url(f"/api/v1/documents/{setup['document']}/")
    mine: list[str] = []  # IRIs of this writer's acknowledged annotations
    rng = random.Random(number)
    sequence = 0
    while not run.stop.is_set():
        sequence += 1
        marker = f"w{number}-n{sequence}"
        if mine and sequence % 3 == 0:
            kind = "reply"
            payload: dict[str, object] = {
                "type": "Annotation",
                "motivation": "replying",
                "body": {"type": "TextualBody", "value": f"Reply {marker}"},
                "target": rng.choice(mine),
            }
        else:
            kind, paragraph = "annotation", rng.randrange(400)
            payload = {
                "type": "Annotation",
                "motivation": "commenting",
                "body": {"type": "TextualBody", "value": f"Note {marker}"},
                "target": {
                    "source": source,
                    "selector": {
                        "type": "TextQuoteSelector",
                        "exact": f"lorem{paragraph} ipsum{paragraph}",
                    },
                },
            }
        phase, started = run.phase, time.monotonic()
        try:
            response = session.post(container, data=json.dumps(payload), timeout=30)
            status: int | None = response.status_code
        except requests.RequestException:
            status = None
        seconds = time.monotonic() - started
        if status == 201 and kind == "annotation":
            mine.append(response.json()["id"])
        if status == 503:
            assert response.json()["code"] == "unavailable"
            assert response.headers["Retry-After"]
        with run.lock:
            run.outcomes.append(Outcome(kind, marker, status, seconds, phase))
        if status != 201:
            time.sleep(0.05)  # a client backing off a little, as a person would


@pytest.mark.django_db
def test_the_database_going_away_mid_request_answers_503_at_once(
    client: Client, roles: dict[str, User], seminar: Seminar, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db.backends.utils import CursorWrapper

    def down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("connection to server on socket failed: No such file")

    client.force_login(roles["member"])
    with monkeypatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", down)
        api = client.get(f"/api/v1/seminars/{seminar.slug}/")
        page = client.get(f"/s/{seminar.slug}/")
    assert (api.status_code, api["Retry-After"], api.json()["code"]) == (503, "5", "unavailable")
    assert (page.status_code, page["Retry-After"]) == (503, "5")
    assert b"Try again" in page.content


@pytest.mark.faults
@pytest.mark.filterwarnings("ignore:XDG_RUNTIME_DIR")  # platformdirs, run as root
def test_acknowledged_writes_survive_postgres_killed_mid_stream(
    private_postgres: PrivatePostgres, short_tmp: Path
) -> None:
    started = time.monotonic()
    database = private_postgres.url("glossa")
    # No Redis at all (a closed port): rate limits fail open, and nothing else needs it here.
    env = production_env(database, "redis://127.0.0.1:1/0")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=BASE_DIR,
        env={**os.environ, **env},
        check=True,
    )
    printed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SETUP.replace("WRITERS", str(WRITERS))],
        cwd=BASE_DIR,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    setup = json.loads(printed.strip().splitlines()[-1])
    web = WebServer(env, short_tmp / "gunicorn.log")
    run = Run()
    threads = [
        threading.Thread(target=writer, args=(i, token, web, setup, run))
        for i, token in enumerate(setup["tokens"])
    ]
    leftovers = []
    downtimes = []
    try:
        for thread in threads:
            thread.start()
        for _ in range(KILLS):
            time.sleep(random.uniform(2, 4))  # writing at full speed
            run.phase = "down"
            leftovers.append(private_postgres.kill())
            down = time.monotonic()
            time.sleep(3)  # members keep writing into the outage
            private_postgres.start()
            downtimes.append(time.monotonic() - down)
            run.phase = "back"
        time.sleep(3)
    finally:
        run.stop.set()
        for thread in threads:
            thread.join(60)
        web.stop()

    with psycopg.connect(database) as connection:
        present = {
            body.split(" ", 1)[1]
            for (body,) in connection.execute(
                "SELECT body FROM annotate_annotation UNION ALL SELECT body FROM annotate_reply"
            )
        }
    acknowledged = {o.marker for o in run.outcomes if o.status == 201}
    unanswered = [o for o in run.outcomes if o.status != 201]
    lost = acknowledged - present
    phantom = present - {o.marker for o in run.outcomes}
    committed_unacknowledged = {o.marker for o in unanswered} & present
    during = [o for o in run.outcomes if o.phase == "down"]
    refused = [o for o in during if o.status != 201]
    report(
        f"postgres SIGKILL x{KILLS} ({sum(leftovers)} backends outlived the postmaster >10 s; "
        f"down {min(downtimes):.1f}-{max(downtimes):.1f} s each): {len(run.outcomes)} writes "
        f"by {WRITERS} members, {len(acknowledged)} acknowledged, {len(acknowledged & present)} "
        f"present, {len(lost)} lost; {len(unanswered)} refused ({len(committed_unacknowledged)} "
        f"of them committed all the same); while down: {len(refused)} answers, statuses "
        f"{sorted({o.status for o in refused}, key=str)}, slowest "
        f"{max((o.seconds for o in refused), default=0):.2f} s; "
        f"{time.monotonic() - started:.0f} s in all"
    )
    assert not lost, f"acknowledged writes missing after the crash: {sorted(lost)[:20]}"
    assert not phantom
    assert all(o.status in (201, 503) for o in run.outcomes), sorted(
        {o.status for o in run.outcomes}, key=str
    )
    assert refused, "no write met the outage: the kill came too late"
    assert max(o.seconds for o in run.outcomes) < 5, "a request hung"
    # Writing resumes by itself after each restart (no web server restart needed).
    assert len([o for o in run.outcomes if o.phase == "back" and o.status == 201]) > 50
