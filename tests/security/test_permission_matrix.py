"""Nothing leaks: every URL × every role × every state of what it names, from one table.

The world (tests/security/world.py) is built once for the module and committed, so the real
Celery worker builds every member's exports from it; each request then runs in a savepoint that
is rolled back, so writes by one role never change what the next one sees. Every answer (and
every exported file) is searched for the markers its requester may not see.
"""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, transaction
from django.http import HttpResponseBase
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.models import ExportJob
from tests.security.permissions import HTMX, LOGIN, RULES, TABLE, Call, Rule, expect
from tests.security.world import EXPORTS, MEMBERS, ROLES, World, build

pytestmark = pytest.mark.django_db

TALLY: Counter[str] = Counter()
SESSIONS: dict[str, str] = {}


@pytest.fixture(scope="module")
def world(
    request: pytest.FixtureRequest,
    django_db_setup: None,
    django_db_blocker: Any,
    celery_worker: subprocess.Popen,
) -> Iterator[World]:
    """The world, committed (the worker reads it), emptied again after the module."""
    with django_db_blocker.unblock():
        try:
            built = build()
            # A session for each role, made once (signing in for every test costs more).
            for role, user in built.users.items():
                client = Client()
                client.force_login(user)
                SESSIONS[role] = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        except BaseException:
            call_command("flush", interactive=False, verbosity=0)
            raise
    yield built
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None and TALLY["requests"]:
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"\npermission matrix: {TALLY['patterns']} URL patterns, {TALLY['cases']} "
                f"(pattern, role, state) cases, {TALLY['requests']} requests, "
                f"{TALLY['files']} files searched, {TALLY['leaks']} leaks"
            )


@pytest.fixture
def worker_media(settings: Any, worker_media_dir: Path) -> None:
    """Downloads read the files the worker stored."""
    settings.MEDIA_ROOT = str(worker_media_dir)


def client_for(world: World, role: str, *, api: bool) -> Client:
    """A client signed in as `role`: with its API token, or its session."""
    if api:
        api_client = APIClient()
        if role != "anonymous":
            api_client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[role]}")
        return api_client
    client = Client()
    if role != "anonymous":
        client.cookies[django_settings.SESSION_COOKIE_NAME] = SESSIONS[role]
    return client


# --- What a response may contain -------------------------------------------------------------


def body_of(response: HttpResponseBase) -> bytes:
    if getattr(response, "streaming", False):
        # Exhausting the stream closes the response: the test client then holds back the
        # request_finished signal, which would otherwise close the database connection.
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return bytes(getattr(response, "content", b""))


def parts_of(content: bytes) -> list[tuple[str, str]]:
    """The text of a response or file; of each member, for a zip."""
    if content.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return [
                (name, archive.read(name).decode("utf-8", "replace")) for name in archive.namelist()
            ]
    return [("", content.decode("utf-8", "replace"))]


def leaked(world: World, role: str, content: bytes, *, file: bool, sent: str = "") -> list[str]:
    """The markers `role` may not see that are in `content` (not counting ones it sent)."""
    found = []
    for name, text in parts_of(content):
        low = text.lower()
        for marker in world.markers:
            allowed = marker.in_exports if file else marker.sees
            needle = marker.text.lower()
            if role not in allowed and needle in low and needle not in sent:
                found.append(f"{marker.what}{f' in {name}' if name else ''}")
    return found


def is_file(response: HttpResponseBase) -> bool:
    return response.get("Content-Disposition", "").startswith("attachment")


# --- Nothing changes when a write is refused -------------------------------------------------


class Writes:
    """The statements a request sends that would change the database (sessions aside)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        verb = sql.lstrip()[:6].upper()
        if verb in ("INSERT", "UPDATE", "DELETE") and '"django_session"' not in sql:
            self.statements.append(sql[:80])
        return execute(sql, params, many, context)


# --- One request ------------------------------------------------------------------------------


def send(
    client: Client, rule: Rule, call: Call, world: World, role: str, state: str
) -> tuple[str, list[str]]:
    """Make the request (rolled back afterwards); what went wrong with it, if anything."""
    target = rule.states[state]
    url = reverse(rule.name, kwargs=target.kwargs(world))
    if call.query is not None:
        query = call.query(world)
    elif call.target_query and target.query is not None:
        query = target.query(world)
    else:
        query = {}
    payload = call.data or target.data
    data = payload(world, role) if payload is not None and call.writes else None
    extra: dict[str, str] = dict(HTMX) if call.htmx else {}
    if target.headers is not None and call.method in ("PUT", "DELETE"):
        extra.update(target.headers(world))
    where = f"{url}{'?' + urlencode(query) if query else ''}"
    made = f"{call.label} {where} [{state}]"
    outcome = expect(rule, call, role, state)
    problems: list[str] = []
    TALLY["requests"] += 1
    writes = Writes()
    method = getattr(client, call.method.lower())
    try:
        with transaction.atomic(), connection.execute_wrapper(writes):
            if call.method in ("GET", "HEAD"):
                response = method(url, query, **extra)
            elif rule.api:
                response = method(where, data, format="json", **extra)
            elif data is not None:
                response = method(where, data, **extra)
            else:
                response = method(where, **extra)
            transaction.set_rollback(True)
    except Exception as error:  # a server error: reported with its state, as any failure
        return made, [f"raised {type(error).__name__}: {error}"]
    if call.writes and not outcome.allowed and writes.statements:
        problems.append(f"wrote to the database although refused: {writes.statements}")
    wanted = outcome.status
    if response.status_code not in (wanted if isinstance(wanted, frozenset) else {wanted}):
        problems.append(f"status {response.status_code}, expected {wanted}")
    elif (
        role == "anonymous"
        and wanted == LOGIN
        and call.scope != "public"
        and not response["Location"].startswith(reverse("login"))
    ):
        problems.append(f"redirected to {response['Location']}, not to log in")
    sent = f"{where} {data!r}".lower()
    file = is_file(response)
    if file:
        TALLY["files"] += 1
    leaks = leaked(world, role, body_of(response), file=file, sent=sent)
    TALLY["leaks"] += len(leaks)
    problems += [f"LEAK of {leak}" for leak in leaks]
    return made, problems


# --- The matrix ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", [rule.name for rule in RULES])
def test_matrix(request: pytest.FixtureRequest, world: World, name: str, role: str) -> None:
    """One URL pattern, one role, every state and every method the table names."""
    rule = TABLE[name]
    if rule.files:
        request.getfixturevalue("worker_media")
    if role == ROLES[0]:
        TALLY["patterns"] += 1
    failures = []
    client = client_for(world, role, api=rule.api)
    for number, state in enumerate(rule.states):
        TALLY["cases"] += 1
        for call in rule.calls:
            if call.once and number:
                continue
            made, problems = send(client, rule, call, world, role, state)
            failures += [f"{name} as {role}: {made}: {problem}" for problem in problems]
    assert not failures, "\n".join(failures)


# --- Exports, built by the real worker --------------------------------------------------------


@pytest.mark.parametrize("role", sorted(MEMBERS))
def test_exports_hold_only_what_their_requester_may_see(
    world: World, worker_media: None, role: str
) -> None:
    """Every export a member asked for (editions, the claim record, the seminar archive),
    downloaded as that member: none holds a marker they may not see."""
    client = client_for(world, role, api=True)
    failures = []
    for job in world.exports()[role]:
        response = client.get(reverse("api-export-download", args=[job.pk]))
        assert response.status_code == 200, (job.kind, job.format, response.status_code)
        TALLY["requests"] += 1
        TALLY["files"] += 1
        leaks = leaked(world, role, body_of(response), file=True)
        TALLY["leaks"] += len(leaks)
        failures += [f"{job.kind} {job.format} of {role}: LEAK of {leak}" for leak in leaks]
    assert not failures, "\n".join(failures)
    assert len(world.exports()[role]) == len(EXPORTS[role])


def test_exports_do_show_what_their_requester_may_see(world: World, worker_media: None) -> None:
    """The markers are found where they belong (else the searches above prove nothing)."""
    client = client_for(world, "author", api=True)
    private = world.marker("a private note").text
    title = world.marker("the title of A's text").text
    for job in world.exports()["author"]:
        if job.kind != ExportJob.Kind.EDITION:
            continue
        content = body_of(client.get(reverse("api-export-download", args=[job.pk]))).lower()
        assert private.encode() in content, job.format
        assert title.encode() in content, job.format


# --- Search, counts and the markers themselves -------------------------------------------------

# What each role finds of the world's annotations: alive, on the current revision.
FINDS = {
    "observer": {"shared", "claim", "revoked_shared"},
    "member": {"shared", "claim", "revoked_shared"},
    "author": {"shared", "claim", "revoked_shared", "private", "private_claim", "hidden"},
    "moderator": {"shared", "claim", "revoked_shared", "hidden"},
    "owner": {"shared", "claim", "revoked_shared", "hidden"},
}
# Claims lists show members a hidden claim (with a notice in place of its text).
CLAIMS = {
    "observer": {"claim", "hidden"},
    "member": {"claim", "hidden"},
    "author": {"claim", "private_claim", "hidden"},
    "moderator": {"claim", "hidden"},
    "owner": {"claim", "hidden"},
}
SEARCHED = (
    "a private note",
    "a private claim",
    "a hidden claim",
    "a hidden reply",
    "a deleted claim",
    "a deleted reply",
    "the removed member's private note",
    "seminar B's text and notes",
)


def highlights(html: str) -> int:
    return len(re.findall(r'<mark class="hl ', html))


@pytest.mark.parametrize("role", sorted(MEMBERS))
def test_counts_are_of_what_each_role_may_see(world: World, role: str) -> None:
    page = client_for(world, role, api=False)
    reader = page.get(reverse("reader", args=[world.seminar.slug, world.document.pk]))
    assert reader.status_code == 200
    assert reader.context["counts"]["total"] == len(FINDS[role])
    tags = {tag for tag, _ in reader.context["counts"]["tags"]}
    assert not tags - {m.text for m in world.markers if role in m.sees}
    claims = page.get(reverse("claims", args=[world.seminar.slug]))
    assert claims.context["page"].paginator.count == len(CLAIMS[role])
    seminar = page.get(reverse("seminar", args=[world.seminar.slug]))
    # Open flags and open disputes await the moderators; nobody else is told how many.
    assert seminar.context["queue_count"] == (2 if role in {"moderator", "owner"} else 0)
    client = client_for(world, role, api=True)
    container = client.get(reverse("api-annotations", args=[world.seminar.slug])).json()
    assert container["total"] == len(FINDS[role])
    listed = client.get(reverse("api-claims", args=[world.seminar.slug])).json()
    assert listed["count"] == len(CLAIMS[role])
    TALLY["requests"] += 5


@pytest.mark.parametrize("role", sorted(MEMBERS))
def test_search_finds_only_what_each_role_may_see(world: World, role: str) -> None:
    """Searching for a marker (by text or by tag) finds something only for those who may see
    it: a count is as telling as the text."""
    client = client_for(world, role, api=True)
    page = client_for(world, role, api=False)
    reader = reverse("reader", args=[world.seminar.slug, world.document.pk])
    container = reverse("api-annotations", args=[world.seminar.slug])
    failures = []
    for what in SEARCHED:
        marker = world.marker(what)
        may = role in marker.sees
        found = {
            "W3C ?q=": client.get(container, {"q": marker.text}).json()["total"],
            "W3C ?q= with replies": client.get(
                container, {"q": marker.text, "replies": "1"}
            ).json()["total"],
            "W3C ?tag=": client.get(container, {"tag": marker.text}).json()["total"],
            "reader ?q=": highlights(page.get(reader, {"q": marker.text}).content.decode()),
        }
        if "reply" not in what:
            found["reader ?tag="] = highlights(
                page.get(reader, {"tag": marker.text}).content.decode()
            )
        TALLY["requests"] += len(found)
        for how, count in found.items():
            if bool(count) != may and not (how.endswith("?tag=") and "reply" in what):
                failures.append(f"{how} {what}: found {count} as {role}")
    assert not failures, "\n".join(failures)


def test_markers_show_where_they_may(world: World) -> None:
    """Positive controls: each kind of marker is on the pages of those who may see it."""
    slug, doc = world.seminar.slug, world.document.pk

    def text(role: str, url: str, *, htmx: bool = False) -> str:
        headers = {"HX-Request": "true"} if htmx else {}
        response = client_for(world, role, api=False).get(url, headers=headers)
        assert response.status_code == 200, (role, url, response.status_code)
        return response.content.decode()

    private = world.notes["private"].pk
    assert world.marker("a private note").text in text(
        "author", reverse("annotation-detail", args=[slug, doc, private]), htmx=True
    )
    claim = reverse("claim", args=[slug, world.notes["claim"].pk])
    assert world.marker("a hidden reply").text in text("moderator", claim)
    assert world.marker("a hidden reply").text in text("author", claim)
    hidden = reverse("claim", args=[slug, world.notes["hidden"].pk])
    assert world.marker("a hidden claim").text in text("owner", hidden)
    assert "Hidden by a moderator" in text("member", hidden)
    assert world.marker("a flag's note").text in text(
        "moderator", reverse("moderation", args=[slug])
    )
    assert world.links["active"].token in text("owner", reverse("seminar", args=[slug]))
    assert world.marker("the title of A's text").text in text("observer", reverse("exports"))


def test_the_removed_member_keeps_nothing(world: World) -> None:
    """Removed a moment ago: the notifications, exports and seminars lists forget seminar A."""
    client = client_for(world, "revoked", api=False)
    title = world.marker("the title of A's text").text
    for name in ("home", "notifications", "exports", "invitations"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert title not in response.content.decode(), name
    api = client_for(world, "revoked", api=True)
    assert api.get(reverse("api-seminars")).json() == []
    assert api.get(reverse("api-exports")).json() == []
    assert api.get(reverse("api-documents")).json() == []
    job = world.jobs["revoked"]
    assert api.get(reverse("api-export-download", args=[job.pk])).status_code == 404


def test_a_write_would_be_noticed(world: World) -> None:
    """Positive control for "a refused write changes nothing": an allowed one is seen."""
    rule = TABLE["annotation-create"]
    payload = rule.calls[0].data
    assert payload is not None
    writes = Writes()
    with transaction.atomic(), connection.execute_wrapper(writes):
        response = client_for(world, "member", api=False).post(
            reverse(rule.name, kwargs=rule.states["base"].kwargs(world)), payload(world, "member")
        )
        transaction.set_rollback(True)
    assert response.status_code == 201
    assert any(statement.startswith("INSERT") for statement in writes.statements)
