"""Hostile input through the API and the HTML forms: a clear 4xx with a message, never a 500,
and nothing already saved is lost.

Each case is one raw request (bytes and a content type, so nothing a client library would
tidy up gets tidied): the answer's status, and words of its message, are checked, and so is
everything the seminar held before. tests/core/test_middleware.py, tests/annotate/api/ and
tests/annotate/views/ check the ordinary bad requests (invalid fields, 21 tags, the upload
limit with a small setting); these are the hostile ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from annotate import w3c
from annotate.models import Annotation, Dispute, Document, Flag, Reply
from annotate.services import annotations as notes
from annotate.services.documents import document_import
from core.models import Membership, Seminar, User
from core.services.accounts import api_token_create
from tests.conftest import login

pytestmark = pytest.mark.django_db

TEXT = "The status quo held for decades.\n\nA tacit agreement between the superpowers.\n"
LD = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
BOUNDARY = "hostile-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


# --- The seminar the hostile requests are sent to --------------------------------------------


@dataclass
class Place:
    seminar: Seminar
    document: Document
    comment: Annotation  # the member's
    claim: Annotation  # the owner's
    reply: Reply  # the owner's, on the comment
    member: User
    owner: User

    def ids(self) -> dict[str, Any]:
        return {
            "slug": self.seminar.slug,
            "doc": self.document.pk,
            "aid": self.comment.pk,
            "claim": self.claim.pk,
            "rid": self.reply.pk,
            "rev": self.document.current.number,  # type: ignore[union-attr]
        }


@pytest.fixture
def place(seminar: Seminar, roles: dict[str, User]) -> Place:
    owner, me = roles["owner"], roles["member"]
    document = document_import(
        seminar=seminar, user=owner, title="The Superpowers", source_text=TEXT, format="plain"
    )
    assert document.current is not None
    text = document.current.text

    def on(phrase: str, user: User, body: str, **kwargs: Any) -> Annotation:
        start = text.index(phrase)
        return notes.annotation_create(
            document=document, user=user, start=start, end=start + len(phrase), body=body, **kwargs
        )

    comment = on("status quo", me, "Held by whom?", tags=["yalta"])
    claim = on("tacit agreement", owner, "It was tacit.", kind="claim")
    reply = notes.reply_create(annotation=comment, user=owner, body="By both.")
    return Place(seminar, document, comment, claim, reply, me, owner)


def saved(place: Place) -> Any:
    """Everything the hostile requests must leave as it was."""
    return (
        list(Seminar.objects.values_list("pk", "slug", "name", "description").order_by("pk")),
        list(Membership.objects.values_list("seminar", "user", "role").order_by("pk")),
        list(
            Document.objects.values_list(
                "pk", "title", "current__number", "current__text"
            ).order_by("pk")
        ),
        list(
            Annotation.objects.values_list(
                "pk",
                "kind",
                "body",
                "tags",
                "start",
                "end",
                "version",
                "deleted_at",
                "claim_status",
            ).order_by("pk")
        ),
        list(Reply.objects.values_list("pk", "body", "version", "deleted_at").order_by("pk")),
        Dispute.objects.count(),
        Flag.objects.count(),
    )


# --- Requests --------------------------------------------------------------------------------


def multipart(**parts: bytes | tuple[str, bytes]) -> bytes:
    """A multipart body of raw bytes: a field is bytes, a file is (file name, bytes)."""
    chunks = []
    for name, value in parts.items():
        if isinstance(value, tuple):
            filename, content = value
            head = (
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: text/plain\r\n"
            )
        else:
            head, content = f'Content-Disposition: form-data; name="{name}"\r\n', value
        chunks.append(f"--{BOUNDARY}\r\n{head}\r\n".encode() + content + b"\r\n")
    return b"".join(chunks) + f"--{BOUNDARY}--\r\n".encode()


def annotation(place: Place, **changes: Any) -> dict[str, Any]:
    """A valid W3C annotation on "superpowers", with `changes`."""
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "commenting",
        "body": [{"type": "TextualBody", "value": "Both of them.", "purpose": "commenting"}],
        "target": {
            "source": f"http://testserver/api/v1/documents/{place.document.pk}/",
            "selector": [{"type": "TextQuoteSelector", "exact": "superpowers"}],
        },
        **changes,
    }


def tags(*values: str) -> list[dict[str, str]]:
    return [{"type": "TextualBody", "value": "A note.", "purpose": "commenting"}] + [
        {"type": "TextualBody", "value": value, "purpose": "tagging"} for value in values
    ]


def over(limit: str) -> int:
    """One byte more than the setting allows (its real value, not a test's)."""
    return int(getattr(settings, limit)) + 1


@dataclass(frozen=True)
class Hostile:
    """One hostile request and the answer it must get."""

    id: str
    method: str
    path: str  # with {slug}, {doc}, {aid}, {claim}, {rid}, {rev}
    body: Callable[[Place], bytes]
    content_type: str
    status: int
    words: str  # in the answer's message
    who: str = "member"  # or "owner"
    page: bool = False  # an HTML form (session), else the API (token)


def raw(data: bytes) -> Callable[[Place], bytes]:
    return lambda place: data


def as_json(make: Callable[[Place], Any]) -> Callable[[Place], bytes]:
    return lambda place: json.dumps(make(place)).encode()


CONTAINER = "/api/v1/seminars/{slug}/annotations/"
SEMINARS = "/api/v1/seminars/"
DOCUMENTS = "/api/v1/documents/"
ANNOTATE_PAGE = "/s/{slug}/texts/{doc}/annotations/"
IMPORT_PAGE = "/s/{slug}/texts/new/"

CASES = [
    # --- Oversized bodies: the real limits, not test settings ---------------------------------
    Hostile(
        "json-over-data-upload-limit",
        "POST",
        SEMINARS,
        lambda p: b'{"name": "' + b"x" * over("DATA_UPLOAD_MAX_MEMORY_SIZE") + b'"}',
        JSON,
        413,
        "larger than Glossa accepts",
    ),
    Hostile(
        "w3c-annotation-over-data-upload-limit",
        "POST",
        CONTAINER,
        as_json(lambda p: annotation(p, body=tags("x" * over("DATA_UPLOAD_MAX_MEMORY_SIZE")))),
        LD,
        413,
        "larger than Glossa accepts",
    ),
    Hostile(
        "form-over-data-upload-limit",
        "POST",
        SEMINARS,
        lambda p: b"name=" + b"x" * over("DATA_UPLOAD_MAX_MEMORY_SIZE"),
        FORM,
        413,
        "larger than Glossa accepts",
    ),
    Hostile(
        "upload-over-upload-max-bytes",
        "POST",
        DOCUMENTS,
        lambda p: multipart(
            seminar=p.seminar.slug.encode(),
            title=b"Big",
            file=("big.txt", b"word " * (over("UPLOAD_MAX_BYTES") // 5 + 1)),
        ),
        MULTIPART,
        413,
        "largest text Glossa accepts",
        who="owner",
    ),
    Hostile(
        "page-form-over-data-upload-limit",
        "POST",
        ANNOTATE_PAGE,
        lambda p: (
            b"kind=comment&start=4&end=10&base=1&body=" + b"x" * over("DATA_UPLOAD_MAX_MEMORY_SIZE")
        ),
        FORM,
        413,
        "larger than Glossa accepts",
        page=True,
    ),
    Hostile(
        "page-upload-over-upload-max-bytes",
        "POST",
        IMPORT_PAGE,
        lambda p: multipart(
            title=b"Big",
            language=b"en",
            format=b"auto",
            file=("big.txt", b"word " * (over("UPLOAD_MAX_BYTES") // 5 + 1)),
        ),
        MULTIPART,
        413,
        "largest text Glossa accepts",
        who="owner",
        page=True,
    ),
    # --- Deeply nested JSON --------------------------------------------------------------------
    Hostile(
        "json-nested-100000-arrays",
        "POST",
        CONTAINER,
        raw(b"[" * 100_000 + b"]" * 100_000),
        LD,
        400,
        "nested too deeply",
    ),
    Hostile(
        "json-nested-100000-objects",
        "POST",
        SEMINARS,
        raw(b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
        JSON,
        400,
        "nested too deeply",
    ),
    Hostile(
        "json-nested-in-dispute-evidence",
        "POST",
        "/api/v1/claims/{claim}/disputes/",
        raw(
            b'{"grounds": "other", "statement": "x", "evidence": '
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}"
        ),
        JSON,
        400,
        "nested too deeply",
    ),
    Hostile(
        "json-nested-import",
        "POST",
        "/api/v1/documents/{doc}/import-annotations/",
        raw(
            b'{"type": "AnnotationCollection", "first": '
            + b'{"first": ' * 50_000
            + b"{}"
            + b"}" * 50_000
            + b"}"
        ),
        JSON,
        400,
        "nested too deeply",
    ),
    Hostile(
        "json-nested-900-under-the-recursion-limit",
        "POST",
        "/api/v1/claims/{claim}/disputes/",
        raw(
            b'{"grounds": "other", "statement": "x", "evidence": ' + b"[" * 900 + b"]" * 900 + b"}"
        ),
        JSON,
        400,
        "nested too deeply",
    ),
    Hostile(
        "import-100000-annotations",
        "POST",
        "/api/v1/documents/{doc}/import-annotations/",
        as_json(lambda p: [annotation(p)] * 100_000),
        JSON,
        413,
        "larger than Glossa accepts",
    ),
    Hostile(
        "import-6000-annotations",
        "POST",
        "/api/v1/documents/{doc}/import-annotations/",
        raw(b"[" + b",".join([b"{}"] * 6000) + b"]"),
        JSON,
        400,
        "at most 5,000",
    ),
    Hostile(
        "json-number-of-5000-digits",
        "POST",
        "/api/v1/flags/",
        raw(b'{"annotation": ' + b"9" * 5000 + b', "reason": "spam"}'),
        JSON,
        400,
        "JSON parse error",
    ),
    Hostile(
        "json-number-1e400",
        "POST",
        "/api/v1/flags/",
        raw(b'{"annotation": 1e400, "reason": "spam"}'),
        JSON,
        400,
        "valid integer",
    ),
    Hostile(
        "json-nan",
        "POST",
        "/api/v1/documents/{doc}/revisions/",
        raw(b'[{"start": NaN, "end": Infinity, "replacement": "x"}]'),
        JSON,
        400,
        "JSON parse error",
        who="owner",
    ),
    # --- Bad encodings -------------------------------------------------------------------------
    Hostile(
        "json-invalid-utf8",
        "POST",
        SEMINARS,
        raw(b'{"name": "Caf\xe9 \xff\xfe"}'),
        JSON,
        400,
        "utf-8",
    ),
    Hostile(
        "w3c-invalid-utf8",
        "POST",
        CONTAINER,
        raw(b'{"type": "Annotation", "body": "\xc3\x28"}'),
        LD,
        400,
        "utf-8",
    ),
    Hostile(
        "api-form-invalid-utf8",
        "POST",
        SEMINARS,
        raw(b"name=Caf%E9+%FF"),
        FORM,
        400,
        "UTF-8",
    ),
    Hostile(
        "api-query-invalid-utf8",
        "GET",
        CONTAINER + "?q=%FF%FE",
        raw(b""),
        JSON,
        400,
        "UTF-8",
    ),
    Hostile(
        "upload-bad-utf8-after-bom",
        "POST",
        DOCUMENTS,
        lambda p: multipart(
            seminar=p.seminar.slug.encode(),
            title=b"Bad",
            file=("bad.txt", b"\xef\xbb\xbfOK \xff\xfe"),
        ),
        MULTIPART,
        415,
        "not valid UTF-8",
        who="owner",
    ),
    Hostile(
        "upload-utf16-lone-surrogate",
        "POST",
        DOCUMENTS,
        lambda p: multipart(
            seminar=p.seminar.slug.encode(),
            title=b"Bad",
            file=("bad.txt", b"\xff\xfeA\x00\x00\xd8"),
        ),
        MULTIPART,
        415,
        "not valid UTF-16",
        who="owner",
    ),
    Hostile(
        "page-form-invalid-utf8",
        "POST",
        ANNOTATE_PAGE,
        raw(b"kind=comment&start=4&end=10&base=1&body=caf%E9"),
        FORM,
        400,
        "UTF-8",
        page=True,
    ),
    Hostile(
        "page-upload-bad-utf8-after-bom",
        "POST",
        IMPORT_PAGE,
        lambda p: multipart(
            title=b"Bad",
            language=b"en",
            format=b"auto",
            file=("bad.txt", b"\xef\xbb\xbfOK \xff\xfe"),
        ),
        MULTIPART,
        415,
        "not valid UTF-8",
        who="owner",
        page=True,
    ),
    Hostile(
        "upload-title-invalid-utf8",
        "POST",
        DOCUMENTS,
        lambda p: multipart(
            seminar=p.seminar.slug.encode(),
            title=b"Caf\xe9 \xff",
            file=("ok.txt", b"Good text."),
        ),
        MULTIPART,
        400,
        "UTF-8",
        who="owner",
    ),
    Hostile(
        "page-upload-author-invalid-utf8",
        "POST",
        IMPORT_PAGE,
        lambda p: multipart(
            title=b"Fine",
            author=b"Kov\xe1cs",
            language=b"en",
            format=b"auto",
            file=("ok.txt", b"Good text."),
        ),
        MULTIPART,
        400,
        "UTF-8",
        who="owner",
        page=True,
    ),
    # --- Offsets -------------------------------------------------------------------------------
    Hostile(
        "w3c-offsets-past-the-end",
        "POST",
        CONTAINER,
        as_json(lambda p: annotation(p, target=_target(p, 5, 10**6))),
        LD,
        422,
        "ends past the end of the text",
    ),
    Hostile(
        "w3c-offsets-beyond-bigint",
        "POST",
        CONTAINER,
        as_json(lambda p: annotation(p, target=_target(p, 2**70, 2**70 + 5))),
        LD,
        422,
        "ends past the end of the text",
    ),
    Hostile(
        "w3c-negative-offset",
        "POST",
        CONTAINER,
        as_json(lambda p: annotation(p, target=_target(p, -5, 4))),
        LD,
        400,
        "negative",
    ),
    Hostile(
        "w3c-start-after-end",
        "POST",
        CONTAINER,
        as_json(lambda p: annotation(p, target=_target(p, 9, 4))),
        LD,
        400,
        "starts after it ends",
    ),
    Hostile(
        "correction-past-the-end",
        "POST",
        "/api/v1/documents/{doc}/revisions/",
        raw(b'[{"start": 5, "end": 100000, "replacement": "x"}]'),
        JSON,
        422,
        "outside the text",
        who="owner",
    ),
    Hostile(
        "correction-beyond-bigint",
        "POST",
        "/api/v1/documents/{doc}/revisions/",
        as_json(lambda p: [{"start": 2**70, "end": 2**70 + 5, "replacement": "x"}]),
        JSON,
        422,
        "outside the text",
        who="owner",
    ),
    Hostile(
        "correction-negative",
        "POST",
        "/api/v1/documents/{doc}/revisions/",
        raw(b'[{"start": -1, "end": 3, "replacement": "x"}]'),
        JSON,
        400,
        "greater than or equal to 0",
        who="owner",
    ),
    Hostile(
        "correction-start-after-end",
        "POST",
        "/api/v1/documents/{doc}/revisions/",
        raw(b'[{"start": 9, "end": 3, "replacement": "x"}]'),
        JSON,
        422,
        "outside the text",
        who="owner",
    ),
    Hostile(
        "page-annotation-past-the-end",
        "POST",
        ANNOTATE_PAGE,
        raw(b"kind=comment&start=4&end=100000&base=1&body=x"),
        FORM,
        422,
        "not inside the text",
        page=True,
    ),
    Hostile(
        "page-annotation-negative",
        "POST",
        ANNOTATE_PAGE,
        raw(b"kind=comment&start=-4&end=10&base=1&body=x"),
        FORM,
        422,
        "greater than or equal to 0",
        page=True,
    ),
    Hostile(
        "page-annotation-start-after-end",
        "POST",
        ANNOTATE_PAGE,
        raw(b"kind=comment&start=10&end=4&base=1&body=x"),
        FORM,
        422,
        "not inside the text",
        page=True,
    ),
    Hostile(
        "page-annotation-beyond-bigint",
        "POST",
        ANNOTATE_PAGE,
        raw(b"kind=comment&start=1180591620717411303424&end=1180591620717411303429&base=1&body=x"),
        FORM,
        422,
        "not inside the text",
        page=True,
    ),
    Hostile(
        "page-correction-past-the-end",
        "POST",
        "/s/{slug}/texts/{doc}/correct/",
        lambda p: b"start=5&end=100000&replacement=x&reason=typo&base=%d" % p.ids()["rev"],
        FORM,
        422,
        "outside the text",
        who="owner",
        page=True,
    ),
    Hostile(
        "page-correction-negative",
        "POST",
        "/s/{slug}/texts/{doc}/correct/",
        lambda p: b"start=-5&end=3&replacement=x&reason=typo&base=%d" % p.ids()["rev"],
        FORM,
        422,
        "greater than or equal to 0",
        who="owner",
        page=True,
    ),
    Hostile(
        "page-correction-start-after-end",
        "POST",
        "/s/{slug}/texts/{doc}/correct/",
        lambda p: b"start=9&end=3&replacement=x&reason=typo&base=%d" % p.ids()["rev"],
        FORM,
        422,
        "outside the text",
        who="owner",
        page=True,
    ),
    Hostile(
        "page-dispute-evidence-not-in-text",
        "POST",
        "/s/{slug}/claims/{claim}/dispute/",
        raw(b"grounds=other&statement=No.&passage=" + b"x" * 100_000),
        FORM,
        422,
        "is not in the text",
        page=True,
    ),
    Hostile(
        "nul-and-bad-bytes-in-path",
        "GET",
        "/api/v1/documents/%FF%00abc/",
        raw(b""),
        JSON,
        400,
        "NUL",
    ),
    Hostile(
        "path-that-names-no-operation",
        "DELETE",
        "/api/v1/documents/{doc}/everything/",
        raw(b""),
        JSON,
        404,
        "no API operation at this address",
    ),
    Hostile(
        "id-beyond-bigint-in-path",
        "GET",
        "/api/v1/documents/1180591620717411303424/",
        raw(b""),
        JSON,
        404,
        "No such text",
    ),
    # --- Surrogate halves ------------------------------------------------------------------------
    Hostile(
        "json-lone-high-surrogate",
        "POST",
        SEMINARS,
        raw(b'{"name": "a\\ud800b"}'),
        JSON,
        400,
        "surrogate",
    ),
    Hostile(
        "json-lone-low-surrogate-in-a-key",
        "POST",
        "/api/v1/exports/",
        raw(b'{"kind": "edition", "document": 1, "format": "html", "options": {"\\udc00": 1}}'),
        JSON,
        400,
        "surrogate",
    ),
    Hostile(
        "w3c-surrogate-in-body",
        "POST",
        CONTAINER,
        lambda p: (
            json.dumps(annotation(p, body=tags())).replace("A note.", "A \\ud800 note.").encode()
        ),
        LD,
        400,
        "surrogate",
    ),
    Hostile(
        "w3c-surrogate-in-put",
        "PUT",
        CONTAINER + "{aid}/",
        raw(b'{"type": "Annotation", "body": "\\udfff"}'),
        LD,
        400,
        "surrogate",
    ),
    Hostile(
        "page-form-surrogate-bytes",
        "POST",
        ANNOTATE_PAGE,
        raw(b"kind=comment&start=4&end=10&base=1&body=%ED%A0%80"),
        FORM,
        400,
        "UTF-8",
        page=True,
    ),
    # --- NUL characters (beyond tests/core/test_middleware.py) -----------------------------------
    Hostile(
        "w3c-nul-in-tag",
        "POST",
        CONTAINER,
        as_json(lambda p: annotation(p, body=tags("a\x00b"))),
        LD,
        400,
        "NUL",
    ),
    Hostile(
        "api-multipart-nul-in-title",
        "POST",
        DOCUMENTS,
        lambda p: multipart(seminar=p.seminar.slug.encode(), title=b"a\x00b", source_text=b"Text."),
        MULTIPART,
        400,
        "NUL",
        who="owner",
    ),
    Hostile(
        "upload-nul-in-text",
        "POST",
        DOCUMENTS,
        lambda p: multipart(
            seminar=p.seminar.slug.encode(), title=b"Nul", file=("nul.txt", b"Some text\x00here.")
        ),
        MULTIPART,
        415,
        "NUL",
        who="owner",
    ),
    Hostile(
        "page-multipart-nul-in-title",
        "POST",
        IMPORT_PAGE,
        lambda p: multipart(title=b"a\x00b", language=b"en", format=b"auto", source_text=b"Text."),
        MULTIPART,
        422,
        "Null characters are not allowed",
        who="owner",
        page=True,
    ),
    # --- Huge tag lists ------------------------------------------------------------------------
    Hostile(
        "w3c-10000-tags",
        "POST",
        CONTAINER,
        as_json(lambda p: annotation(p, body=tags(*(f"t{n}" for n in range(10_000))))),
        LD,
        400,
        "At most 20 tags",
    ),
    Hostile(
        "w3c-10-mb-tag",
        "POST",
        CONTAINER,
        as_json(lambda p: annotation(p, body=tags("t" * 10_000_000))),
        LD,
        413,
        "larger than Glossa accepts",
    ),
    Hostile(
        "w3c-1-mb-tag",
        "POST",
        CONTAINER,
        as_json(lambda p: annotation(p, body=tags("t" * 1_000_000))),
        LD,
        400,
        "at most 50 characters",
    ),
    Hostile(
        "w3c-put-10000-tags",
        "PUT",
        CONTAINER + "{aid}/",
        lambda p: json.dumps(_put(p, tags=[f"t{n}" for n in range(10_000)])).encode(),
        LD,
        400,
        "At most 20 tags",
    ),
    Hostile(
        "page-10000-tags",
        "POST",
        ANNOTATE_PAGE,
        lambda p: (
            b"kind=comment&start=4&end=10&base=1&body=x&tags="
            + b",".join(b"t%d" % n for n in range(10_000))
        ),
        FORM,
        422,
        "at most 1000 characters",
        page=True,
    ),
    Hostile(
        "page-1-mb-tag",
        "POST",
        ANNOTATE_PAGE,
        lambda p: b"kind=comment&start=4&end=10&base=1&body=x&tags=" + b"t" * 1_000_000,
        FORM,
        422,
        "at most 1000 characters",
        page=True,
    ),
    # --- Not an object where an object belongs -------------------------------------------------
    *(
        Hostile(f"{name}-{kind}", "POST", path, raw(body), JSON, 400, null or words, who=who)
        for name, path, who, words in (
            ("seminar", SEMINARS, "member", "Expected a dictionary"),
            ("document", DOCUMENTS, "owner", "Expected a dictionary"),
            ("flag", "/api/v1/flags/", "member", "Expected a dictionary"),
            ("export", "/api/v1/exports/", "member", "Expected a dictionary"),
            ("dispute", "/api/v1/claims/{claim}/disputes/", "member", "Expected a dictionary"),
            ("w3c", CONTAINER, "member", "JSON object"),
        )
        for kind, body, null in (
            ("list", b"[1, 2]", ""),
            ("string", b'"name"', ""),
            ("number", b"42", ""),
            ("null", b"null", "No data provided" if name != "w3c" else ""),
        )
    ),
    Hostile(
        "export-options-a-list",
        "POST",
        "/api/v1/exports/",
        as_json(
            lambda p: {
                "kind": "edition",
                "document": p.document.pk,
                "format": "html",
                "options": [1],
            }
        ),
        JSON,
        400,
        "dictionary",
    ),
    Hostile(
        "correction-edits-not-objects",
        "POST",
        "/api/v1/documents/{doc}/revisions/",
        raw(b'["start", 1, null]'),
        JSON,
        400,
        "dictionary",
        who="owner",
    ),
    Hostile(
        "import-a-string",
        "POST",
        "/api/v1/documents/{doc}/import-annotations/",
        raw(b'"annotations"'),
        JSON,
        400,
        "Send an AnnotationCollection",
    ),
    # --- Wrong content types -------------------------------------------------------------------
    Hostile("api-text-plain", "POST", SEMINARS, raw(b"name=x"), "text/plain", 415, "text/plain"),
    Hostile("api-xml", "POST", "/api/v1/flags/", raw(b"<flag/>"), "application/xml", 415, "xml"),
    Hostile(
        "w3c-turtle", "POST", CONTAINER, raw(b"<> a oa:Annotation ."), "text/turtle", 415, "turtle"
    ),
    Hostile(
        "w3c-form-encoded", "POST", CONTAINER, raw(b"type=Annotation"), FORM, 415, "x-www-form"
    ),
    Hostile(
        "multipart-without-boundary",
        "POST",
        DOCUMENTS,
        raw(b"--x\r\nContent-Disposition: form-data; name=title\r\n\r\nA\r\n--x--\r\n"),
        "multipart/form-data",
        400,
        "boundary",
        who="owner",
    ),
    Hostile(
        "json-body-labelled-form",
        "POST",
        SEMINARS,
        raw(b'{"name": "Sneaky"}'),
        FORM,
        400,
        "name",
    ),
    Hostile(
        "json-body-labelled-multipart",
        "POST",
        "/api/v1/flags/",
        raw(b'{"annotation": 1, "reason": "spam"}'),
        MULTIPART,
        400,
        "This field is required",
    ),
    Hostile(
        "page-json-body",
        "POST",
        ANNOTATE_PAGE,
        raw(b'{"kind": "comment", "start": 4, "end": 10, "base": 1}'),
        JSON,
        422,
        "Select a passage first",
        page=True,
    ),
]


def _target(place: Place, start: int, end: int) -> dict[str, Any]:
    return {
        "source": f"http://testserver/api/v1/documents/{place.document.pk}/",
        "selector": [{"type": "TextPositionSelector", "start": start, "end": end}],
    }


def _put(place: Place, *, tags: list[str]) -> dict[str, Any]:
    """The member's comment as they read it, with other tags."""
    comment = place.comment
    return {
        "type": "Annotation",
        "motivation": "commenting",
        "body": [{"type": "TextualBody", "value": comment.body, "purpose": "commenting"}]
        + [{"type": "TextualBody", "value": tag, "purpose": "tagging"} for tag in tags],
        "target": {
            "source": f"http://testserver/api/v1/documents/{place.document.pk}/",
            "selector": [
                {"type": "TextPositionSelector", "start": comment.start, "end": comment.end}
            ],
        },
    }


def send(place: Place, case: Hostile) -> Any:
    user = place.owner if case.who == "owner" else place.member
    path = case.path.format(**place.ids())
    headers: dict[str, str] = {}
    if case.page:
        client: Client = login(Client(), user)
    else:
        client = APIClient()
        headers["Authorization"] = f"Token {api_token_create(user=user).key}"
    if case.method == "PUT":
        headers["If-Match"] = w3c.etag(place.comment)
    call = getattr(client, case.method.lower())
    if case.method == "GET":
        return call(path, headers=headers)
    return call(path, data=case.body(place), content_type=case.content_type, headers=headers)


def message(response: Any, case: Hostile) -> str:
    if not case.page:
        assert response["Content-Type"].startswith(JSON), response["Content-Type"]
        body = response.json()
        assert isinstance(body.get("code"), str) and body["code"], body
        assert isinstance(body.get("detail"), str) and body["detail"].strip(), body
        return str(body["detail"])
    return response.content.decode()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input_is_a_clear_4xx_and_loses_nothing(place: Place, case: Hostile) -> None:
    before = saved(place)
    response = send(place, case)
    text = message(response, case)
    assert response.status_code == case.status, (response.status_code, text[:500])
    assert case.words.lower() in text.lower(), text[:500]
    assert saved(place) == before
