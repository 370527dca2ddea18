"""The permission table: for every URL pattern, what each role gets in each state of its object.

Every named URL pattern has exactly one Rule (tests/security/test_url_rules.py fails for a
pattern without one, so a new view cannot ship without a rule). A Rule says how to address the
URL in each state of what it names (Target) and which requests to make (Call); `expect` turns
that into the status each role must get, by the rules of core/policy.py:

- Anonymous visitors are sent to log in (pages) or get 401 (the API).
- Whoever is not, or no longer, a member of the seminar gets 404 for everything in it, as if it
  did not exist; so does a member for what they may not see (another member's private note,
  hidden content, something deleted, something of another seminar). Staff status changes
  nothing outside the admin.
- A member who can see something but lacks the role to do what they asked gets 403 (an
  observer posting, a member moderating). Some views check the role before they look the
  object up (`first`): then the 403 comes first, and says nothing about the object either.

A response must also never contain a marker (tests/security/world.py) its requester may not see.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from rest_framework.test import APIRequestFactory

from annotate import w3c
from annotate.models import Annotation, Reply
from core.services.invitations import claim_token
from tests.security.world import (
    AUTHOR,
    MEMBERS,
    MODERATORS,
    NOBODY,
    PARTICIPANTS,
    World,
)

Expected = int | frozenset[int]
Build = Callable[[World], dict[str, Any]]
Payload = Callable[[World, str], Any]  # (world, role) → request body
Who = frozenset[str] | str  # a set of roles, or OWNERS: the author(s) of the object addressed
Needs = Who | Mapping[str, Who]  # by state, "*" for the others

LOGIN = 302  # login_required: a redirect to the login page
UNAUTHENTICATED = 401  # the API (token authentication answers 401 with WWW-Authenticate)
OWNERS = "owners"
MISSING = 999_999_999  # an id nothing has
HTMX = {"HTTP_HX_REQUEST": "true"}


@dataclass(frozen=True)
class Target:
    """One state of what a URL names: its URL kwargs, who may see it, who owns it."""

    kwargs: Build
    sees: frozenset[str] = MEMBERS
    owners: frozenset[str] = AUTHOR
    in_a: bool = True  # addressed under seminar A (so a role check there can come first)
    data: Payload | None = None  # the body of writes in this state
    headers: Build | None = None  # sent with PUT and DELETE (If-Match)
    query: Build | None = None  # sent by the calls that ask for it (`target_query`)


@dataclass(frozen=True)
class Call:
    """One request to make of a URL, and what it needs."""

    method: str = "GET"
    ok: Expected | Callable[[str, str], Expected] = 200  # (role, state) → status when allowed
    need: Needs = MEMBERS  # who may do it, on something they can see
    first: Needs | None = None  # who passes a role check made before the object is looked up
    # "seminar": inside seminar A (non-members 404); "personal": addressed to one user;
    # "user": anyone signed in; "public": anyone at all.
    scope: str = "seminar"
    anonymous: Expected = LOGIN
    htmx: bool = False
    data: Payload | None = None
    query: Build | None = None
    target_query: bool = False
    once: bool = False  # the same whatever the state: made in the first state only

    @property
    def writes(self) -> bool:
        return self.method not in ("GET", "HEAD", "OPTIONS")

    @property
    def label(self) -> str:
        return f"{self.method}{' (htmx)' if self.htmx else ''}"


@dataclass(frozen=True)
class Rule:
    name: str
    states: Mapping[str, Target]
    calls: tuple[Call, ...]
    api: bool = False  # requests carry an API token (else a session)
    files: bool = False  # answers with files the worker stored


@dataclass(frozen=True)
class Outcome:
    status: Expected
    allowed: bool  # False: the request is refused and must change nothing


def _who(needs: Needs, state: str, target: Target) -> frozenset[str]:
    if isinstance(needs, Mapping):
        needs = needs.get(state, needs["*"])
    return target.owners if needs == OWNERS else frozenset(needs)


def expect(rule: Rule, call: Call, role: str, state: str) -> Outcome:
    """The status `role` must get for `call` on `rule`'s URL in `state`."""
    target = rule.states[state]
    ok = call.ok(role, state) if callable(call.ok) else call.ok
    if call.scope == "public":
        return Outcome(ok, True)
    if role == "anonymous":
        return Outcome(call.anonymous, False)
    if call.scope == "user":
        return Outcome(ok, True)
    if call.scope == "seminar" and role not in MEMBERS:
        return Outcome(404, False)
    if call.first is not None and target.in_a and role not in _who(call.first, state, target):
        return Outcome(403, False)
    if role not in target.sees:
        return Outcome(404, False)
    if role not in _who(call.need, state, target):
        return Outcome(403, False)
    return Outcome(ok, True)


def by_role(default: Expected, **roles: Expected) -> Callable[[str, str], Expected]:
    return lambda role, state: roles.get(role, default)


def by_state(default: Expected, **states: Expected) -> Callable[[str, str], Expected]:
    return lambda role, state: states.get(state, default)


# --- How each kind of thing is addressed, in each state ---------------------------------------

A = "slug"


def _a(w: World) -> dict[str, Any]:
    return {A: w.seminar.slug}


NONE = {"base": Target(lambda w: {})}
SEMINAR = {
    "base": Target(_a),
    "foreign": Target(lambda w: {A: w.other.slug}, sees=NOBODY, in_a=False),
}


def _text(w: World, pk: int, **more: Any) -> dict[str, Any]:
    return {A: w.seminar.slug, "pk": pk, **more}


def texts(**more: Callable[[World], Any]) -> dict[str, Target]:
    """A's text; B's text under A's address; a text that does not exist."""

    def extra(w: World) -> dict[str, Any]:
        return {key: make(w) for key, make in more.items()}

    return {
        "base": Target(lambda w: _text(w, w.document.pk, **extra(w))),
        "foreign": Target(lambda w: _text(w, w.other_document.pk, **extra(w)), sees=NOBODY),
        "missing": Target(lambda w: _text(w, MISSING, **extra(w)), sees=NOBODY),
    }


def api_texts() -> dict[str, Target]:
    return {
        "base": Target(lambda w: {"pk": w.document.pk}),
        "foreign": Target(lambda w: {"pk": w.other_document.pk}, sees=NOBODY),
        "missing": Target(lambda w: {"pk": MISSING}, sees=NOBODY),
    }


# Who may see each annotation, by state. The reader's fragments show a deleted annotation to
# everyone who saw it, as a placeholder ("deleted by its author; its thread stays"); the API
# answers 404 once nothing hangs on it. Hidden content: in the reader and the W3C API only its
# author and the moderators see it; claim pages and the moderation API show members a notice.
NOTE_SEES = {
    "shared": MEMBERS,
    "private": AUTHOR,
    "hidden": AUTHOR | MODERATORS,
    "deleted": NOBODY,
    "foreign": NOBODY,
    "missing": NOBODY,
}
NOTE_KEYS = {"shared": "shared", "private": "private", "hidden": "hidden", "deleted": "deleted"}
CLAIM_KEYS = {
    "shared": "claim",
    "private": "private_claim",
    "hidden": "hidden",
    "deleted": "deleted",
}


def _note_pk(w: World, state: str, keys: Mapping[str, str]) -> int:
    if state == "foreign":
        return w.notes["foreign_claim" if keys is CLAIM_KEYS else "foreign"].pk
    if state == "missing":
        return MISSING
    return w.notes[keys[state]].pk


def annotation_states(
    address: Callable[[World, int], dict[str, Any]],
    *,
    keys: Mapping[str, str] = NOTE_KEYS,
    sees: Mapping[str, frozenset[str]] | None = None,
    data: Callable[[str], Payload] | None = None,
    headers: Callable[[str], Build] | None = None,
) -> dict[str, Target]:
    """An annotation in every state: shared, private, hidden, deleted, B's, none."""
    seen = {**NOTE_SEES, **(sees or {})}
    return {
        state: Target(
            (lambda s: lambda w: address(w, _note_pk(w, s, keys)))(state),
            sees=seen[state],
            data=data(state) if data else None,
            headers=headers(state) if headers else None,
        )
        for state in seen
    }


def in_reader(w: World, pk: int) -> dict[str, Any]:
    return _text(w, w.document.pk, aid=pk)


def in_container(w: World, pk: int) -> dict[str, Any]:
    return {A: w.seminar.slug, "pk": pk}


def by_pk(w: World, pk: int) -> dict[str, Any]:
    return {"pk": pk}


def claim_page(w: World, pk: int) -> dict[str, Any]:
    return {A: w.seminar.slug, "aid": pk}


# Replies: a member's reply on the shared claim, the author's hidden reply on it, the author's
# reply on their own private note, the author's deleted reply, one of B's, none.
REPLY_KEYS = {
    "shared": ("claim", "shared"),
    "hidden": ("claim", "hidden"),
    "private": ("private", "private"),
    "deleted": ("shared", "deleted"),
}
REPLY_OWNERS = {"shared": frozenset({"member"})}


def _reply_of(w: World, state: str) -> tuple[int, int]:
    if state == "foreign":
        return w.notes["claim"].pk, w.replies["foreign"].pk
    if state == "missing":
        return w.notes["claim"].pk, MISSING
    note, reply = REPLY_KEYS[state]
    return w.notes[note].pk, w.replies[reply].pk


def replies(
    address: Callable[[World, int, int], dict[str, Any]],
    sees: Mapping[str, frozenset[str]],
    *,
    data: Callable[[str], Payload] | None = None,
    headers: Callable[[str], Build] | None = None,
) -> dict[str, Target]:
    return {
        state: Target(
            (lambda s: lambda w: address(w, *_reply_of(w, s)))(state),
            sees=seen,
            owners=REPLY_OWNERS.get(state, AUTHOR),
            data=data(state) if data else None,
            headers=headers(state) if headers else None,
        )
        for state, seen in sees.items()
    }


def claims(address: Callable[[World, int], dict[str, Any]], **sees: frozenset[str]) -> Any:
    """A claim in every state; members see a hidden claim as a notice, unless `sees` says."""
    return annotation_states(address, keys=CLAIM_KEYS, sees={"hidden": MEMBERS, **sees})


# Decided in issue #14 (annotate/access.py, L6 of the probe): what a member sees only as a
# notice (hidden content) is theirs to read, not to act on: every other verb answers 404, as
# for what does not exist; its author and the moderators, who see it whole, act on it.
ACTS_ON_HIDDEN = AUTHOR | MODERATORS


def claims_acted_on(address: Callable[[World, int], dict[str, Any]]) -> Any:
    """A claim in every state, for a verb other than reading it (ACTS_ON_HIDDEN)."""
    return claims(address, hidden=ACTS_ON_HIDDEN)


def jobs(address: Callable[[World, int], dict[str, Any]]) -> dict[str, Target]:
    """The author's own export, the removed member's, B's, none: only its requester may read
    it, while still a member."""
    return {
        "base": Target(lambda w: address(w, w.jobs["author"].pk), sees=AUTHOR),
        "revoked": Target(lambda w: address(w, w.jobs["revoked"].pk), sees=NOBODY),
        "foreign": Target(lambda w: address(w, w.jobs["foreign"].pk), sees=NOBODY),
        "missing": Target(lambda w: address(w, MISSING), sees=NOBODY),
    }


def disputes(address: Callable[[World, int], dict[str, Any]]) -> dict[str, Target]:
    return {
        "base": Target(lambda w: address(w, w.disputes["open"].pk)),
        "ruled": Target(lambda w: address(w, w.disputes["ruled"].pk)),
        "foreign": Target(lambda w: address(w, w.disputes["foreign"].pk), sees=NOBODY),
        "missing": Target(lambda w: address(w, MISSING), sees=NOBODY),
    }


def flags(address: Callable[[World, int], dict[str, Any]]) -> dict[str, Target]:
    return {
        "base": Target(lambda w: address(w, w.flags["open"].pk)),
        "foreign": Target(lambda w: address(w, w.flags["foreign"].pk), sees=NOBODY),
        "missing": Target(lambda w: address(w, MISSING), sees=NOBODY),
    }


def in_seminar(objects: Callable[[World], Mapping[str, Any]], base: str) -> dict[str, Target]:
    """Something of seminar A (by pk, under A's address), B's under A's address, none."""
    return {
        "base": Target(lambda w: {A: w.seminar.slug, "pk": objects(w)[base].pk}),
        "foreign": Target(lambda w: {A: w.seminar.slug, "pk": objects(w)["foreign"].pk}, NOBODY),
        "missing": Target(lambda w: {A: w.seminar.slug, "pk": MISSING}, sees=NOBODY),
    }


# --- Request bodies ---------------------------------------------------------------------------

FACTORY = APIRequestFactory()


def _iri_request() -> Any:
    return FACTORY.get("/")  # http://testserver, as the test clients


@cache  # the world does not change: every request is rolled back
def _w3c_note(pk: int) -> tuple[dict[str, Any], str]:
    """An annotation as its author would PUT it back, with a new body, and its ETag."""
    note = Annotation.objects.select_related("author", "revision", "seminar").get(pk=pk)
    data = w3c.to_w3c(note, _iri_request())
    for body in data.get("body", []):
        if body.get("purpose") != "tagging":
            body["value"] = "Edited through the API."
    return data, w3c.etag(note)


@cache
def _w3c_reply(pk: int) -> tuple[dict[str, Any], str]:
    reply = Reply.objects.select_related("author", "annotation__seminar").get(pk=pk)
    data = w3c.reply_to_w3c(reply, _iri_request(), slug=reply.annotation.seminar.slug)
    data["body"] = [{"type": "TextualBody", "value": "Edited.", "purpose": "replying"}]
    return data, w3c.etag(reply)


def _existing(state: str) -> str:
    return "shared" if state == "missing" else state


def note_put(state: str) -> Payload:
    return lambda w, role: _w3c_note(_note_pk(w, _existing(state), NOTE_KEYS))[0]


def note_etag(state: str) -> Build:
    return lambda w: {"HTTP_IF_MATCH": _w3c_note(_note_pk(w, _existing(state), NOTE_KEYS))[1]}


def reply_put(state: str) -> Payload:
    return lambda w, role: _w3c_reply(_reply_of(w, _existing(state))[1])[0]


def reply_etag(state: str) -> Build:
    return lambda w: {"HTTP_IF_MATCH": _w3c_reply(_reply_of(w, _existing(state))[1])[1]}


def _quote(w: World) -> dict[str, Any]:
    return {
        "type": "SpecificResource",
        "source": f"http://testserver/api/v1/documents/{w.document.pk}/",
        "selector": {"type": "TextQuoteSelector", "exact": "tacit agreement"},
    }


def _new_w3c(w: World, role: str) -> dict[str, Any]:
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "commenting",
        "body": {"type": "TextualBody", "value": "Posted through the API."},
        "target": _quote(w),
    }


def _imported(w: World, role: str) -> list[dict[str, Any]]:
    item = _new_w3c(w, role)
    item["target"] = {**_quote(w), "source": "https://elsewhere.example/text"}
    return [item]


def _correction(w: World, role: str) -> list[dict[str, Any]]:
    assert w.document.current is not None
    start = w.document.current.text.index("Hungaiy")
    return [{"start": start, "end": start + 7, "replacement": "Hungary", "reason": "OCR"}]


def _new_note(w: World, role: str) -> dict[str, Any]:
    start, end = w.span
    return {
        "start": start,
        "end": end,
        "base": 1,
        "kind": "comment",
        "visibility": "seminar",
        "body": "A new note.",
        "tags": "",
    }


def _note_edit(w: World, role: str) -> dict[str, Any]:
    return {"kind": "comment", "body": "Edited.", "visibility": "seminar", "tags": "", "version": 1}


def export(kind: str, format_: str, target: Build, *, sees: frozenset[str] = MEMBERS) -> Target:
    """An export asked for through the API (its target in the body)."""
    return Target(
        lambda w: {}, sees=sees, data=lambda w, role: {"kind": kind, "format": format_, **target(w)}
    )


def _flagged(kind: str, key: str) -> Payload:
    """A flag (form or API) of an annotation or a reply of the world."""

    def payload(w: World, role: str) -> dict[str, Any]:
        if key == "missing":
            pk = MISSING
        elif kind == "annotation":
            pk = w.notes[key].pk
        else:
            pk = w.replies[key].pk
        return {kind: pk, "reason": "other", "note": "Look."}

    return payload


def _const(**data: Any) -> Payload:
    return lambda w, role: data


def flag_targets(*, api: bool) -> dict[str, Target]:
    """What a flag names, in every state (annotations, replies)."""
    where = (lambda w: {}) if api else _a
    return {
        "shared": Target(where, data=_flagged("annotation", "shared")),
        "private": Target(where, sees=AUTHOR, data=_flagged("annotation", "private")),
        "hidden": Target(where, sees=ACTS_ON_HIDDEN, data=_flagged("annotation", "hidden")),
        "deleted": Target(where, sees=NOBODY, data=_flagged("annotation", "deleted")),
        "foreign": Target(where, sees=NOBODY, data=_flagged("annotation", "foreign")),
        "missing": Target(where, sees=NOBODY, data=_flagged("annotation", "missing")),
        "reply": Target(where, data=_flagged("reply", "shared")),
        "reply_hidden": Target(where, sees=ACTS_ON_HIDDEN, data=_flagged("reply", "hidden")),
        "reply_private": Target(where, sees=AUTHOR, data=_flagged("reply", "private")),
        "reply_deleted": Target(where, sees=NOBODY, data=_flagged("reply", "deleted")),
        "reply_foreign": Target(where, sees=NOBODY, data=_flagged("reply", "foreign")),
    }


def flagged(role: str, state: str) -> Expected:
    """201; but the member flagged the shared note already (a flag is once per item)."""
    return 409 if (role, state) == ("member", "shared") else 201


def _moderate(action: str, kind: str, key: str) -> Target:
    """A moderation form's POST: the action in the URL, what it acts on in the body."""

    def payload(w: World, role: str) -> dict[str, Any]:
        if kind == "flag":
            return {"flag": w.flags[key].pk, "reason": "r"}
        pk = (
            MISSING
            if key == "missing"
            else (w.notes if kind == "annotation" else w.replies)[key].pk
        )
        return {kind: pk, "reason": "Moderated."}

    sees = {"private": AUTHOR, "deleted": NOBODY, "foreign": NOBODY, "missing": NOBODY}
    return Target(
        lambda w: {A: w.seminar.slug, "action": action},
        sees=sees.get(key, MEMBERS),
        data=payload,
    )


# --- The table --------------------------------------------------------------------------------

GET = Call()
GET_HTMX = Call(htmx=True)
EVERYONE = Call(scope="public")
SIGNED_IN = Call(scope="user")
SIGNED_IN_HTMX = Call(scope="user", htmx=True)
API_GET = Call(anonymous=UNAUTHENTICATED)


def post(ok: Expected | Callable[[str, str], Expected] = 302, **kw: Any) -> Call:
    return Call(method="POST", ok=ok, **kw)


def api(method: str, ok: Expected | Callable[[str, str], Expected] = 200, **kw: Any) -> Call:
    return Call(method=method, ok=ok, anonymous=UNAUTHENTICATED, **kw)


def _claim_token(key: str) -> Build:
    return lambda w: {"token": claim_token(w.invitations[key])}


RULES: tuple[Rule, ...] = (
    # --- Accounts: anyone (or anyone signed in); nothing of a seminar in them ---------------
    Rule("home", NONE, (EVERYONE,)),
    Rule("healthz", NONE, (Call(scope="public", ok=frozenset({200, 503})),)),
    Rule(
        "signup",
        NONE,
        (
            Call(scope="public", ok=by_role(302, anonymous=200)),
            post(scope="public", ok=by_role(302, anonymous=422), data=_const(username="")),
        ),
    ),
    Rule(
        "profile",
        NONE,
        (
            SIGNED_IN,
            SIGNED_IN_HTMX,
            post(
                scope="user",
                data=lambda w, role: {"display_name": "Renamed", "email": f"{role}@example.net"},
            ),
        ),
    ),
    Rule("tokens", NONE, (SIGNED_IN,)),
    Rule("token-create", NONE, (post(201, scope="user"),)),
    Rule("token-revoke", NONE, (post(scope="user"),)),
    Rule(
        "login",
        NONE,
        (EVERYONE, post(200, scope="public", data=_const(username="nobody", password="wrong"))),
    ),
    Rule("logout", NONE, (post(scope="public"),)),
    Rule("password_change", NONE, (SIGNED_IN, post(200, scope="user", data=_const()))),
    Rule("password_change_done", NONE, (SIGNED_IN,)),
    Rule(
        "password_reset",
        NONE,
        (EVERYONE, post(scope="public", data=_const(email="nobody@example.net"))),
    ),
    Rule("password_reset_done", NONE, (EVERYONE,)),
    Rule(
        "password_reset_confirm",
        {"base": Target(lambda w: {"uidb64": "MQ", "token": "set-password"})},
        (EVERYONE,),
    ),
    Rule("password_reset_complete", NONE, (EVERYONE,)),
    Rule("markdown-preview", NONE, (post(200, scope="user", data=_const(body="*Hello*")),)),
    Rule("seminar-create", NONE, (SIGNED_IN, post(scope="user", data=_const(name="New")))),
    Rule("invitations", NONE, (SIGNED_IN,)),
    Rule("notifications", NONE, (SIGNED_IN, post(scope="user"))),
    Rule("exports", NONE, (SIGNED_IN, SIGNED_IN_HTMX)),
    # Invitation links are capabilities: whoever holds a live one sees which seminar it opens
    # (never its texts); a dead one says nothing about the seminar.
    Rule(
        "join",
        {
            "base": Target(lambda w: {"token": w.links["active"].token}),
            "revoked": Target(lambda w: {"token": w.links["revoked"].token}),
            "foreign": Target(lambda w: {"token": w.links["foreign"].token}),
            "missing": Target(lambda w: {"token": "no-such-link"}),
        },
        (
            Call(
                scope="user",
                ok=lambda role, state: {
                    "revoked": 200 if role in MEMBERS else 410,
                    "missing": 404,
                }.get(state, 200),
            ),
            post(
                scope="user",
                ok=lambda role, state: {
                    "revoked": 302 if role in MEMBERS else 410,
                    "missing": 404,
                }.get(state, 302),
            ),
        ),
    ),
    # The emailed invitation's link: whoever follows it (signed in) takes an invitation sent
    # to an address (409 for who is invited to that seminar already); one already addressed
    # to someone else, or a bad token, is gone.
    Rule(
        "invitation-claim",
        {
            "base": Target(_claim_token("email")),
            "named": Target(_claim_token("named")),
            "missing": Target(lambda w: {"token": "no-such-token"}),
        },
        (
            Call(
                scope="user",
                ok=lambda role, state: (
                    410 if state != "base" else 409 if role == "nonmember" else 302
                ),
            ),
        ),
    ),
    Rule(
        "invitation-respond",
        {
            "base": Target(
                lambda w: {"pk": w.invitations["nonmember"].pk, "answer": "accept"},
                sees=frozenset({"nonmember"}),
            ),
            "named": Target(
                lambda w: {"pk": w.invitations["named"].pk, "answer": "accept"}, sees=NOBODY
            ),
            "foreign": Target(
                lambda w: {"pk": w.invitations["foreign"].pk, "answer": "decline"}, sees=NOBODY
            ),
            "missing": Target(lambda w: {"pk": MISSING, "answer": "accept"}, sees=NOBODY),
            "bad-answer": Target(
                lambda w: {"pk": w.invitations["nonmember"].pk, "answer": "maybe"}, sees=NOBODY
            ),
        },
        (post(scope="personal", need=frozenset({"nonmember"})),),
    ),
    # --- A seminar and its members ----------------------------------------------------------
    Rule("seminar", SEMINAR, (GET,)),
    Rule("seminar-leave", SEMINAR, (post(by_role(302, owner=409)),)),
    Rule(
        "member-role",
        in_seminar(lambda w: w.memberships, "member"),
        (post(first=frozenset({"owner"}), data=_const(role="observer")),),
    ),
    Rule(
        "member-remove",
        in_seminar(lambda w: w.memberships, "member"),
        (post(first=frozenset({"owner"})),),
    ),
    Rule(
        "invite-link-create",
        SEMINAR,
        (post(first=MODERATORS, data=_const(role="member", days=7)),),
    ),
    Rule("invite-link-revoke", in_seminar(lambda w: w.links, "active"), (post(first=MODERATORS),)),
    Rule(
        "invitation-create",
        SEMINAR,
        (post(first=MODERATORS, data=_const(username_or_email="new@example.net", role="member")),),
    ),
    Rule(
        "invitation-revoke",
        in_seminar(lambda w: w.invitations, "named"),
        (post(first=MODERATORS),),
    ),
    Rule("moderation", SEMINAR, (Call(first=MODERATORS),)),
    Rule("moderation-log", SEMINAR, (GET,)),
    Rule("claims", SEMINAR, (GET,)),
    Rule("archive-export", SEMINAR, (post(data=_const(format="zip")),)),
    # --- Texts --------------------------------------------------------------------------------
    Rule(
        "document-import",
        SEMINAR,
        (
            Call(first=MODERATORS),
            Call(first=MODERATORS, htmx=True),
            post(
                200,
                first=MODERATORS,
                data=_const(title="T", source_text="Some words.\n", format="plain", language="en"),
            ),
        ),
    ),
    Rule(
        "import-job",
        {
            "base": Target(
                lambda w: {A: w.seminar.slug, "pk": w.imports["base"].pk},
                sees=frozenset({"moderator"}),
            ),
            "foreign": Target(
                lambda w: {A: w.other.slug, "pk": w.imports["foreign"].pk}, sees=NOBODY
            ),
            "elsewhere": Target(
                lambda w: {A: w.seminar.slug, "pk": w.imports["foreign"].pk}, sees=NOBODY
            ),
            "missing": Target(lambda w: {A: w.seminar.slug, "pk": MISSING}, sees=NOBODY),
        },
        (Call(scope="personal"),),
    ),
    Rule("reader", texts(), (GET,)),
    Rule("reader-revision", texts(number=lambda w: 1), (GET,)),
    Rule("document-history", texts(), (GET,)),
    Rule("document-source", texts(), (GET,)),
    Rule(
        "document-correct",
        texts(),
        (
            post(
                need=MODERATORS,
                data=_const(find="Hungaiy", replacement="Hungary", reason="OCR", base=1),
            ),
        ),
    ),
    Rule(
        "annotation-changes",
        texts(),
        (Call(htmx=True, query=lambda w: {"since": w.since.isoformat()}),),
    ),
    Rule("export-create", texts(), (post(data=_const(format="jsonld")),)),
    Rule("annotation-create", texts(), (post(201, need=PARTICIPANTS, data=_new_note),)),
    Rule(
        "annotation-composer",
        texts(),
        (
            Call(need=PARTICIPANTS, htmx=True, query=lambda w: {"start": "0", "end": "9"}),
            Call(need=PARTICIPANTS),
        ),
    ),
    Rule("annotations-at", texts(offset=lambda w: w.offset), (GET_HTMX,)),
    # --- Annotations in the reader (htmx fragments) -------------------------------------------
    Rule(
        "annotation-detail",
        annotation_states(in_reader, sees={"deleted": MEMBERS}),
        (Call(ok=302), GET_HTMX),
    ),
    Rule(
        "annotation-edit",
        annotation_states(in_reader, sees={"deleted": MEMBERS}),
        (
            # Only its author edits an annotation, and not once it is deleted.
            Call(htmx=True, need={"deleted": NOBODY, "*": OWNERS}),
            post(by_state(200, deleted=409), need=OWNERS, htmx=True, data=_note_edit),
        ),
    ),
    Rule(
        "annotation-delete",
        annotation_states(in_reader, sees={"deleted": MEMBERS}),
        (post(200, need=OWNERS, htmx=True),),
    ),
    Rule(
        "annotation-reattach",
        annotation_states(in_reader, sees={"deleted": MEMBERS}),
        (
            post(
                200,
                need=AUTHOR | MODERATORS,
                htmx=True,
                data=lambda w, role: {"start": w.span[0], "end": w.span[1]},
            ),
        ),
    ),
    Rule(
        "reply-create",
        annotation_states(in_reader, sees={"deleted": MEMBERS}),
        (
            post(
                by_state(201, deleted=409),
                need=PARTICIPANTS,
                first=PARTICIPANTS,
                htmx=True,
                data=_const(body="A reply."),
            ),
        ),
    ),
    Rule(
        "reply-edit",
        replies(
            lambda w, aid, rid: _text(w, w.document.pk, aid=aid, rid=rid),
            {
                "shared": MEMBERS,
                "hidden": MEMBERS,
                "private": AUTHOR,
                "deleted": MEMBERS,
                "foreign": NOBODY,
                "missing": NOBODY,
            },
        ),
        (
            # Only its author edits a reply (a form holding a hidden reply's text is the text).
            Call(htmx=True, need={"deleted": NOBODY, "*": OWNERS}),
            post(
                by_state(200, deleted=409),
                need=OWNERS,
                htmx=True,
                data=_const(body="Edited.", version=1),
            ),
        ),
    ),
    Rule(
        "reply-delete",
        replies(
            lambda w, aid, rid: _text(w, w.document.pk, aid=aid, rid=rid),
            {
                "shared": MEMBERS,
                "hidden": MEMBERS,
                "private": AUTHOR,
                "deleted": MEMBERS,
                "foreign": NOBODY,
                "missing": NOBODY,
            },
        ),
        (post(200, need=OWNERS, htmx=True),),
    ),
    # --- Claims, disputes, moderation (pages) -------------------------------------------------
    Rule("claim", claims(claim_page), (GET,)),
    Rule(
        "claim-dispute",
        claims_acted_on(claim_page),
        (
            post(
                by_role(302, author=409),
                need=PARTICIPANTS,
                data=_const(grounds="other", statement="I dispute it."),
            ),
        ),
    ),
    Rule(
        "claim-withdraw",
        claims_acted_on(claim_page),
        (post(by_state(302, shared=409), need=AUTHOR),),
    ),
    Rule(
        "claim-status",
        claims(claim_page),
        (post(first=MODERATORS, data=_const(status="under_review", reason="Look again.")),),
    ),
    Rule(
        "claim-export",
        claims(claim_page, hidden=AUTHOR | MODERATORS),
        (post(data=_const(format="json")),),
    ),
    Rule(
        "dispute-rule",
        disputes(lambda w, pk: {A: w.seminar.slug, "did": pk}),
        (
            post(
                by_state(302, ruled=409),
                first=MODERATORS,
                data=_const(decision="dismiss", text="Ruled."),
            ),
        ),
    ),
    Rule("flag", flag_targets(api=False), (post(flagged, need=PARTICIPANTS),)),
    Rule(
        "moderate",
        {
            "shared": _moderate("hide", "annotation", "shared"),
            "private": _moderate("hide", "annotation", "private"),
            "hidden": _moderate("restore", "annotation", "hidden"),
            "deleted": _moderate("hide", "annotation", "deleted"),
            "foreign": _moderate("hide", "annotation", "foreign"),
            "missing": _moderate("hide", "annotation", "missing"),
            "lock": _moderate("lock", "annotation", "shared"),
            "reply_hidden": _moderate("restore", "reply", "hidden"),
            "reply_private": _moderate("hide", "reply", "private"),
            "reply_foreign": _moderate("hide", "reply", "foreign"),
            "flag": _moderate("dismiss-flag", "flag", "open"),
            "flag_foreign": Target(
                lambda w: {A: w.seminar.slug, "action": "dismiss-flag"},
                sees=NOBODY,
                data=lambda w, role: {"flag": w.flags["foreign"].pk},
            ),
            "bad-action": Target(
                lambda w: {A: w.seminar.slug, "action": "explode"},
                sees=NOBODY,
                data=_flagged("annotation", "shared"),
            ),
        },
        (post(first=MODERATORS),),
    ),
    # --- Exports ------------------------------------------------------------------------------
    Rule("export-download", jobs(by_pk), (Call(scope="personal"),), files=True),
    Rule("export-retry", jobs(by_pk), (post(scope="personal"),)),
    # --- The API: seminars and members --------------------------------------------------------
    Rule(
        "api-seminars",
        NONE,
        (
            api("GET", scope="user"),
            api("POST", 201, scope="user", data=_const(name="Made through the API")),
        ),
        api=True,
    ),
    Rule(
        "api-seminar",
        SEMINAR,
        (
            API_GET,
            api("PATCH", first=frozenset({"owner"}), data=_const(description="Renamed.")),
        ),
        api=True,
    ),
    Rule(
        "api-members",
        SEMINAR,
        (
            API_GET,
            api(
                "POST",
                201,
                first=frozenset({"owner"}),
                data=_const(username="sec-ivy", role="member"),
            ),
        ),
        api=True,
    ),
    Rule(
        "api-member",
        {
            "base": Target(lambda w: {A: w.seminar.slug, "username": "sec-mark"}),
            "foreign": Target(lambda w: {A: w.seminar.slug, "username": "sec-bob"}, NOBODY),
            "missing": Target(lambda w: {A: w.seminar.slug, "username": "nobody"}, NOBODY),
            "b-seminar": Target(
                lambda w: {A: w.other.slug, "username": "sec-bob"}, NOBODY, in_a=False
            ),
        },
        (
            API_GET,
            api("PATCH", first=frozenset({"owner"}), data=_const(role="observer")),
            # Owners remove members; a member removes (leaves) only themselves.
            api("DELETE", 204, first={"base": frozenset({"owner", "member"}), "*": {"owner"}}),
        ),
        api=True,
    ),
    # --- The API: texts -----------------------------------------------------------------------
    Rule(
        "api-documents",
        {
            "base": Target(
                lambda w: {},
                data=lambda w, role: _import_preview(w.seminar.slug),
                query=lambda w: {"seminar": w.seminar.slug},
            ),
            "foreign": Target(
                lambda w: {},
                sees=NOBODY,
                data=lambda w, role: _import_preview(w.other.slug),
                query=lambda w: {"seminar": w.other.slug},
            ),
        },
        (
            api("GET", scope="user", once=True),
            api("GET", target_query=True),
            api("POST", need=MODERATORS),
        ),
        api=True,
    ),
    Rule(
        "api-import",
        {
            "base": Target(lambda w: {"pk": w.imports["base"].pk}, sees=frozenset({"moderator"})),
            "foreign": Target(lambda w: {"pk": w.imports["foreign"].pk}, sees=NOBODY),
            "missing": Target(lambda w: {"pk": MISSING}, sees=NOBODY),
        },
        (api("GET", scope="personal"),),
        api=True,
    ),
    Rule("api-document", api_texts(), (API_GET,), api=True),
    Rule(
        "api-revisions",
        api_texts(),
        (API_GET, api("POST", 201, need=MODERATORS, data=_correction)),
        api=True,
    ),
    Rule(
        "api-revision",
        {
            **{
                state: Target(
                    (lambda t: lambda w: {**t.kwargs(w), "number": 1})(target), sees=target.sees
                )
                for state, target in api_texts().items()
            },
            "no-revision": Target(lambda w: {"pk": w.document.pk, "number": 99}, sees=NOBODY),
        },
        (API_GET,),
        api=True,
    ),
    Rule(
        "api-annotation-import",
        api_texts(),
        (api("POST", 201, need=PARTICIPANTS, data=_imported),),
        api=True,
    ),
    Rule("api-glossa-context", NONE, (Call(scope="public"),), api=True),
    # --- The API: W3C annotations -------------------------------------------------------------
    Rule(
        "api-annotations",
        SEMINAR,
        (
            API_GET,
            api("GET", query=lambda w: {"replies": "1"}),
            api("GET", query=lambda w: {"page": "0", "replies": "1"}),
            api("HEAD"),
            api("OPTIONS"),
            api("POST", 201, first=PARTICIPANTS, data=_new_w3c),
        ),
        api=True,
    ),
    Rule(
        "api-annotation",
        annotation_states(in_container, data=note_put, headers=note_etag),
        (
            API_GET,
            api("HEAD"),
            api("OPTIONS"),
            api("PUT", need=OWNERS, first=PARTICIPANTS),
            api("DELETE", 204, need=OWNERS, first=PARTICIPANTS),
        ),
        api=True,
    ),
    Rule(
        "api-annotation-reply",
        replies(
            lambda w, aid, rid: {A: w.seminar.slug, "pk": aid, "reply": rid},
            {
                "shared": MEMBERS,
                "hidden": AUTHOR | MODERATORS,
                "private": AUTHOR,
                "deleted": NOBODY,
                "foreign": NOBODY,
                "missing": NOBODY,
            },
            data=reply_put,
            headers=reply_etag,
        ),
        (
            API_GET,
            api("HEAD"),
            api("OPTIONS"),
            api("PUT", need=OWNERS, first=PARTICIPANTS),
            api("DELETE", 204, need=OWNERS, first=PARTICIPANTS),
        ),
        api=True,
    ),
    # --- The API: claims and moderation -------------------------------------------------------
    Rule("api-claims", SEMINAR, (API_GET,), api=True),
    Rule("api-claim", claims(by_pk), (API_GET,), api=True),
    Rule(
        "api-claim-disputes",
        claims_acted_on(by_pk),
        (
            api(
                "POST",
                by_role(201, author=409),
                need=PARTICIPANTS,
                data=_const(grounds="other", statement="I dispute it."),
            ),
        ),
        api=True,
    ),
    Rule(
        "api-claim-withdraw",
        claims_acted_on(by_pk),
        (api("POST", by_state(200, shared=409), need=AUTHOR, data=_const()),),
        api=True,
    ),
    Rule(
        "api-claim-status",
        claims_acted_on(by_pk),
        (api("POST", need=MODERATORS, data=_const(status="under_review", reason="Look.")),),
        api=True,
    ),
    Rule(
        "api-dispute-ruling",
        disputes(by_pk),
        (
            api(
                "POST",
                by_state(201, ruled=409),
                need=MODERATORS,
                data=_const(decision="dismiss", text="Ruled."),
            ),
        ),
        api=True,
    ),
    Rule("api-flags", flag_targets(api=True), (api("POST", flagged, need=PARTICIPANTS),), api=True),
    Rule(
        "api-flag-dismiss",
        flags(by_pk),
        (api("POST", need=MODERATORS, data=_const(reason="No.")),),
        api=True,
    ),
    *(
        Rule(
            f"api-annotation-{action}",
            annotation_states(by_pk, sees={"hidden": ACTS_ON_HIDDEN}),
            (api("POST", need=MODERATORS, data=_const(reason="Moderated.")),),
            api=True,
        )
        for action in ("hide", "restore", "lock", "unlock")
    ),
    *(
        Rule(
            f"api-reply-{action}",
            replies(
                lambda w, aid, rid: {"pk": rid},
                {
                    "shared": MEMBERS,
                    "hidden": ACTS_ON_HIDDEN,
                    "private": AUTHOR,
                    "deleted": NOBODY,
                    "foreign": NOBODY,
                    "missing": NOBODY,
                },
            ),
            (api("POST", need=MODERATORS, data=_const(reason="Moderated.")),),
            api=True,
        )
        for action in ("hide", "restore")
    ),
    Rule("api-moderation-log", SEMINAR, (API_GET,), api=True),
    Rule("api-moderation-queue", SEMINAR, (api("GET", first=MODERATORS),), api=True),
    # --- The API: exports ---------------------------------------------------------------------
    Rule(
        "api-exports",
        {
            "base": export("edition", "jsonld", lambda w: {"document": w.document.pk}),
            "claim": export("claim", "json", lambda w: {"claim": w.notes["claim"].pk}),
            "private": export(
                "claim", "json", lambda w: {"claim": w.notes["private_claim"].pk}, sees=AUTHOR
            ),
            "hidden": export(
                "claim", "json", lambda w: {"claim": w.notes["hidden"].pk}, sees=AUTHOR | MODERATORS
            ),
            "deleted": export(
                "claim", "json", lambda w: {"claim": w.notes["deleted"].pk}, sees=NOBODY
            ),
            "archive": export("archive", "zip", lambda w: {"seminar": w.seminar.slug}),
            "foreign": export(
                "edition", "jsonld", lambda w: {"document": w.other_document.pk}, sees=NOBODY
            ),
            # An archive names its seminar by slug or by id.
            "foreign-archive": export(
                "archive", "zip", lambda w: {"seminar": str(w.other.pk)}, sees=NOBODY
            ),
        },
        (api("GET", scope="user", once=True), api("POST", 202)),
        api=True,
    ),
    Rule("api-export", jobs(by_pk), (api("GET", scope="personal"),), api=True),
    Rule(
        "api-export-download",
        jobs(by_pk),
        (api("GET", scope="personal"),),
        api=True,
        files=True,
    ),
    Rule("api-schema", NONE, (Call(scope="public"),), api=True),
    Rule("api-docs", NONE, (Call(scope="public"),), api=True),
)

TABLE: dict[str, Rule] = {rule.name: rule for rule in RULES}
assert len(TABLE) == len(RULES), "a URL name has two rules"


def _import_preview(slug: str) -> dict[str, Any]:
    return {
        "seminar": slug,
        "title": "Previewed",
        "source_text": "Some words.",
        "format": "plain",
        "preview": True,
    }
