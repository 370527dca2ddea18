"""Annotations as W3C Web Annotations (JSON-LD), and back: pure conversion, no database writes.

Glossa speaks the W3C Web Annotation Data Model and Protocol (https://www.w3.org/TR/
annotation-model/, https://www.w3.org/TR/annotation-protocol/) under /api/v1/:

- a container per seminar, ``/api/v1/seminars/{slug}/annotations/``, and each annotation at
  ``…/annotations/{id}/``; a reply at ``…/annotations/{id}/replies/{reply_id}/``;
- media type ``application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"``
  (``application/json`` is accepted too, sent and asked for);
- ``target``: ``{"type": "SpecificResource", "source": <the text's API URL,
  …/api/v1/documents/{id}/>, "selector": [TextQuoteSelector {exact, prefix, suffix},
  TextPositionSelector {start, end}]}``; positions count code points of the text of the
  revision named by ``glossa:revision``; an orphan (its words are gone from the text) has the
  quote only. On POST a TextQuoteSelector alone is enough: the server finds it in the text;
- ``motivation`` and ``glossa:kind`` go together: commenting / comment, questioning /
  question, assessing / claim, highlighting / highlight (no text body); ``body`` is a list of
  TextualBody: the text (``format: text/markdown``, ``purpose`` = the motivation) and one
  ``purpose: tagging`` body per tag;
- a reply is an annotation with ``motivation: replying`` whose ``target`` is the IRI of the
  annotation (or reply) it answers;
- ``creator``: ``{"id": "acct:{username}@{host}", "type": "Person", "name", "nickname"}``;
  ``created`` and ``modified`` in ISO 8601 (UTC); a ``canonical`` IRI sent on creation is kept;
  an ``id`` sent on creation is kept as ``via``.

Glossa's own terms come from a second context, served at ``/api/v1/ns/glossa.jsonld``
(``"@context": ["http://www.w3.org/ns/anno.jsonld", "<that URL>"]``), under the prefix
``glossa:`` (the context's own URL followed by ``#``):

============================  ===================================================  =========
term                          meaning                                              on input
============================  ===================================================  =========
``glossa:kind``               ``highlight``, ``comment``, ``question`` or          optional,
                              ``claim`` (the same as ``motivation``)               must agree
``glossa:visibility``         ``seminar`` (every member) or ``private`` (its       POST, PUT
                              author alone); ``seminar`` when not given
``glossa:anchorStatus``       ``anchored``, ``relocated`` (the words were found    ignored
                              again only approximately after a correction or
                              an import) or ``orphaned`` (not found: no
                              TextPositionSelector)
``glossa:revision``           the number of the text's revision the selectors      POST: the
                              refer to (an integer)                                revision the
                                                                                   positions
                                                                                   count in
``glossa:claimStatus``        a claim's status as moderators set it (reserved:     ignored
                              absent for now)
``glossa:deleted``            ``true`` on a deleted annotation (or reply) kept     ignored
                              as a placeholder for its thread; it has no body
``glossa:provenance``         an imported annotation's origin, a JSON object       ignored
                              (``@json``): ``creator``, ``created``,
                              ``modified``, ``id`` and ``source`` as the other
                              tool wrote them
============================  ===================================================  =========

Paging: the container's ``first`` / ``last`` and each page's ``next`` / ``prev`` are
``?page=N`` (counted from 0), 100 annotations a page or ``?limit=`` up to 500; a Prefer header
(``PreferMinimalContainer``, ``PreferContainedIRIs`` or ``PreferContainedDescriptions``) or
``?iris=1`` chooses what the container embeds. ETags are weak (``W/"{id}-{version}"``): they
change with every edit, not with a reply or a re-anchoring, and If-Match compares them weakly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse

from annotate import anchoring
from annotate.models import BODY_MAX, Annotation, Reply
from annotate.services.annotations import MAX_QUOTE, clean_tags
from core.errors import Unprocessable
from core.models import User

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
LDP_CONTEXT = "http://www.w3.org/ns/ldp.jsonld"
PROFILE = ANNO_CONTEXT
MEDIA_TYPE = f'application/ld+json; profile="{PROFILE}"'
MAX_BODY = BODY_MAX
MAX_IRI = 2000

MOTIVATION_OF_KIND: dict[str, str] = {
    Annotation.Kind.COMMENT: "commenting",
    Annotation.Kind.QUESTION: "questioning",
    Annotation.Kind.CLAIM: "assessing",
    Annotation.Kind.HIGHLIGHT: "highlighting",
}
KIND_OF_MOTIVATION: dict[str, str] = {m: k for k, m in MOTIVATION_OF_KIND.items()}
REPLYING = "replying"
MOTIVATIONS = (*KIND_OF_MOTIVATION, REPLYING)

_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


# --- IRIs ------------------------------------------------------------------------------------


def absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def context_url(request: HttpRequest) -> str:
    return absolute(request, reverse("api-glossa-context"))


def contexts(request: HttpRequest, *extra: str) -> list[str]:
    return [ANNO_CONTEXT, *extra, context_url(request)]


def container_iri(request: HttpRequest, slug: str) -> str:
    return absolute(request, reverse("api-annotations", args=[slug]))


def annotation_iri(request: HttpRequest, slug: str, pk: int) -> str:
    return absolute(request, reverse("api-annotation", args=[slug, pk]))


def reply_iri(request: HttpRequest, slug: str, annotation_id: int, pk: int) -> str:
    return absolute(request, reverse("api-annotation-reply", args=[slug, annotation_id, pk]))


def document_iri(request: HttpRequest, document_id: int) -> str:
    return absolute(request, reverse("api-document", args=[document_id]))


def etag(item: Annotation | Reply) -> str:
    """A weak validator of the editable state: it changes with `version`, on every edit."""
    prefix = "r" if isinstance(item, Reply) else ""
    return f'W/"{prefix}{item.pk}-{item.version}"'


def glossa_context(request: HttpRequest) -> dict[str, Any]:
    """The JSON-LD context that defines Glossa's terms (served at /api/v1/ns/glossa.jsonld)."""
    return {
        "@context": {
            "@version": 1.1,
            "glossa": f"{context_url(request)}#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "glossa:kind": {"@type": "xsd:string"},
            "glossa:visibility": {"@type": "xsd:string"},
            "glossa:anchorStatus": {"@type": "xsd:string"},
            "glossa:revision": {"@type": "xsd:integer"},
            "glossa:claimStatus": {"@type": "xsd:string"},
            "glossa:deleted": {"@type": "xsd:boolean"},
            "glossa:provenance": {"@type": "@json"},
        }
    }


# --- Models to W3C ---------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def person(user: User, request: HttpRequest) -> dict[str, str]:
    """A member as a W3C Person; `id` is an acct: IRI on this server's host."""
    host = urlsplit(f"//{request.get_host()}").hostname or "localhost"
    return {
        "id": f"acct:{user.username}@{host}",
        "type": "Person",
        "name": user.name,
        "nickname": user.username,
    }


def to_w3c(
    annotation: Annotation, request: HttpRequest, *, embedded: bool = False
) -> dict[str, Any]:
    """An annotation as a W3C Annotation; `embedded` (in a page) leaves out the @context.

    Reads annotation.author, .revision and .seminar: select them with the annotation.
    """
    motivation = MOTIVATION_OF_KIND[annotation.kind]
    selectors: list[dict[str, Any]] = [
        {
            "type": "TextQuoteSelector",
            "exact": annotation.exact,
            "prefix": annotation.prefix,
            "suffix": annotation.suffix,
        }
    ]
    if annotation.start is not None and annotation.end is not None:
        selectors.append(
            {"type": "TextPositionSelector", "start": annotation.start, "end": annotation.end}
        )
    data: dict[str, Any] = {} if embedded else {"@context": contexts(request)}
    data |= {
        "id": annotation_iri(request, annotation.seminar.slug, annotation.pk),
        "type": "Annotation",
        "motivation": motivation,
        "created": iso(annotation.created_at),
        "modified": iso(annotation.modified_at),
        "creator": person(annotation.author, request),
    }
    if not annotation.is_deleted:
        bodies: list[dict[str, Any]] = []
        if annotation.kind != Annotation.Kind.HIGHLIGHT:
            bodies.append(_text_body(annotation.body, motivation))
        bodies += [
            {"type": "TextualBody", "value": tag, "purpose": "tagging"} for tag in annotation.tags
        ]
        if bodies:
            data["body"] = bodies
    data["target"] = {
        "type": "SpecificResource",
        "source": document_iri(request, annotation.document_id),
        "selector": selectors,
    }
    if annotation.canonical:
        data["canonical"] = annotation.canonical
    if isinstance(annotation.provenance, Mapping) and annotation.provenance.get("id"):
        data["via"] = annotation.provenance["id"]
    data |= {
        "glossa:kind": annotation.kind,
        "glossa:visibility": annotation.visibility,
        "glossa:anchorStatus": annotation.anchor_status,
        "glossa:revision": annotation.revision.number,
    }
    if annotation.is_deleted:
        data["glossa:deleted"] = True
    if annotation.provenance:
        data["glossa:provenance"] = annotation.provenance
    return data


def reply_to_w3c(
    reply: Reply, request: HttpRequest, *, slug: str, embedded: bool = False
) -> dict[str, Any]:
    """A reply as a W3C Annotation that replies to its parent (the annotation or a reply)."""
    if reply.parent_id is not None:
        target = reply_iri(request, slug, reply.annotation_id, reply.parent_id)
    else:
        target = annotation_iri(request, slug, reply.annotation_id)
    data: dict[str, Any] = {} if embedded else {"@context": contexts(request)}
    data |= {
        "id": reply_iri(request, slug, reply.annotation_id, reply.pk),
        "type": "Annotation",
        "motivation": REPLYING,
        "created": iso(reply.created_at),
        "modified": iso(reply.modified_at),
        "creator": person(reply.author, request),
    }
    if reply.deleted_at is None:
        data["body"] = [_text_body(reply.body, REPLYING)]
    data["target"] = target
    if reply.deleted_at is not None:
        data["glossa:deleted"] = True
    return data


def _text_body(value: str, purpose: str) -> dict[str, str]:
    return {"type": "TextualBody", "value": value, "format": "text/markdown", "purpose": purpose}


# --- W3C to Glossa ---------------------------------------------------------------------------


@dataclass(frozen=True)
class W3CAnnotation:
    """What Glossa keeps of a posted W3C annotation, checked for shape (not against a text)."""

    motivation: str  # one of MOTIVATIONS
    kind: str | None  # the Glossa kind; None for a reply
    body: str = ""
    tags: tuple[str, ...] = ()
    visibility: str | None = None
    source: str | None = None  # target.source (or the target IRI of a reply)
    quote: anchoring.Quote | None = None
    position: tuple[int, int] | None = None
    revision: int | None = None
    canonical: str = ""
    id: str = ""
    via: str = ""
    creator: Any = None
    created: str | None = None
    modified: str | None = None

    @property
    def is_reply(self) -> bool:
        return self.motivation == REPLYING

    def provenance(self) -> dict[str, Any]:
        """Where an imported annotation came from, as the other tool wrote it."""
        found = {
            "creator": self.creator,
            "created": self.created,
            "modified": self.modified,
            "id": self.id or self.via,
            "source": self.source,
        }
        return {key: value for key, value in found.items() if value}


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


def _one(value: Any, field: str, what: str) -> Any:
    """A single value, or the one value of a list of one."""
    if isinstance(value, list):
        if len(value) != 1:
            raise _invalid(field, f"Glossa keeps one {what}; this annotation has {len(value)}.")
        return value[0]
    return value


def _iri(value: Any, field: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_IRI or not _IRI.match(value):
        raise _invalid(field, f"`{field}` must be an IRI of at most {MAX_IRI:,} characters.")
    return value


def _types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def parse_w3c(payload: Any, *, imported: bool = False) -> W3CAnnotation:
    """A posted W3C annotation, checked for shape; ValidationError says what is wrong.

    `imported`: an annotation made elsewhere, to be re-targeted to a text of ours by its
    quote, so its target's source may be anything but it needs a TextQuoteSelector.
    """
    if not isinstance(payload, dict):
        raise ValidationError("An annotation is a JSON object (a W3C Annotation).")
    if "type" in payload and "Annotation" not in _types(payload["type"]):
        raise _invalid("type", 'This is not an Annotation: its `type` must be "Annotation".')
    texts, tags = _bodies(payload.get("body"))
    motivation = _motivation(payload, texts)
    glossa_kind = payload.get("glossa:kind")
    if glossa_kind is not None:
        if glossa_kind not in Annotation.Kind.values:
            raise _invalid("glossa:kind", "Choose highlight, comment, question or claim.")
        if motivation != MOTIVATION_OF_KIND[glossa_kind]:
            raise _invalid(
                "glossa:kind",
                f"`glossa:kind` {glossa_kind} and `motivation` {motivation} disagree.",
            )
    text = texts[0][0] if texts else ""
    if motivation == "highlighting" and texts:
        raise _invalid(
            "body", "A highlight has no text body: use the motivation commenting for a comment."
        )
    visibility = payload.get("glossa:visibility")
    if visibility is not None and visibility not in Annotation.Visibility.values:
        raise _invalid("glossa:visibility", "Choose private or seminar.")
    revision = payload.get("glossa:revision")
    if revision is not None and (
        isinstance(revision, bool) or not isinstance(revision, int) or revision < 1
    ):
        raise _invalid("glossa:revision", "`glossa:revision` is a revision number (1, 2, …).")
    if "target" not in payload:
        raise _invalid("target", "An annotation needs a `target`.")
    if imported and motivation == REPLYING:
        raise _invalid("motivation", "Replies are not imported, only the annotations.")
    source, quote, position = _target(
        payload["target"], reply=motivation == REPLYING, imported=imported
    )
    if imported and quote is None:
        raise _invalid(
            "selector",
            "An imported annotation needs a TextQuoteSelector: it is found by its words.",
        )
    if motivation == REPLYING and tags:
        raise _invalid("body", "A reply has no tags.")
    via = payload.get("via")
    if isinstance(via, list):
        via = via[0] if via else None
    return W3CAnnotation(
        motivation=motivation,
        kind=KIND_OF_MOTIVATION.get(motivation),
        body=text,
        tags=tuple(tags),
        visibility=visibility,
        source=source,
        quote=quote,
        position=position,
        revision=revision,
        canonical=_iri(payload["canonical"], "canonical") if payload.get("canonical") else "",
        id=_iri(payload["id"], "id") if payload.get("id") else "",
        via=_iri(via, "via") if via else "",
        creator=_creator(payload.get("creator")),
        created=_short(payload.get("created")),
        modified=_short(payload.get("modified")),
    )


def _bodies(value: Any) -> tuple[list[tuple[str, str | None]], list[str]]:
    """The text bodies (value, purpose) and the tags of a body, or of a list of them."""
    if value is None:
        return [], []
    items = value if isinstance(value, list) else [value]
    texts: list[tuple[str, str | None]] = []
    raw_tags: list[str] = []
    for body in items:
        if isinstance(body, str):
            raise _invalid(
                "body",
                "Glossa keeps text bodies (TextualBody with a `value`), not bodies given by IRI.",
            )
        if not isinstance(body, dict):
            raise _invalid("body", "Each body is a JSON object (a TextualBody).")
        kind = _types(body.get("type"))
        if body.get("type") is not None and "TextualBody" not in kind:
            raise _invalid("body", f"Glossa keeps TextualBody bodies, not {body.get('type')}.")
        value_ = body.get("value")
        if not isinstance(value_, str):
            raise _invalid("body", "A TextualBody has a `value`: its text.")
        format_ = body.get("format")
        if format_ is not None and not (isinstance(format_, str) and format_.startswith("text/")):
            raise _invalid("body", "A body's `format` is a text format such as text/markdown.")
        purpose = _one(body.get("purpose"), "body", "purpose per body")
        if purpose is not None and not isinstance(purpose, str):
            raise _invalid("body", "A body's `purpose` is a motivation such as commenting.")
        if purpose == "tagging":
            raw_tags.append(value_)
            continue
        if len(value_) > MAX_BODY:
            raise _invalid("body", f"A body can be at most {MAX_BODY:,} characters.")
        texts.append((value_, purpose))
    if len(texts) > 1:
        raise _invalid("body", "Glossa keeps one text body per annotation (and tags).")
    return texts, clean_tags(raw_tags)


def _motivation(payload: dict[str, Any], texts: list[tuple[str, str | None]]) -> str:
    motivation = _one(payload.get("motivation"), "motivation", "motivation")
    if motivation is None:
        kind = payload.get("glossa:kind")
        if isinstance(kind, str) and kind in MOTIVATION_OF_KIND:
            return MOTIVATION_OF_KIND[kind]
        purpose = texts[0][1] if texts else None
        if purpose in MOTIVATIONS and purpose != "highlighting":
            return str(purpose)
        return "commenting" if texts else "highlighting"
    if motivation not in MOTIVATIONS:
        raise _invalid(
            "motivation",
            f"Unknown motivation {str(motivation)[:50]!r}: Glossa keeps commenting, questioning, "
            "assessing, highlighting and replying.",
        )
    return str(motivation)


def _target(
    value: Any, *, reply: bool, imported: bool
) -> tuple[str | None, anchoring.Quote | None, tuple[int, int] | None]:
    target = _one(value, "target", "target")
    if isinstance(target, str):
        if reply:
            return _iri(target, "target"), None, None
        raise _invalid(
            "target",
            "The target names a text and the words annotated: "
            '{"source": <the text\'s API URL>, "selector": [a TextQuoteSelector, …]}.',
        )
    if not isinstance(target, dict):
        raise _invalid("target", "The target is a JSON object (or, for a reply, an IRI).")
    if reply:
        return _iri(target.get("id") or target.get("source"), "target"), None, None
    source = target.get("source")
    if imported:
        source = source[:MAX_IRI] if isinstance(source, str) else None
    elif not isinstance(source, str) or not source:
        raise _invalid("target", "The target needs a `source`: the text's API URL.")
    quote: anchoring.Quote | None = None
    position: tuple[int, int] | None = None
    raw = target.get("selector")
    for selector in raw if isinstance(raw, list) else [raw] if raw is not None else []:
        if not isinstance(selector, dict):
            raise _invalid("selector", "Each selector is a JSON object with a `type`.")
        kind = selector.get("type")
        if kind == "TextQuoteSelector":
            if quote is not None:
                raise _invalid("selector", "Give one TextQuoteSelector.")
            quote = _quote(selector)
        elif kind == "TextPositionSelector":
            if position is not None:
                raise _invalid("selector", "Give one TextPositionSelector.")
            position = _position(selector)
        # Other selectors (RangeSelector, XPathSelector, …) describe markup Glossa lacks.
    if quote is None and position is None:
        raise _invalid(
            "selector",
            "Select the words: a TextQuoteSelector (exact, prefix, suffix) and/or a "
            "TextPositionSelector (start, end).",
        )
    return source, quote, position


def _quote(selector: dict[str, Any]) -> anchoring.Quote:
    exact, prefix, suffix = (selector.get(k, "") for k in ("exact", "prefix", "suffix"))
    if not isinstance(exact, str) or not exact:
        raise _invalid("selector", "A TextQuoteSelector needs `exact`: the words quoted.")
    if len(exact) > MAX_QUOTE:
        raise _invalid(
            "selector", f"The quote is {len(exact):,} characters; at most {MAX_QUOTE:,}."
        )
    if not isinstance(prefix, str) or not isinstance(suffix, str):
        raise _invalid("selector", "A TextQuoteSelector's `prefix` and `suffix` are text.")
    return anchoring.Quote(exact, prefix[-256:], suffix[:256])


def _position(selector: dict[str, Any]) -> tuple[int, int]:
    start, end = selector.get("start"), selector.get("end")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        raise _invalid("selector", "A TextPositionSelector has integer `start` and `end`.")
    assert isinstance(start, int) and isinstance(end, int)
    if start < 0 or end < 0:
        raise _invalid("selector", f"TextPositionSelector {start}–{end}: an offset is negative.")
    if start > end:
        raise _invalid("selector", f"TextPositionSelector {start}–{end}: it starts after it ends.")
    return start, end


def _creator(value: Any) -> Any:
    """An imported annotation's creator, kept small: a name, or an agent's few fields."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return value[:300]
    if isinstance(value, dict):
        kept = {k: value[k] for k in ("id", "type", "name", "nickname") if k in value}
        return {k: v[:300] for k, v in kept.items() if isinstance(v, str)} or None
    return None


def _short(value: Any) -> str | None:
    return value[:64] if isinstance(value, str) and value else None


def resolve_span(parsed: W3CAnnotation, text: str) -> tuple[int, int]:
    """Where a posted annotation's words are in the text; 422 saying what does not fit."""
    length = len(text)
    if parsed.position is not None:
        start, end = parsed.position
        if end > length:
            raise Unprocessable(
                f"The TextPositionSelector {start}–{end} ends past the end of the text "
                f"({length:,} characters)."
            )
        if start == end:
            raise Unprocessable(f"The TextPositionSelector {start}–{end} selects nothing.")
        if parsed.quote is not None and text[start:end] != parsed.quote.exact:
            found = text[start:end]
            raise Unprocessable(
                f"The TextPositionSelector {start}–{end} and the TextQuoteSelector disagree: "
                f"the text there is “{_clip(found)}”, the quote is “{_clip(parsed.quote.exact)}”."
            )
        return start, end
    assert parsed.quote is not None
    anchor = anchoring.anchor_quote(text, parsed.quote)
    if anchor.status == "orphaned" or text[anchor.start : anchor.end] != parsed.quote.exact:
        raise Unprocessable(
            f"The TextQuoteSelector's exact “{_clip(parsed.quote.exact)}” is not in the text."
        )
    return anchor.start, anchor.end


def _clip(text: str, size: int = 80) -> str:
    return text if len(text) <= size else f"{text[: size - 1]}…"


# --- Imports ---------------------------------------------------------------------------------

MAX_IMPORT = 5000


def import_items(payload: Any) -> list[Any]:
    """The annotations of an AnnotationCollection, an AnnotationPage or a list of them."""
    if isinstance(payload, list):
        items: Any = payload
    elif isinstance(payload, dict):
        types = _types(payload.get("type"))
        if "AnnotationCollection" in types or "first" in payload:
            items = _collection_items(payload)
        elif "AnnotationPage" in types or "items" in payload:
            items = payload.get("items")
        elif "Annotation" in types or "target" in payload:
            items = [payload]
        else:
            raise ValidationError(
                "Send an AnnotationCollection, an AnnotationPage or a JSON list of annotations."
            )
    else:
        raise ValidationError(
            "Send an AnnotationCollection, an AnnotationPage or a JSON list of annotations."
        )
    if not isinstance(items, list):
        raise _invalid("items", "`items` is a list of annotations.")
    if len(items) > MAX_IMPORT:
        raise _invalid(
            "items", f"{len(items):,} annotations: import at most {MAX_IMPORT:,} at a time."
        )
    return items


def _collection_items(collection: dict[str, Any]) -> list[Any]:
    if isinstance(collection.get("items"), list):
        return list(collection["items"])
    page = collection.get("first")
    if not isinstance(page, dict):
        raise _invalid(
            "first",
            "The collection's pages are not embedded: send it with `first` as an "
            "AnnotationPage holding `items` (a link cannot be followed).",
        )
    items: list[Any] = []
    seen = 0
    while isinstance(page, dict) and seen < 1000:
        found = page.get("items")
        if not isinstance(found, list):
            raise _invalid("items", "Each embedded AnnotationPage has `items`, a list.")
        items += found
        if len(items) > MAX_IMPORT:
            break
        page, seen = page.get("next"), seen + 1
    return items


def error_text(error: ValidationError) -> str:
    """One line for a ValidationError (field: message; …)."""
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
            for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def quotes_and_hints(
    parsed: Sequence[W3CAnnotation],
) -> tuple[list[anchoring.Quote], list[int | None]]:
    """The quotes to anchor, with each one's position as a hint (anchor_many's arguments)."""
    quotes, hints = [], []
    for item in parsed:
        assert item.quote is not None
        quotes.append(item.quote)
        hints.append(item.position[0] if item.position else None)
    return quotes, hints
