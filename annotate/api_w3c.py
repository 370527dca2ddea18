"""The W3C Web Annotation Protocol API: a container per seminar, its annotations and replies.

Thin over the services: this module reads HTTP (media types, Prefer, If-Match, paging) and
answers with the protocol's headers; annotate/w3c.py converts to and from JSON-LD.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.urls import Resolver404, resolve
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate import access, selectors, w3c
from annotate.api import ImportJobSerializer
from annotate.models import Annotation, Document, Reply
from annotate.services import annotations as service
from annotate.services import imports
from core import policy, ratelimit
from core.api.errors import JSONParser, error
from core.errors import Conflict, ServiceError, Unprocessable
from core.http import signed_in_user
from core.models import Membership, Seminar, User
from core.policy import Action

PREFER_MINIMAL = "http://www.w3.org/ns/ldp#PreferMinimalContainer"
PREFER_IRIS = "http://www.w3.org/ns/oa#PreferContainedIRIs"
PREFER_DESCRIPTIONS = "http://www.w3.org/ns/oa#PreferContainedDescriptions"
CONTAINER_LINKS = (
    '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type", '
    '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"'
)
RESOURCE_LINK = '<http://www.w3.org/ns/ldp#Resource>; rel="type"'
ACCEPT_POST = f"{w3c.MEDIA_TYPE}, application/ld+json, application/json"
PAGE_SIZE, MAX_PAGE_SIZE = 100, 500
READ_METHODS = "GET, HEAD, OPTIONS"
_TAG = re.compile(r'^(?:W/)?"(r?)(\d+)-(\d+)"$')
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description='The ETag you last read (W/"{id}-{version}"), or *',
)


class PreconditionFailed(ServiceError):
    status = 412
    code = "precondition_failed"


class PreconditionRequired(ServiceError):
    status = 428
    code = "precondition_required"


class JsonLdParser(JSONParser):
    media_type = "application/ld+json"


class JsonLdRenderer(JSONRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


class W3CView(APIView):
    """JSON-LD in and out (plain JSON too), errors in the API's {"detail", "code"} shape."""

    renderer_classes = [JsonLdRenderer, JSONRenderer]
    parser_classes = [JsonLdParser, JSONParser]
    linked_data = True  # answers are W3C annotations (else plain JSON)
    allow = READ_METHODS
    links = ""
    links_on_errors = False
    viewer: access.Viewer  # who asks: set by each handler once it has the membership

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and response.status_code != 204:
            linked = self.linked_data and response.status_code < 400
            ld = isinstance(response.accepted_renderer, JsonLdRenderer)
            response.content_type = w3c.MEDIA_TYPE if linked and ld else "application/json"
        if response.status_code != 405:  # DRF's Allow lists what this route answers at all
            response["Allow"] = self.allow
        if self.links and (response.status_code < 400 or self.links_on_errors):
            response["Link"] = self.links
        return response

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        data = response.data
        if isinstance(data, dict) and "code" not in data:
            data["code"] = str(getattr(data.get("detail"), "code", None) or "error")
        return response


def _member_allows(membership: Membership, action: Action) -> bool:
    return policy.role_allows(membership.role, action)


def _resolve(request: Request, iri: str) -> Any:
    """The route an IRI of this server names, or None (another host, or no route)."""
    parts = urlsplit(iri)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", request.get_host()):
        return None
    try:
        return resolve(parts.path)
    except Resolver404:
        return None


def _if_match(request: Request, item: Annotation | Reply, *, required: bool) -> int:
    """The version an If-Match header names; 428 without one (if required), 412 if stale.

    The ETag is weak (it names the editable state, which replies and re-anchoring leave
    alone), so it is compared weakly, as the service compares versions.
    """
    header = request.headers.get("If-Match", "").strip()
    if not header:
        if required:
            raise PreconditionRequired(
                "Send If-Match with the ETag you last read (GET this annotation first), so an "
                "edit never overwrites one you have not seen."
            )
        return item.version
    reply = isinstance(item, Reply)
    for tag in (t.strip() for t in header.split(",")):
        if tag == "*":
            return item.version
        match = _TAG.match(tag)
        ours = match and bool(match[1]) == reply and int(match[2]) == item.pk
        if ours and match and int(match[3]) == item.version:
            return item.version
    raise PreconditionFailed(
        f"This has changed since you read it: its ETag is now {w3c.etag(item)}. GET it again, "
        "then send your change with that ETag in If-Match."
    )


def _with_etag(response: Response, item: Annotation | Reply) -> Response:
    response["ETag"] = w3c.etag(item)
    return response


# --- The container ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """What a GET of the container asked for: filters, paging, and the representation."""

    document: int | None = None
    creator: str = ""
    motivation: str = ""
    tag: str = ""
    q: str = ""
    replies: bool = False
    limit: int = PAGE_SIZE
    iris: bool = False
    page: int | None = None

    @classmethod
    def from_request(cls, request: Request) -> Listing:
        query = request.query_params
        problems: dict[str, str] = {}

        def number(name: str, least: int) -> int | None:
            raw = query.get(name)
            if raw is None:
                return None
            if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < least:
                problems[name] = f"`{name}` is a whole number, at least {least}."
                return None
            return int(raw)

        motivation = query.get("motivation", "")
        if motivation and motivation not in w3c.KIND_OF_MOTIVATION:
            problems["motivation"] = (
                "Filter by commenting, questioning, assessing or highlighting "
                "(replies come with ?replies=1)."
            )
        listing = cls(
            document=number("document", 1),
            creator=query.get("creator", "")[:150],
            motivation=motivation,
            tag=query.get("tag", "").strip().lstrip("#").lower()[:50],
            q=query.get("q", "").strip()[:200],
            replies=query.get("replies") in ("1", "true"),
            limit=min(number("limit", 1) or PAGE_SIZE, MAX_PAGE_SIZE),
            iris=query.get("iris") in ("1", "true"),
            page=number("page", 0),
        )
        if problems:
            raise ValidationError(problems)
        return listing

    def params(self, *, iris: bool) -> list[tuple[str, str | int]]:
        found: list[tuple[str, str | int]] = []
        for name in ("document", "creator", "motivation", "tag", "q"):
            if value := getattr(self, name):
                found.append((name, value))
        if self.replies:
            found.append(("replies", 1))
        if self.limit != PAGE_SIZE:
            found.append(("limit", self.limit))
        if iris:
            found.append(("iris", 1))
        return found

    def roots(self, viewer: access.Viewer) -> QuerySet[Annotation]:
        """The annotations listed, in a stable order (creation) so pages do not shift: with
        replies, a deleted one stays as its thread's placeholder (access.annotations_listed)."""
        if self.replies:
            found = access.annotations_listed(viewer)
        else:
            found = access.alive(access.annotations(viewer))
        if self.document is not None:
            found = found.filter(document_id=self.document)
        kind = w3c.KIND_OF_MOTIVATION.get(self.motivation, "")
        filters = selectors.Filters(member=self.creator, kind=kind, tag=self.tag, q=self.q)
        return filters.apply(found, viewer).order_by("pk")


def _listed_replies(roots: QuerySet[Annotation], viewer: access.Viewer) -> QuerySet[Reply]:
    """Replies of these annotations shown in the collection: listed and shown whole
    (access.replies_whole; the protocol has no notice for a hidden one)."""
    return access.replies_whole(viewer).filter(annotation__in=roots.values("pk"))


def _thread(annotation: Annotation, viewer: access.Viewer) -> list[Reply]:
    """An annotation's replies in the collection, in reading order (access.thread, without
    the ones it would show as a notice)."""
    return [post.reply for post in access.thread(viewer, annotation) if post.shown]


def _preferences(header: str) -> set[str] | None:
    """The IRIs a `return=representation` preference includes; None if there is none."""
    for preference in header.split(","):
        name, *params = (part.strip() for part in preference.split(";"))
        if name.replace(" ", "").lower() != "return=representation":
            continue
        included: set[str] = set()
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "include":
                included |= set(value.strip().strip('"').split())
        return included
    return None


class AnnotationContainer(W3CView):
    """/api/v1/seminars/{slug}/annotations/: the seminar's annotations, and where to POST."""

    links = CONTAINER_LINKS
    links_on_errors = True  # the protocol wants them on every response of a container

    def _state(
        self, request: Request, seminar: Seminar, listing: Listing
    ) -> tuple[QuerySet[Annotation], int, int, str]:
        """The annotations listed, their count, the count of items, and a fingerprint."""
        user = signed_in_user(request)
        roots = listing.roots(self.viewer)
        stats = roots.aggregate(n=Count("pk"), newest=Max("modified_at"), top=Max("pk"))
        total = stats["n"]
        if listing.replies:
            total += _listed_replies(roots, self.viewer).count()
        state = f"{user.pk}|{stats['n']}|{stats['newest']}|{stats['top']}|{total}"
        return roots, stats["n"], total, state

    def _allow(self, membership: Membership) -> None:
        can_post = _member_allows(membership, Action.PARTICIPATE)
        self.allow = f"POST, {READ_METHODS}" if can_post else READ_METHODS

    @extend_schema(
        operation_id="v1_seminars_annotations_list",
        responses=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter("document", int, description="A text's id"),
            OpenApiParameter("creator", str, description="A member's username"),
            OpenApiParameter("motivation", str, enum=list(w3c.KIND_OF_MOTIVATION)),
            OpenApiParameter("tag", str),
            OpenApiParameter("q", str, description="Words in the quote or the body"),
            OpenApiParameter("replies", str, enum=["1", "true"], description="List replies too"),
            OpenApiParameter("limit", int, description=f"Items a page (at most {MAX_PAGE_SIZE})"),
            OpenApiParameter("iris", str, enum=["1", "true"], description="Items as IRIs"),
            OpenApiParameter("page", int, description="A page (0 is the first)"),
            OpenApiParameter("Prefer", str, OpenApiParameter.HEADER),
        ],
        summary="The seminar's annotations (W3C AnnotationCollection; ?page=N for a page)",
    )
    def get(self, request: Request, slug: str) -> Response:
        seminar, membership = policy.access_seminar(request.user, slug)
        self._allow(membership)
        self.viewer = access.Viewer(signed_in_user(request), membership)
        listing = Listing.from_request(request)
        roots, count, total, state = self._state(request, seminar, listing)
        last = max(0, math.ceil(count / listing.limit) - 1)
        if listing.page is not None:
            return self._page(request, seminar, listing, roots, total, last, state)
        includes = _preferences(request.headers.get("Prefer", ""))
        chosen = (includes or set()) & {PREFER_IRIS, PREFER_DESCRIPTIONS}
        iris = PREFER_IRIS in chosen if len(chosen) == 1 else listing.iris
        minimal = includes is not None and PREFER_MINIMAL in includes
        base = w3c.container_iri(request, seminar.slug)
        collection = _with_query(base, listing.params(iris=iris))
        first: Any = _with_query(base, [*listing.params(iris=iris), ("page", 0)])
        if not minimal:
            items, start = self._items(request, seminar, listing, roots, 0, iris=iris)
            first = {"id": first, "type": "AnnotationPage", "startIndex": start}
            if last > 0:
                first["next"] = _with_query(base, [*listing.params(iris=iris), ("page", 1)])
            first["items"] = items
        data = {
            "@context": w3c.contexts(request, w3c.LDP_CONTEXT),
            "id": collection,
            "type": ["BasicContainer", "AnnotationCollection"],
            "label": f"Annotations in {seminar.name}",
            "total": total,
            "first": first,
            "last": _with_query(base, [*listing.params(iris=iris), ("page", last)]),
        }
        response = Response(data)
        response["ETag"] = _weak(f"{state}|{collection}|{minimal}")
        response["Content-Location"] = collection
        response["Accept-Post"] = ACCEPT_POST
        response["Vary"] = "Accept, Prefer"
        if includes is not None:
            response["Preference-Applied"] = "return=representation"
        return response

    def _page(
        self,
        request: Request,
        seminar: Seminar,
        listing: Listing,
        roots: QuerySet[Annotation],
        total: int,
        last: int,
        state: str,
    ) -> Response:
        assert listing.page is not None
        number = listing.page
        if number > last:
            raise Http404(f"No such page: the last one is page={last}.")
        base = w3c.container_iri(request, seminar.slug)
        params = listing.params(iris=listing.iris)
        page_iri = _with_query(base, [*params, ("page", number)])
        items, start = self._items(request, seminar, listing, roots, number, iris=listing.iris)
        data: dict[str, Any] = {
            "@context": w3c.contexts(request),
            "id": page_iri,
            "type": "AnnotationPage",
            "partOf": {
                "id": _with_query(base, params),
                "type": "AnnotationCollection",
                "total": total,
                "first": _with_query(base, [*params, ("page", 0)]),
                "last": _with_query(base, [*params, ("page", last)]),
            },
            "startIndex": start,
        }
        if number > 0:
            data["prev"] = _with_query(base, [*params, ("page", number - 1)])
        if number < last:
            data["next"] = _with_query(base, [*params, ("page", number + 1)])
        data["items"] = items
        self.allow, self.links = READ_METHODS, ""
        response = Response(data)
        response["ETag"] = _weak(f"{state}|{page_iri}")
        response["Vary"] = "Accept, Prefer"
        return response

    def _items(
        self,
        request: Request,
        seminar: Seminar,
        listing: Listing,
        roots: QuerySet[Annotation],
        number: int,
        *,
        iris: bool,
    ) -> tuple[list[Any], int]:
        """A page's items (descriptions or IRIs) and the index of its first one."""
        offset = number * listing.limit
        window = slice(offset, offset + listing.limit)
        slug = seminar.slug
        if iris and not listing.replies:
            pks = roots.values_list("pk", flat=True)[window]
            return [w3c.annotation_iri(request, slug, pk) for pk in pks], offset
        found = roots.select_related("author", "revision", "seminar")
        if listing.replies:
            replies = Reply.objects.select_related("author").order_by("created_at", "pk")
            found = found.prefetch_related(Prefetch("replies", queryset=replies))
        annotations = list(found[window])
        start = offset
        if listing.replies and annotations:
            earlier = roots.filter(pk__lt=annotations[0].pk)
            start += _listed_replies(earlier, self.viewer).count()
        items: list[Any] = []
        for annotation in annotations:
            if iris:
                items.append(w3c.annotation_iri(request, slug, annotation.pk))
            else:
                items.append(w3c.to_w3c(annotation, request, embedded=True))
            for reply in _thread(annotation, self.viewer) if listing.replies else []:
                if iris:
                    items.append(w3c.reply_iri(request, slug, annotation.pk, reply.pk))
                else:
                    items.append(w3c.reply_to_w3c(reply, request, slug=slug, embedded=True))
        return items, start

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={
            201: OpenApiTypes.OBJECT,
            405: error("POST to a page (?page=N): only the container takes new annotations"),
            409: error("Positions on an older revision of the text"),
            422: error(
                "A quote not in the text, offsets that disagree with it, or a target "
                "that is not a text of this seminar"
            ),
            429: error("Too many annotations or replies in a minute"),
        },
        summary="Create an annotation, or a reply (motivation replying), from a W3C Annotation",
    )
    def post(self, request: Request, slug: str) -> Response:
        if "page" in request.query_params:
            raise MethodNotAllowed("POST", "A page is read-only: POST to the container itself.")
        seminar, membership = policy.access_seminar(request.user, slug, Action.PARTICIPATE)
        self._allow(membership)
        user = signed_in_user(request)
        self.viewer = access.Viewer(user, membership)
        parsed = w3c.parse_w3c(request.data)
        if parsed.is_reply:
            return self._reply(request, seminar, user, parsed)
        document = self._document(request, seminar, parsed)
        revision = document.current
        if revision is None:
            raise Unprocessable("This text has no revision to annotate yet.")
        if parsed.revision is not None and parsed.position is not None:
            found = document.revisions.filter(number=parsed.revision).first()
            if found is None:
                raise Unprocessable(f"This text has no revision {parsed.revision}.")
            revision = found
        start, end = w3c.resolve_span(parsed, revision.text)
        origin = parsed.id or parsed.via
        annotation = service.annotation_create(
            document=document,
            user=user,
            start=start,
            end=end,
            kind=parsed.kind or Annotation.Kind.COMMENT,
            body=parsed.body,
            tags=parsed.tags,
            visibility=parsed.visibility or Annotation.Visibility.SEMINAR,
            revision=revision,
            canonical=parsed.canonical,
            provenance={"id": origin} if origin else None,
        )
        data = w3c.to_w3c(annotation, request)
        return self._created(data, annotation)

    def _reply(
        self, request: Request, seminar: Seminar, user: User, parsed: w3c.W3CAnnotation
    ) -> Response:
        annotation, parent = self._replied_to(request, seminar, user, parsed.source or "")
        reply = service.reply_create(
            annotation=annotation, user=user, body=parsed.body, parent=parent
        )
        return self._created(w3c.reply_to_w3c(reply, request, slug=seminar.slug), reply)

    def _created(self, data: dict[str, Any], item: Annotation | Reply) -> Response:
        """201 with the new annotation, its ETag and Location (its id)."""
        response = _with_etag(Response(data, status=status.HTTP_201_CREATED), item)
        response["Location"] = data["id"]
        response["Vary"] = "Accept"
        return response

    def _document(self, request: Request, seminar: Seminar, parsed: w3c.W3CAnnotation) -> Document:
        source = parsed.source or ""
        match = _resolve(request, source)
        document = None
        if match is not None and match.url_name == "api-document":
            document = (
                Document.objects.select_related("seminar", "current")
                .filter(pk=match.kwargs["pk"], seminar=seminar)
                .first()
            )
        if document is None:
            raise Unprocessable(
                f"The target's source {source[:200]!r} is not a text of this seminar: name one "
                "by its API URL, such as "
                f"{request.build_absolute_uri('/api/v1/documents/')}<id>/."
            )
        return document

    def _replied_to(
        self, request: Request, seminar: Seminar, user: User, iri: str
    ) -> tuple[Annotation, Reply | None]:
        match = _resolve(request, iri)
        names = ("api-annotation", "api-annotation-reply")
        if match is not None and match.url_name in names and match.kwargs["slug"] == seminar.slug:
            # Only what the member sees whole (access.annotations, replies_actionable):
            # anything else is as if it did not exist.
            annotation = (
                access.annotations(self.viewer)
                .filter(pk=match.kwargs["pk"])
                .select_related("author", "seminar")
                .first()
            )
            parent = None
            if annotation is not None and match.url_name == "api-annotation-reply":
                parent = (
                    access.replies_actionable(self.viewer)
                    .filter(annotation=annotation, pk=match.kwargs["reply"])
                    .first()
                )
                if parent is None:
                    annotation = None
            if annotation is not None:
                return annotation, parent
        raise Unprocessable(
            f"A reply's target is the IRI of an annotation (or reply) of this container; "
            f"{iri[:200]!r} is not one you can see."
        )

    @extend_schema(responses={200: None}, summary="The container's headers (Allow, Accept-Post)")
    def options(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        assert isinstance(request, Request)
        seminar, membership = policy.access_seminar(request.user, kwargs["slug"])
        self._allow(membership)
        self.viewer = access.Viewer(signed_in_user(request), membership)
        listing = Listing.from_request(request)
        _, _, _, state = self._state(request, seminar, listing)
        response = Response(status=status.HTTP_200_OK)
        response["ETag"] = _weak(f"{state}|options")
        response["Accept-Post"] = ACCEPT_POST
        response["Vary"] = "Accept, Prefer"
        return response


def _with_query(base: str, params: list[tuple[str, str | int]]) -> str:
    return f"{base}?{urlencode(params)}" if params else base


def _weak(state: str) -> str:
    return f'W/"{hashlib.sha256(state.encode()).hexdigest()[:24]}"'


# --- Annotations and replies -----------------------------------------------------------------


def _annotation(viewer: access.Viewer, pk: int) -> Annotation:
    """An annotation the viewer sees (access.annotations_listed: a deleted one only while it
    holds up a thread); else 404."""
    annotation = (
        access.annotations_listed(viewer)
        .filter(pk=pk)
        .select_related("author", "revision", "seminar")
        .first()
    )
    if annotation is None:
        raise Http404("No such annotation.")
    return annotation


class AnnotationDetail(W3CView):
    """/api/v1/seminars/{slug}/annotations/{id}/: one annotation."""

    links = RESOURCE_LINK

    def _load(
        self, request: Request, slug: str, pk: int, action: Action = Action.VIEW
    ) -> Annotation:
        _, membership = policy.access_seminar(request.user, slug, action)
        user = signed_in_user(request)
        self.viewer = access.Viewer(user, membership)
        annotation = _annotation(self.viewer, pk)
        mine = annotation.author_id == user.pk and not annotation.is_deleted
        if mine and _member_allows(membership, Action.PARTICIPATE):
            self.allow = f"PUT, DELETE, {READ_METHODS}"
        return annotation

    def _answer(self, request: Request, annotation: Annotation) -> Response:
        return _with_etag(Response(w3c.to_w3c(annotation, request)), annotation)

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="One annotation (W3C Annotation)")
    def get(self, request: Request, slug: str, pk: int) -> Response:
        return self._answer(request, self._load(request, slug, pk))

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={
            200: OpenApiTypes.OBJECT,
            409: error("A changed id, canonical or via IRI, or a deleted annotation"),
            412: error("If-Match is not its current ETag"),
            422: error("A changed target"),
            428: error("No If-Match"),
        },
        parameters=[IF_MATCH],
        summary="Replace your annotation's body, tags, kind or visibility (If-Match required)",
    )
    def put(self, request: Request, slug: str, pk: int) -> Response:
        annotation = self._load(request, slug, pk, Action.PARTICIPATE)
        parsed = w3c.parse_w3c(request.data)
        if parsed.is_reply:
            raise ValidationError({"motivation": "An annotation cannot become a reply."})
        self._unchanged(request, annotation, parsed)
        version = _if_match(request, annotation, required=True)
        try:
            service.annotation_update(
                annotation=annotation,
                user=signed_in_user(request),
                version=version,
                body=parsed.body,
                tags=parsed.tags,
                visibility=parsed.visibility,
                kind=parsed.kind,
            )
        except service.StaleEdit as stale:
            raise PreconditionFailed(stale.message) from stale
        return self._answer(request, _annotation(self.viewer, pk))

    def _unchanged(
        self, request: Request, annotation: Annotation, parsed: w3c.W3CAnnotation
    ) -> None:
        """What an edit may not change: its IRIs, and what it annotates."""
        own = w3c.annotation_iri(request, annotation.seminar.slug, annotation.pk)
        if parsed.id and parsed.id != own:
            raise Conflict(f"An annotation keeps its id ({own}).")
        if parsed.canonical and parsed.canonical != annotation.canonical:
            raise Conflict("An annotation's canonical IRI is set when it is created, and kept.")
        via = annotation.provenance.get("id") if isinstance(annotation.provenance, dict) else None
        if parsed.via and parsed.via != via:
            raise Conflict("An annotation's via IRI is set when it is created, and kept.")
        match = _resolve(request, parsed.source or "")
        same_text = (
            match is not None
            and match.url_name == "api-document"
            and match.kwargs["pk"] == annotation.document_id
        )
        span = (annotation.start, annotation.end)
        if (
            not same_text
            or (parsed.position is not None and parsed.position != span)
            or (parsed.quote is not None and parsed.quote.exact != annotation.exact)
        ):
            raise Unprocessable(
                "An edit cannot change what an annotation targets: send its target as you read "
                "it (or make a new annotation on the other words)."
            )

    @extend_schema(
        responses={204: None, 412: error("If-Match is not its current ETag")},
        parameters=[IF_MATCH],
        summary="Delete your annotation (If-Match honoured)",
    )
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        annotation = self._load(request, slug, pk, Action.PARTICIPATE)
        _if_match(request, annotation, required=False)
        service.annotation_delete(annotation=annotation, user=signed_in_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: None}, summary="The annotation's headers")
    def options(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        assert isinstance(request, Request)
        annotation = self._load(request, kwargs["slug"], kwargs["pk"])
        return _with_etag(Response(status=status.HTTP_200_OK), annotation)


class ReplyDetail(W3CView):
    """/api/v1/seminars/{slug}/annotations/{id}/replies/{reply}/: one reply."""

    links = RESOURCE_LINK

    def _load(
        self, request: Request, slug: str, pk: int, reply: int, action: Action = Action.VIEW
    ) -> Reply:
        _, membership = policy.access_seminar(request.user, slug, action)
        user = signed_in_user(request)
        viewer = access.Viewer(user, membership)
        annotation = _annotation(viewer, pk)
        # Listed and shown whole (access.replies_whole): a hidden reply is for its author and
        # the moderators, as a hidden annotation is.
        found = (
            access.replies_whole(viewer)
            .filter(annotation=annotation, pk=reply)
            .select_related("author")
            .first()
        )
        if found is None:
            raise Http404("No such reply.")
        found.annotation = annotation
        mine = found.author_id == user.pk and found.deleted_at is None
        if mine and _member_allows(membership, Action.PARTICIPATE):
            self.allow = f"PUT, DELETE, {READ_METHODS}"
        return found

    def _answer(self, request: Request, reply: Reply, slug: str) -> Response:
        data = w3c.reply_to_w3c(reply, request, slug=slug)
        return _with_etag(Response(data), reply)

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="One reply (W3C Annotation, replying)")
    def get(self, request: Request, slug: str, pk: int, reply: int) -> Response:
        return self._answer(request, self._load(request, slug, pk, reply), slug)

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={
            200: OpenApiTypes.OBJECT,
            409: error("A deleted reply"),
            412: error("If-Match is not its current ETag"),
            422: error("A changed target"),
            428: error("No If-Match"),
        },
        parameters=[IF_MATCH],
        summary="Replace your reply's body (If-Match required)",
    )
    def put(self, request: Request, slug: str, pk: int, reply: int) -> Response:
        found = self._load(request, slug, pk, reply, Action.PARTICIPATE)
        parsed = w3c.parse_w3c(request.data)
        if not parsed.is_reply:
            raise ValidationError({"motivation": "A reply's motivation is replying."})
        current = w3c.reply_to_w3c(found, request, slug=slug)["target"]
        if parsed.source != current:
            raise Unprocessable(f"A reply keeps its target ({current}).")
        version = _if_match(request, found, required=True)
        try:
            updated = service.reply_update(
                reply=found, user=signed_in_user(request), body=parsed.body, version=version
            )
        except service.StaleEdit as stale:
            raise PreconditionFailed(stale.message) from stale
        return self._answer(request, self._load(request, slug, pk, updated.pk), slug)

    @extend_schema(
        responses={204: None, 412: error("If-Match is not its current ETag")},
        parameters=[IF_MATCH],
        summary="Delete your reply (If-Match honoured)",
    )
    def delete(self, request: Request, slug: str, pk: int, reply: int) -> Response:
        found = self._load(request, slug, pk, reply, Action.PARTICIPATE)
        _if_match(request, found, required=False)
        service.reply_delete(reply=found, user=signed_in_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: None}, summary="The reply's headers")
    def options(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        assert isinstance(request, Request)
        found = self._load(request, kwargs["slug"], kwargs["pk"], kwargs["reply"])
        return _with_etag(Response(status=status.HTTP_200_OK), found)


# --- Import ----------------------------------------------------------------------------------


class AnnotationImport(W3CView):
    """/api/v1/documents/{id}/import-annotations/: W3C annotations from elsewhere, re-targeted."""

    linked_data = False
    allow = "POST, OPTIONS"

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={
            201: OpenApiTypes.OBJECT,
            200: OpenApiTypes.OBJECT,
            202: ImportJobSerializer,
            409: error("The text was corrected meanwhile"),
            422: error("The text has no revision to annotate"),
            429: error("Too many imports in an hour"),
        },
        summary="Import W3C annotations (a collection, a page or a list) onto this text; a "
        "large import answers 202 with a job to poll (its result is this answer)",
    )
    def post(self, request: Request, pk: int) -> Response:
        document, _ = access.access_document(request.user, pk, Action.PARTICIPATE)
        selectors.with_text(document)
        # Before parsing and anchoring: a flood of imports costs little.
        ratelimit.refuse_if_over(signed_in_user(request).pk, "import")
        revision = document.current
        if revision is None:
            raise Unprocessable("This text has no revision to annotate yet.")
        raw = w3c.import_items(request.data)
        user = signed_in_user(request)
        body_size = int(request.META.get("CONTENT_LENGTH") or 0)
        if imports.annotations_too_many(raw, body_size):
            job = imports.annotations_import_request(document=document, user=user, items=raw)
            body = ImportJobSerializer(job).data
            return Response(
                body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]}
            )
        data = imports.annotations_import(
            document=document,
            user=user,
            revision=revision,
            items=raw,
            iri=lambda pk: w3c.annotation_iri(request, document.seminar.slug, pk),
        )
        created = data["created"]
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


# --- The context of Glossa's own terms -------------------------------------------------------


class GlossaContext(APIView):
    """/api/v1/ns/glossa.jsonld: public, so JSON-LD processors can fetch it without signing in."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    renderer_classes = [JsonLdRenderer, JSONRenderer]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and response.status_code >= 400:
            response.content_type = "application/json"  # errors are plain JSON, as elsewhere
        return response

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="The JSON-LD context of glossa: terms")
    def get(self, request: Request) -> Response:
        response = Response(w3c.glossa_context(request))
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=86400"
        return response
