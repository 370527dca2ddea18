"""Schemathesis against every operation of /api/schema/: no 5xx, and answers the schema describes.

The API runs in process (Django's WSGI application, called by schemathesis's WSGI transport)
on the test database. Each example is sent three times: as a member of a seminar (token
authentication), as nobody (no credentials, or a token or session cookie that names no one),
and as a moderator (for what only moderators may do); generating it once for all three costs
a third of generating it three times. The seminar holds the real OCR sample with
annotations, replies, claims, a dispute, a flag and exports; half of the examples use the ids
and slugs of those objects, and some operations get coherent valid requests (an edit with the
annotation's real ETag, say), so requests reach real rows and the success paths, not only
404s. Every request runs in a savepoint that is rolled back, so each meets the same world.

100 examples an operation, positive and negative ones, no shrinking; the seed is fixed by the
hypothesis profile tests/conftest.py loads (HYPOTHESIS_PROFILE=explore for fresh examples).
"""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.signals import got_request_exception, request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import RequestFactory, override_settings
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.checks import CheckFunction
from schemathesis.hooks import HookContext

from annotate import w3c
from annotate.models import Annotation, ExportJob, Reply
from annotate.services import annotations as notes
from annotate.services import exports, moderation
from annotate.services.documents import Edit, document_import, revision_correct
from core.models import Role
from core.services.accounts import api_token_create
from tests.factories import make_seminar, make_user, member

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "annotate"
    / "samples"
    / "hungarian-revolution-1956-superpowers.ocr.txt"
)
HOST = "localhost"  # where schemathesis's WSGI transport sends its requests
APP = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/",
    APP,
    config=schemathesis.Config.from_dict(
        # Positive and negative examples, drawn at random (the coverage phase's hundreds of
        # fixed cases an operation would double the run for little more).
        {"generation": {"mode": "all"}, "phases": {"coverage": {"enabled": False}}}
    ),
)
CHECKS: list[CheckFunction] = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
EXAMPLES = settings(
    max_examples=100,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # a failure is reported as found, unshrunk
    suppress_health_check=[
        # The world is shared on purpose; each example rolls its own changes back.
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
# (operation, who, status) of every example run, for test_examples_reached_real_objects.
SEEN: Counter[tuple[str, str, int]] = Counter()


@dataclass
class World:
    """What examples can point at: real path parameters, body fields and whole requests."""

    token: str = ""
    moderator_token: str = ""
    # By _path_kind(path): path parameters naming real objects.
    paths: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # By body field name: real values.
    fields: dict[str, list[Any]] = field(default_factory=dict)
    # By operation label: coherent valid requests (path parameters, body, headers).
    requests: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


WORLD = World()


def build_world() -> World:
    owner = make_user(username="olivia")
    seminar = make_seminar(owner, name="Hungary 1956")
    mona = member(seminar, Role.MODERATOR, username="mona")
    me = member(seminar, Role.MEMBER, username="mark")
    rosa = member(seminar, Role.MEMBER, username="rosa")
    member(seminar, Role.OBSERVER, username="oscar")
    document = document_import(
        seminar=seminar,
        user=owner,
        title="The Superpowers",
        source_text=SAMPLE.read_text(encoding="utf-8"),
        format="ocr",
    )
    assert document.current is not None
    start = document.current.text.index("Hungaiy")
    revision_correct(
        document=document, user=owner, edits=[Edit(start, start + 7, "Hungary")], reason="OCR"
    )
    document.refresh_from_db()
    assert document.current is not None
    text = document.current.text

    def note(user: Any, words: str, kind: str, **kwargs: Any) -> Annotation:
        start = text.index(words)
        body = "" if kind == "highlight" else f"A {kind} on {words}."
        return notes.annotation_create(
            document=document,
            user=user,
            start=start,
            end=start + len(words),
            kind=kind,
            body=body,
            **kwargs,
        )

    comment = note(me, "status quo", "comment", tags=["yalta"])
    highlight = note(rosa, "tacit agreement", "highlight")
    their_claim = note(rosa, "sphere", "claim")
    my_claim = note(me, "Soviet Union", "claim")
    private = note(rosa, "Imre Nagy", "comment", visibility="private")
    reply = notes.reply_create(annotation=comment, user=rosa, body="Quite.")
    my_reply = notes.reply_create(
        annotation=their_claim, user=me, body="I doubt it.", stance="disputes"
    )
    dispute = moderation.claim_dispute(
        claim=their_claim, user=me, grounds="missing_context", statement="Section II says more."
    )
    flag = moderation.flag_create(user=me, reason="off_topic", annotation=highlight)
    queued = exports.export_request(user=me, kind="edition", format="markdown", document=document)
    done = exports.export_request(user=me, kind="claim", format="json", claim=their_claim)
    ExportJob.objects.filter(pk=done.pk).update(
        status=ExportJob.Status.SUCCEEDED,
        progress=100,
        file=default_storage.save("exports/claim.json", ContentFile(b'{"claim": 1}')),
        file_name="claim.json",
        content_type="application/json",
    )
    theirs = exports.export_request(user=rosa, kind="archive", format="zip", seminar=seminar)

    # A seminar mark does not belong to: its ids must answer 404.
    stranger = make_user(username="nadia")
    elsewhere = make_seminar(stranger, name="Elsewhere")
    other_document = document_import(
        seminar=elsewhere, user=stranger, title="Other", source_text="Some other words here."
    )
    other = notes.annotation_create(
        document=other_document, user=stranger, start=0, end=4, kind="claim", body="Mine."
    )

    slug = seminar.slug
    mine = [comment, my_claim]
    annotations = [comment, highlight, their_claim, my_claim, private, other]
    claims = [their_claim, my_claim, comment, other]
    documents = [document.pk, other_document.pk]
    usernames = ["mark", "rosa", "olivia", "nadia"]
    request = RequestFactory().get("/", HTTP_HOST=HOST)
    source = w3c.document_iri(request, document.pk)

    def new(motivation: str, words: str, **extra: Any) -> dict[str, Any]:
        return {
            "@context": w3c.ANNO_CONTEXT,
            "type": "Annotation",
            "motivation": motivation,
            "body": [{"type": "TextualBody", "value": "Indeed.", "purpose": motivation}],
            "target": {"source": source, "selector": {"type": "TextQuoteSelector", "exact": words}},
            **extra,
        }

    def edited(item: Annotation | Reply) -> dict[str, Any]:
        if isinstance(item, Reply):
            data = w3c.reply_to_w3c(item, request, slug=slug)
        else:
            data = w3c.to_w3c(item, request)
        data["body"][0]["value"] = "On second thoughts."
        return data

    return World(
        token=api_token_create(user=me).key,
        moderator_token=api_token_create(user=mona).key,
        paths={
            "slug": [{"slug": s} for s in (slug, elsewhere.slug)],
            "username": [
                {"slug": s, "username": u} for s in (slug, elsewhere.slug) for u in usernames
            ],
            "annotation": [{"slug": slug, "id": a.pk} for a in annotations]
            + [{"slug": elsewhere.slug, "id": other.pk}],
            "reply": [
                {"slug": slug, "id": comment.pk, "reply": reply.pk},
                {"slug": slug, "id": their_claim.pk, "reply": my_reply.pk},
                {"slug": slug, "id": comment.pk, "reply": my_reply.pk},
            ],
            "annotations": [{"id": a.pk} for a in annotations],
            "claims": [{"id": c.pk} for c in claims],
            "disputes": [{"id": dispute.pk}],
            "documents": [{"id": pk} for pk in documents],
            "revisions": [{"id": document.pk, "number": n} for n in (1, 2, 3)],
            "exports": [{"id": job.pk} for job in (queued, done, theirs)],
            "flags": [{"id": flag.pk}],
            "replies": [{"id": r.pk} for r in (reply, my_reply)],
        },
        fields={
            "seminar": [slug, elsewhere.slug],
            "document": documents,
            "claim": [c.pk for c in claims],
            "annotation": [a.pk for a in annotations],
            "reply": [reply.pk, my_reply.pk],
            "username": usernames,
        },
        requests={
            "POST /api/v1/seminars/{slug}/annotations/": [
                {"path": {"slug": slug}, "body": new("commenting", "status quo")},
                {"path": {"slug": slug}, "body": new("assessing", "tacit agreement")},
                {
                    "path": {"slug": slug},
                    "body": {
                        "type": "Annotation",
                        "motivation": "replying",
                        "body": {"type": "TextualBody", "value": "Agreed."},
                        "target": w3c.annotation_iri(request, slug, comment.pk),
                    },
                },
            ],
            "PUT /api/v1/seminars/{slug}/annotations/{id}/": [
                {
                    "path": {"slug": slug, "id": a.pk},
                    "body": edited(a),
                    "headers": {"If-Match": w3c.etag(a)},
                }
                for a in mine
            ],
            "DELETE /api/v1/seminars/{slug}/annotations/{id}/": [
                {"path": {"slug": slug, "id": a.pk}, "headers": {"If-Match": w3c.etag(a)}}
                for a in mine
            ],
            "PUT /api/v1/seminars/{slug}/annotations/{id}/replies/{reply}/": [
                {
                    "path": {"slug": slug, "id": their_claim.pk, "reply": my_reply.pk},
                    "body": edited(my_reply),
                    "headers": {"If-Match": w3c.etag(my_reply)},
                }
            ],
            "POST /api/v1/documents/{id}/import-annotations/": [
                {"path": {"id": document.pk}, "body": [new("commenting", "Soviet Union")]},
            ],
            "POST /api/v1/exports/": [
                {"body": {"kind": "edition", "document": document.pk, "format": "html"}},
                {"body": {"kind": "claim", "claim": their_claim.pk, "format": "markdown"}},
                {"body": {"kind": "archive", "seminar": slug, "format": "zip"}},
            ],
            "POST /api/v1/flags/": [{"body": {"reply": reply.pk, "reason": "spam"}}],
            "POST /api/v1/claims/{id}/disputes/": [
                {
                    "path": {"id": their_claim.pk},
                    "body": {
                        "grounds": "factual_error",
                        "statement": "Not so.",
                        "evidence": [{"kind": "passage", "start": 0, "end": 9}],
                    },
                }
            ],
            "POST /api/v1/claims/{id}/withdraw/": [
                {"path": {"id": my_claim.pk}, "body": {"reason": "Overstated."}}
            ],
        },
    )


# --- Pointing examples at the world ----------------------------------------------------------


def _path_kind(path: str) -> str:
    """Which list of real path parameters an operation's path takes."""
    if "{reply}" in path:
        return "reply"
    if "{username}" in path:
        return "username"
    if path.startswith("/api/v1/seminars/{slug}/annotations/{id}"):
        return "annotation"
    if "{number}" in path:
        return "revisions"
    if path.startswith("/api/v1/seminars/{slug}"):
        return "slug"
    return path.split("/")[3]  # /api/v1/<kind>/{id}/...


@schema.hook
def flatmap_path_parameters(context: HookContext, path_parameters: dict[str, Any]) -> Any:
    """Half of the examples name real objects (the world's), half what was generated."""
    assert context.operation is not None
    real = WORLD.paths.get(_path_kind(context.operation.path))
    if not real:
        return st.just(path_parameters)
    return st.one_of(st.just(path_parameters), st.sampled_from(real))


@schema.hook
def flatmap_body(context: HookContext, body: Any) -> Any:
    """Half of the bodies with id fields get real ids there."""
    known = {}
    if isinstance(body, dict):
        known = {name: values for name, values in WORLD.fields.items() if name in body}
    if not known:
        return st.just(body)
    real = st.fixed_dictionaries({name: st.sampled_from(v) for name, v in known.items()})
    return st.one_of(st.just(body), real.map(lambda values: {**body, **values}))


@schema.hook
def flatmap_case(context: HookContext, case: Case) -> Any:
    """Some operations get a valid request about a real object, a third of the time."""
    real = WORLD.requests.get(case.operation.label)
    if not real:
        return st.just(case)
    return st.one_of(
        st.just(case), st.just(case), st.sampled_from(real).map(lambda r: _as(case, r))
    )


def _as(case: Case, request: dict[str, Any]) -> Case:
    case.path_parameters = {**case.path_parameters, **request.get("path", {})}
    if "body" in request:
        case.body = request["body"]
        case.media_type = "application/json"
    for name, value in request.get("headers", {}).items():
        case.headers[name] = value
    return case


# --- Running an example ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The world, made once for this module in a transaction rolled back at its end."""
    with override_settings(
        MEDIA_ROOT=str(tmp_path_factory.mktemp("media")),
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        with django_db_blocker.unblock():
            outer = transaction.atomic()
            outer.__enter__()
        try:
            with django_db_blocker.unblock():
                WORLD.__dict__.update(build_world().__dict__)
            yield WORLD
        finally:
            with django_db_blocker.unblock():
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)
            WORLD.__dict__.update(World().__dict__)


@contextmanager
def one_request() -> Iterator[list[str]]:
    """A savepoint rolled back after the request, and the traceback of any server error.

    Django closes a connection left outside autocommit when a request starts or ends; the
    test client keeps it (or the test's transaction would be lost), and so does this.
    """
    errors: list[str] = []

    def caught(sender: Any, **kwargs: Any) -> None:
        errors.append(traceback.format_exc())

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    got_request_exception.connect(caught)
    try:
        with transaction.atomic():
            yield errors
            transaction.set_rollback(True)
    finally:
        got_request_exception.disconnect(caught)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def call_and_validate(case: Case, who: str, headers: dict[str, str]) -> None:
    with one_request() as errors:
        try:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
        except AssertionError as failure:
            if errors:  # the server's traceback says more than "500"
                failure.add_note("".join(errors))
            raise
    SEEN[(case.operation.label, who, response.status_code)] += 1


@schema.parametrize()
@EXAMPLES
def test_api(case: Case, world: World, db: None) -> None:
    """Each example as a member of the seminar, as nobody, and as a moderator (for the
    operations only moderators may use)."""
    call_and_validate(case, "member", {"Authorization": f"Token {world.token}"})
    call_and_validate(case, "nobody", {})
    call_and_validate(case, "moderator", {"Authorization": f"Token {world.moderator_token}"})


# Operations that must have answered 2xx at least once: proof that the examples reach real
# objects, not only 404s.
REACHED: dict[str, set[str]] = {}
REACHED["member"] = {
    "GET /api/v1/seminars/",
    "POST /api/v1/seminars/",
    "GET /api/v1/seminars/{slug}/",
    "GET /api/v1/seminars/{slug}/members/",
    "GET /api/v1/seminars/{slug}/members/{username}/",
    "GET /api/v1/documents/",
    "GET /api/v1/documents/{id}/",
    "GET /api/v1/documents/{id}/revisions/",
    "GET /api/v1/documents/{id}/revisions/{number}/",
    "GET /api/v1/seminars/{slug}/annotations/",
    "POST /api/v1/seminars/{slug}/annotations/",
    "GET /api/v1/seminars/{slug}/annotations/{id}/",
    "PUT /api/v1/seminars/{slug}/annotations/{id}/",
    "DELETE /api/v1/seminars/{slug}/annotations/{id}/",
    "GET /api/v1/seminars/{slug}/annotations/{id}/replies/{reply}/",
    "PUT /api/v1/seminars/{slug}/annotations/{id}/replies/{reply}/",
    "POST /api/v1/documents/{id}/import-annotations/",
    "GET /api/v1/ns/glossa.jsonld",
    "GET /api/v1/seminars/{slug}/claims/",
    "GET /api/v1/claims/{id}/",
    "POST /api/v1/claims/{id}/disputes/",
    "POST /api/v1/claims/{id}/withdraw/",
    "POST /api/v1/flags/",
    "GET /api/v1/seminars/{slug}/moderation-log/",
    "POST /api/v1/exports/",
    "GET /api/v1/exports/",
    "GET /api/v1/exports/{id}/",
    "GET /api/v1/exports/{id}/download/",
}
REACHED["moderator"] = {
    "GET /api/v1/seminars/{slug}/moderation-queue/",
    "POST /api/v1/annotations/{id}/hide/",
    "POST /api/v1/annotations/{id}/restore/",
    "POST /api/v1/annotations/{id}/lock/",
    "POST /api/v1/annotations/{id}/unlock/",
    "POST /api/v1/replies/{id}/hide/",
    "POST /api/v1/replies/{id}/restore/",
    "POST /api/v1/claims/{id}/status/",
    "POST /api/v1/disputes/{id}/ruling/",
    "POST /api/v1/flags/{id}/dismiss/",
}


def test_examples_reached_real_objects() -> None:
    ran = {label for label, _, _ in SEEN}
    if not ran:
        pytest.skip("the schemathesis examples did not run")
    for who, expected in REACHED.items():
        succeeded = {label for label, by, status in SEEN if by == who and status < 300}
        assert (expected & ran) - succeeded == set(), who
