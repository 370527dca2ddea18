"""The members of one seminar reading and writing the OCR sample, for Locust.

Run by tests/load/run.py (`make load`), which seeds the accounts and writes the fixture this
file reads (LOAD_FIXTURE: the seminar, the text's paragraphs, its threads and claims, the
accounts). Every request is named after its group, which the runner's targets are about:
`read:` whole pages, `fragment:` htmx answers (thread panels, the live poll), `write:`,
`export:`, `abuse:` (the abusive client), `setup:` (signing in, not measured).

Members keep their reader open, so each one polls for changes every READER_POLL_SECONDS in a
greenlet of its own, as the page's script does, while its tasks click around.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import gevent
import gevent.event
import gevent.pool
from locust import FastHttpUser, between, constant, constant_pacing, events, task
from locust.env import Environment

HX = {"HX-Request": "true"}
CARD_ID = re.compile(r'<article class="card annotation[^"]*" id="a-(\d+)"')
SINCE = re.compile(r'data-since="([^"]+)"')
EXPORT_ROW = re.compile(r'id="export-(\d+)"')
FORMATS = ["html", "markdown", "tei", "jsonld", "pdf"]
KINDS = ["comment"] * 4 + ["question"] * 2 + ["claim"] * 2 + ["highlight"]
STANCES = ["supports", "disputes", "asks", "comment"]
PROSE = (
    "the author reads Dulles as reassurance rather than warning but the Presidium minutes "
    "suggest Moscow took the speech at face value and the timing matters here"
)


@cache
def fixture() -> dict[str, Any]:
    path = os.environ.get("LOAD_FIXTURE")
    if not path:
        raise SystemExit("LOAD_FIXTURE is not set: run this through `make load`.")
    data: dict[str, Any] = json.loads(Path(path).read_text())
    return data


# Shared by every simulated member in this process: threads to open and reply to, claims
# to dispute; writers add what they create.
THREADS: list[dict[str, Any]] = []
CLAIMS: list[dict[str, Any]] = []
_accounts = itertools.count()
# Status codes per request, counted (like Locust's stats) over the measured window.
STATUS: defaultdict[str, Counter[int]] = defaultdict(Counter)
# The members' response times (ms) by slice of SLICE seconds: when was it slow?
SLICE = 30
TIMELINE: defaultdict[int, list[float]] = defaultdict(list)
WINDOW: dict[str, Any] = {"start": time.time(), "signed_in": 0, "measuring": False}
SIGNED_IN = gevent.event.Event()  # set once every client has signed in
ENVIRONMENT: list[Environment] = []


@events.init.add_listener
def _on_init(environment: Environment, **_: Any) -> None:
    data = fixture()
    THREADS[:] = data["threads"]
    CLAIMS[:] = data["claims"]
    ENVIRONMENT[:] = [environment]


def _signed_in() -> None:
    """Once the last client has signed in (hashing passwords is the ramp's cost, not the
    members'), let queues settle for LOAD_WARMUP seconds, then measure for LOAD_SECONDS."""
    WINDOW["signed_in"] += 1
    runner = ENVIRONMENT[0].runner if ENVIRONMENT else None
    if runner is None or SIGNED_IN.is_set() or WINDOW["signed_in"] < runner.target_user_count:
        return
    SIGNED_IN.set()
    gevent.spawn_later(float(os.environ.get("LOAD_WARMUP", "30") or 0), _measure)


def _measure() -> None:
    runner = ENVIRONMENT[0].runner
    assert runner is not None
    runner.stats.reset_all()
    STATUS.clear()
    TIMELINE.clear()
    WINDOW.update(start=time.time(), measuring=True)
    if os.environ.get("LOAD_MARK_FILE"):  # tells the runner when to sample the load average
        Path(os.environ["LOAD_MARK_FILE"]).touch()
    seconds = float(os.environ.get("LOAD_SECONDS", "0") or 0)
    if seconds:
        gevent.spawn_later(seconds, _finish)


def _finish() -> None:
    """The window's figures, before stopping (requests cut short by the stop are not in)."""
    _write_results()
    runner = ENVIRONMENT[0].runner
    assert runner is not None
    runner.quit()


@events.request.add_listener
def _count_status(
    request_type: str, name: str, response: Any, response_time: float, **_: Any
) -> None:
    if WINDOW["measuring"]:
        STATUS[f"{request_type} {name}"][getattr(response, "status_code", 0) or 0] += 1
        if name.split(":")[0] in ("read", "fragment", "write"):  # the members', over time
            TIMELINE[int((time.time() - WINDOW["start"]) // SLICE)].append(response_time)


@events.quitting.add_listener
def _on_quitting(**_: Any) -> None:
    if WINDOW["measuring"]:  # stopped early (Ctrl-C, --run-time): what was measured so far
        _write_results()


def _write_results() -> None:
    runner = ENVIRONMENT[0].runner if ENVIRONMENT else None
    target = os.environ.get("LOAD_RESULTS_FILE")
    if not WINDOW["measuring"] or runner is None or not target:
        return
    WINDOW["measuring"] = False
    Path(target).write_text(
        json.dumps(
            {
                "seconds": time.time() - WINDOW["start"],
                "stats": runner.stats.serialize_stats(),
                "status": {name: dict(codes) for name, codes in STATUS.items()},
                "timeline": [
                    sorted(TIMELINE[i])[int(0.95 * len(TIMELINE[i]))] if TIMELINE[i] else 0
                    for i in range(max(TIMELINE, default=-1) + 1)
                ],
            }
        )
    )


def words(low: int, high: int) -> str:
    return " ".join(random.choices(PROSE.split(), k=random.randint(low, high))).capitalize() + "."


class Member(FastHttpUser):
    """A signed-in member of the demo seminar with the text open in the reader."""

    abstract = True
    polls = True  # keeps the reader open, which asks for changes every few seconds

    def on_start(self) -> None:
        data = fixture()
        self.slug, self.doc = data["seminar"], data["document"]
        self.text = f"/s/{self.slug}/texts/{self.doc}/"
        self.username = self.pick_account(data)
        self.since = ""
        self.cards: list[str] = []  # the annotation cards in the reader's panel
        self.poller: gevent.Greenlet | None = None
        self.sign_in(data["password"])
        if self.polls:
            self.open_reader()
            self.poller = gevent.spawn(self.poll_forever, data["poll_seconds"])
        _signed_in()

    def on_stop(self) -> None:
        if self.poller is not None:
            self.poller.kill(block=False)

    def pick_account(self, data: dict[str, Any]) -> str:
        accounts: list[str] = data["members"]
        return accounts[next(_accounts) % len(accounts)]

    def csrf(self) -> str:
        for cookie in self.client.cookiejar:
            if cookie.name == "csrftoken" and cookie.value:
                return cookie.value
        return ""

    def sign_in(self, password: str) -> None:
        self.client.get("/accounts/login/", name="setup: login page")
        with self.client.post(
            "/accounts/login/",
            data={
                "username": self.username,
                "password": password,
                "csrfmiddlewaretoken": self.csrf(),
            },
            allow_redirects=False,
            name="setup: sign in",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in as {self.username} answered {response.status_code}")

    def post(
        self,
        path: str,
        data: dict[str, Any],
        name: str,
        expect: tuple[int, ...],
        *,
        htmx: bool = True,
    ) -> Any:
        """A form's POST (through htmx unless said otherwise), not following a redirect."""
        data = {**data, "csrfmiddlewaretoken": self.csrf()}
        with self.client.post(
            path,
            data=data,
            headers=HX if htmx else {},
            allow_redirects=False,
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code in expect:
                response.success()  # a 429 the abuser expects is no failure
            else:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
            return response

    def open_reader(self) -> None:
        with self.client.get(self.text, name="read: reader page", catch_response=True) as page:
            found = SINCE.search(page.text or "")
            self.cards = []
            if found:
                self.since = found.group(1)
            elif page.status_code == 200:
                page.failure("the reader page has no data-since")

    def poll_forever(self, seconds: float) -> None:
        while True:
            gevent.sleep(seconds)
            self.poll()

    def poll(self) -> None:
        response = self.client.get(
            f"{self.text}changes/",
            params={"since": self.since, "cards": ",".join(self.cards)},
            headers=HX,
            name="fragment: live poll",
        )
        stamp = response.headers.get("X-Glossa-Since") if response.headers else None
        if stamp:
            self.since = str(stamp)

    def show(self, response: Any) -> None:
        """What the panel shows after an htmx answer: its annotation cards."""
        if response.status_code < 300:
            self.cards = CARD_ID.findall(response.text or "")

    def open_thread(self) -> dict[str, Any]:
        thread = random.choice(THREADS)
        offset = (thread["start"] + thread["end"]) // 2
        self.show(
            self.client.get(
                f"{self.text}annotations/at/{offset}/", headers=HX, name="fragment: thread panel"
            )
        )
        return thread


class Reader(Member):
    """Reads: opens threads, annotations and claims, now and then reloads the text."""

    weight = 4
    wait_time = between(3, 12)

    @task(6)
    def thread(self) -> None:
        self.open_thread()

    @task(2)
    def annotation(self) -> None:
        thread = random.choice(THREADS)
        self.show(
            self.client.get(
                f"{self.text}annotations/{thread['id']}/", headers=HX, name="fragment: annotation"
            )
        )

    @task(2)
    def claim(self) -> None:
        claim = random.choice(CLAIMS)
        self.client.get(f"/s/{self.slug}/claims/{claim['id']}/", name="read: claim page")

    @task(1)
    def claims(self) -> None:
        self.client.get(f"/s/{self.slug}/claims/", name="read: claims list")

    @task(1)
    def reload(self) -> None:
        self.open_reader()


class Writer(Member):
    """Writes: annotations (through the composer), replies in threads, formal disputes."""

    weight = 1
    wait_time = between(4, 10)

    def on_start(self) -> None:
        super().on_start()
        # Disputes are limited per hour: stay under the limit for a whole run.
        self.disputes_left = max(0, fixture()["rate_limits"]["dispute"] - 2)

    def selection(self) -> tuple[int, int]:
        start, end = random.choice(fixture()["paragraphs"])
        at = random.randrange(start, max(start + 1, end - 20))
        return at, min(end, at + random.randint(12, 120))

    @task(5)
    def annotate(self) -> None:
        start, end = self.selection()
        kind = random.choice(KINDS)
        self.client.get(
            f"{self.text}annotations/new/",
            params={"start": start, "end": end, "kind": kind},
            headers=HX,
            name="fragment: composer",
        )
        visibility = "private" if random.random() < 0.1 else "seminar"
        response = self.post(
            f"{self.text}annotations/",
            {
                "start": start,
                "end": end,
                "base": fixture()["revision"],
                "kind": kind,
                "body": "" if kind == "highlight" else words(6, 40),
                "tags": random.choice(["", "dulles", "sources, un", "kadar"]),
                "visibility": visibility,
            },
            "write: annotation",
            (201,),
        )
        self.show(response)
        found = CARD_ID.search(response.text or "") if response.status_code == 201 else None
        if found and visibility == "seminar":
            made = {"id": int(found.group(1)), "start": start, "end": end, "kind": kind}
            THREADS.append(made)
            if kind == "claim":
                CLAIMS.append({**made, "author": self.username})

    @task(4)
    def reply(self) -> None:
        thread = self.open_thread()
        self.post(
            f"{self.text}annotations/{thread['id']}/replies/",
            {
                "body": words(4, 30),
                "stance": random.choice(STANCES) if thread["kind"] == "claim" else "comment",
            },
            "write: reply",
            (201,),
        )

    @task(1)
    def dispute(self) -> None:
        others = [c for c in CLAIMS if c["author"] != self.username]
        if self.disputes_left <= 0 or not others:
            return
        self.disputes_left -= 1
        claim = random.choice(others)
        page = f"/s/{self.slug}/claims/{claim['id']}/"
        self.client.get(page, name="read: claim page")
        self.post(
            f"{page}dispute/",
            {
                "grounds": random.choice(["misreading", "unsupported", "missing_context"]),
                "statement": words(10, 40),
                "source": random.choice(["", "Békés, The 1956 Hungarian Revolution, p. 212"]),
            },
            "write: dispute",
            (302,),
            htmx=False,
        )
        self.client.get(page, name="read: claim page")


class Exporter(Member):
    """Asks for an annotated edition once a minute, watches it being built, downloads it."""

    fixed_count = 1
    polls = False
    wait_time = constant_pacing(60)

    def pick_account(self, data: dict[str, Any]) -> str:
        return str(data["exporter"])

    def on_start(self) -> None:
        super().on_start()
        self.formats = itertools.cycle(FORMATS)

    @task
    def export(self) -> None:
        asked = time.time()
        self.post(
            f"{self.text}export/",
            {"format": next(self.formats), "threads": "1"},
            "export: request",
            (302,),
            htmx=False,
        )
        job, problem = "", "not built within 50 s"
        while time.time() - asked < 50:
            html = self.client.get("/exports/", headers=HX, name="export: progress").text or ""
            if not job:  # the newest job comes first
                found = EXPORT_ROW.search(html)
                job = found.group(1) if found else ""
            row = html.split(f'id="export-{job}"', 1)[-1].split("</li>", 1)[0] if job else ""
            if f'id="download-{job}"' in row:
                self.client.get(f"/exports/{job}/download/", name="export: download")
                problem = ""
                break
            if "Failed:" in row:
                problem = "the export failed"
                break
            gevent.sleep(1)
        events.request.fire(
            request_type="JOB",
            name="export: built and downloaded",
            response_time=(time.time() - asked) * 1000,
            response_length=0,
            response=None,
            exception=RuntimeError(problem) if problem else None,
            context={},
        )


class Abuser(Member):
    """One client sending LOAD_ABUSE_RPS requests a second, whether or not it has been answered
    (an open loop, as a script would): annotations and replies (the writing limits), exports
    (the export limit and cap; fair queueing keeps the members' exporter's turn) and wrong
    passwords for a member's account (the sign-in throttle). Past the limits it should get
    429s, and cost the server little."""

    fixed_count = 1
    polls = False
    concurrency = 50  # connections: requests overlap when the server is slow
    wait_time = constant(0)

    def on_start(self) -> None:
        super().on_start()
        self.pool = gevent.pool.Pool(100)

    def on_stop(self) -> None:
        self.pool.kill(block=False)

    def pick_account(self, data: dict[str, Any]) -> str:
        return str(data["abuser"])

    @task
    def flood(self) -> None:
        SIGNED_IN.wait()  # the members first: the sign-in storm is not what is measured
        interval = 1 / float(os.environ.get("LOAD_ABUSE_RPS", "10"))
        due = time.monotonic()
        while True:
            self.pool.spawn(self.write)
            due += interval
            gevent.sleep(max(0.0, due - time.monotonic()))

    def write(self) -> None:
        roll = random.random()
        if roll < 0.1:
            self.post(
                f"{self.text}export/",
                {"format": random.choice(FORMATS), "threads": random.choice(["1", ""])},
                "abuse: export",
                (302, 429),
                htmx=False,
            )
        elif roll < 0.3:
            victim = fixture()["members"][0]
            self.post(
                "/accounts/login/",
                {"username": victim, "password": f"guess-{random.random()}"},
                "abuse: sign-in",
                (200, 429),
                htmx=False,
            )
        elif roll < 0.65:
            start, end = random.choice(fixture()["paragraphs"])
            self.post(
                f"{self.text}annotations/",
                {
                    "start": start,
                    "end": min(end, start + 30),
                    "base": fixture()["revision"],
                    "kind": "comment",
                    "body": "Spam.",
                    "visibility": "seminar",
                },
                "abuse: annotation",
                (201, 429),
            )
        else:
            thread = random.choice(THREADS)
            self.post(
                f"{self.text}annotations/{thread['id']}/replies/",
                {"body": "Spam."},
                "abuse: reply",
                (201, 429),
            )
