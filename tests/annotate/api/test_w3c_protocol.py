"""The W3C Web Annotation Protocol's MUSTs, as web-platform-tests checks them, and a few SHOULDs.

Ported from web-platform-tests `annotation-protocol/server/server-musts-manual.html` (and
`server-shoulds-manual.html`): each test names the assertion it ports. The W3C test posts
`"target": "http://www.example.com/index.html"` and then PUTs another target; a Glossa
annotation targets words of a seminar's text, so these tests post such an annotation, and an
edit changes its body, not what it annotates.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from annotate.models import Annotation, Document
from annotate.services import annotations as service
from core.models import Role, Seminar, User
from core.services.accounts import api_token_create
from tests.conftest import login
from tests.factories import make_seminar, member

pytestmark = pytest.mark.django_db

LD = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
ANNO = "http://www.w3.org/ns/anno.jsonld"
BASIC_CONTAINER_LINK = '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"'
CONSTRAINED_BY_LINK = (
    '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"'
)
RESOURCE_LINK = '<http://www.w3.org/ns/ldp#Resource>; rel="type"'
MINIMAL = "http://www.w3.org/ns/ldp#PreferMinimalContainer"
IRIS = "http://www.w3.org/ns/oa#PreferContainedIRIs"
DESCRIPTIONS = "http://www.w3.org/ns/oa#PreferContainedDescriptions"


def api(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def container(seminar: Seminar) -> str:
    return f"/api/v1/seminars/{seminar.slug}/annotations/"


def absolute(path: str) -> str:
    return f"http://testserver{path}"


def send(
    client: APIClient | Client,
    method: str,
    url: str,
    payload: Any,
    content_type: str = LD,
    **headers: str,
) -> Any:
    data = payload if isinstance(payload, str) else json.dumps(payload)
    call = getattr(client, method.lower())
    return call(url, data=data, content_type=content_type, headers=headers)


def words(document: Document, phrase: str) -> tuple[int, int]:
    text = document.current.text  # type: ignore[union-attr]
    start = text.index(phrase)
    return start, start + len(phrase)


def annotate(
    document: Document, user: User, phrase: str = "status quo", **kwargs: Any
) -> Annotation:
    """An annotation made through the service, on the first occurrence of `phrase`."""
    start, end = words(document, phrase)
    kwargs.setdefault("body", f"A note on {phrase}.")
    return service.annotation_create(document=document, user=user, start=start, end=end, **kwargs)


def w3c(document: Document, exact: str = "tacit agreement", body: str = "I like this.") -> Any:
    """A W3C annotation a client would post: its words by TextQuoteSelector alone."""
    return {
        "@context": ANNO,
        "type": "Annotation",
        "motivation": "commenting",
        "body": {"type": "TextualBody", "value": body, "format": "text/markdown"},
        "target": {
            "source": absolute(f"/api/v1/documents/{document.pk}/"),
            "selector": {"type": "TextQuoteSelector", "exact": exact},
        },
    }


def iri(seminar: Seminar, annotation: Annotation) -> str:
    return absolute(f"{container(seminar)}{annotation.pk}/")


def assert_error(response: Any, status: int, words: str = "") -> dict[str, Any]:
    """An error in the API's shape: JSON with a non-empty `detail` and a `code`."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), body
    assert isinstance(body.get("code"), str) and body["code"], body
    assert words in body["detail"], body
    return body


# --- 4. Annotation Containers ----------------------------------------------------------------


def test_container_must_end_in_a_slash_and_annotation_ids_start_with_it(
    seminar: Seminar, owner: User, document: Document
) -> None:
    """'Container MUST end in a "/" character'; 'Created Annotation MUST have an id that
    starts with the Container IRI'."""
    response = send(api(owner), "POST", container(seminar), w3c(document))
    container_id = api(owner).get(container(seminar)).json()["id"]
    assert container_id.endswith("/")
    assert container_id == absolute(container(seminar))
    assert response.json()["id"].startswith(container_id)
    assert re.fullmatch(re.escape(container_id) + r"\d+/", response.json()["id"])


def test_container_get_has_every_header_the_protocol_requires(
    seminar: Seminar, owner: User, document: Document
) -> None:
    annotate(document, owner)
    response = api(owner).get(container(seminar))
    assert response.status_code == 200
    # "Containers MUST support GET / HEAD / OPTIONS (check Allow on GET)"
    allowed = {m.strip() for m in response["Allow"].split(",")}
    assert {"GET", "HEAD", "OPTIONS", "POST"} <= allowed
    # "Containers MUST have a Content-Type header with the application/ld+json media type",
    # "... respond with the JSON-LD representation (by default)"; the profile is a SHOULD.
    assert response["Content-Type"] == LD
    body = response.json()
    # "... description of the container with BasicContainer" / "with AnnotationCollection"
    assert "BasicContainer" in body["type"] and "AnnotationCollection" in body["type"]
    # "Containers MUST return a Link header (rfc5988) on all responses", advertising its
    # type, and the constraints of the protocol.
    assert BASIC_CONTAINER_LINK in response["Link"]
    assert CONSTRAINED_BY_LINK in response["Link"]
    # "Containers MUST have an ETag header"; "... a Vary header with Accept in the value"
    assert response["ETag"]
    assert "Accept" in response["Vary"]
    assert "Prefer" in response["Vary"]  # a SHOULD (4.1.3)
    # "Containers MUST include a Content-Location header with the IRI as its value";
    # "Container's Content-Location and `id` MUST match"
    assert response["Content-Location"] == body["id"]
    # SHOULD: Accept-Post on GET, HEAD and OPTIONS responses.
    assert "application/ld+json" in response["Accept-Post"]
    assert body["@context"][0] == ANNO


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS"])
def test_containers_must_support_head_and_options(
    seminar: Seminar, owner: User, document: Document, method: str
) -> None:
    annotate(document, owner)
    response = api(owner).generic(method, container(seminar))
    assert response.status_code == 200
    assert {"GET", "HEAD", "OPTIONS"} <= {m.strip() for m in response["Allow"].split(",")}
    assert BASIC_CONTAINER_LINK in response["Link"] and CONSTRAINED_BY_LINK in response["Link"]
    assert response["ETag"]
    assert "application/ld+json" in response["Accept-Post"]
    if method == "HEAD":
        assert response.content == b""
        assert response["Content-Location"] == absolute(container(seminar))


def test_links_and_no_post_for_observers_on_the_container(
    seminar: Seminar, roles: dict[str, User]
) -> None:
    response = api(roles["observer"]).get(container(seminar))
    assert response.status_code == 200
    assert "POST" not in response["Allow"]
    # Even an error from a container carries its Link header.
    refused = send(api(roles["observer"]), "POST", container(seminar), {"type": "Annotation"})
    assert_error(refused, 403, "Observers")
    assert CONSTRAINED_BY_LINK in refused["Link"]


def test_paging_next_prev_part_of_first_last_total(
    seminar: Seminar, owner: User, document: Document
) -> None:
    made = [annotate(document, owner, "status quo", body=f"Note {n}.") for n in range(5)]
    client = api(owner)
    collection = client.get(container(seminar), {"limit": 2}).json()
    assert collection["total"] == 5
    first, last = collection["first"], collection["last"]
    # The first page is embedded (descriptions by default); its IRI is in its `id`.
    assert first["type"] == "AnnotationPage"
    assert first["id"] == absolute(f"{container(seminar)}?limit=2&page=0")
    assert last == absolute(f"{container(seminar)}?limit=2&page=2")
    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    url = first["id"]
    while url:
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == LD
        assert response["ETag"]
        page = response.json()
        pages.append(page)
        # "Annotation Pages must have a link to the container they are part of (partOf)"
        assert page["partOf"]["id"] == collection["id"]
        assert page["partOf"]["total"] == 5
        assert page["startIndex"] == len(seen)
        seen += [item["id"] for item in page["items"]]
        url = page.get("next")
    # "... MUST have a link to the previous page (prev), if not the first page" and
    # "... to the next page (next), if not the last page"
    assert "prev" not in pages[0] and "next" in pages[0]
    assert "prev" in pages[1] and "next" in pages[1]
    assert "prev" in pages[-1] and "next" not in pages[-1]
    assert pages[-1]["id"] == last
    assert client.get(pages[-1]["prev"]).json()["id"] == pages[1]["id"]
    assert seen == [absolute(f"{container(seminar)}{a.pk}/") for a in made]


def test_page_size_defaults_to_100_and_is_capped_at_500(
    seminar: Seminar, owner: User, document: Document
) -> None:
    for n in range(101):
        annotate(document, owner, body=f"Note {n}.")
    client = api(owner)
    collection = client.get(container(seminar)).json()
    assert collection["total"] == 101
    assert len(collection["first"]["items"]) == 100
    assert collection["first"]["next"] == absolute(f"{container(seminar)}?page=1")
    assert collection["last"] == absolute(f"{container(seminar)}?page=1")
    assert len(client.get(collection["last"]).json()["items"]) == 1
    capped = client.get(container(seminar), {"limit": 10_000}).json()
    assert capped["first"]["id"].endswith("limit=500&page=0")
    assert len(capped["first"]["items"]) == 101


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page": "-1"}, "page"),
        ({"page": "one"}, "page"),
        ({"limit": "0"}, "limit"),
        ({"document": "x"}, "document"),
        ({"motivation": "bookmarking"}, "motivation"),
    ],
)
def test_bad_paging_or_filter_parameters_are_400(
    seminar: Seminar, owner: User, query: dict[str, str], field: str
) -> None:
    body = assert_error(api(owner).get(container(seminar), query), 400)
    assert field in body


def test_a_page_past_the_last_is_404_and_an_empty_container_has_one_empty_page(
    seminar: Seminar, owner: User
) -> None:
    collection = api(owner).get(container(seminar)).json()
    assert collection["total"] == 0
    assert collection["first"]["items"] == []
    assert collection["last"] == absolute(f"{container(seminar)}?page=0")
    assert api(owner).get(collection["last"]).json()["items"] == []
    assert_error(api(owner).get(container(seminar), {"page": 1}), 404, "page")


# --- 4.1 Client preferences ------------------------------------------------------------------


def prefer(*iris: str) -> str:
    return f'return=representation;include="{" ".join(iris)}"'


def test_prefer_minimal_container_gives_first_and_last_links_only(
    seminar: Seminar, owner: User, document: Document
) -> None:
    annotate(document, owner)
    response = api(owner).get(container(seminar), headers={"Prefer": prefer(MINIMAL)})
    body = response.json()
    # SHOULDs 4.1.2: links to the first and last pages; no `items`, no ldp:contains.
    assert body["first"] == absolute(f"{container(seminar)}?page=0")
    assert body["last"] == absolute(f"{container(seminar)}?page=0")
    assert "items" not in body and "ldp:contains" not in body and "contains" not in body
    assert "items" not in json.dumps(body)
    assert body["total"] == 1
    assert response["Preference-Applied"] == "return=representation"
    assert response["Content-Location"] == body["id"]


def test_prefer_contained_iris_embeds_iris_and_the_pages_follow(
    seminar: Seminar, owner: User, document: Document
) -> None:
    made = [annotate(document, owner, body=f"Note {n}.") for n in range(3)]
    client = api(owner)
    response = client.get(container(seminar), {"limit": 2}, headers={"Prefer": prefer(IRIS)})
    body = response.json()
    iris = [iri(seminar, a) for a in made]
    # The IRI of the container differs for IRIs, and Content-Location names it.
    assert body["id"] == absolute(f"{container(seminar)}?limit=2&iris=1")
    assert response["Content-Location"] == body["id"]
    assert body["first"]["items"] == iris[:2]
    assert "iris=1" in body["first"]["next"] and "iris=1" in body["last"]
    # The linked pages follow the preference (without a Prefer of their own).
    assert client.get(body["first"]["next"]).json()["items"] == iris[2:]
    # Both preferences together cannot be honoured: the default (descriptions) applies.
    both = client.get(container(seminar), headers={"Prefer": prefer(IRIS, DESCRIPTIONS)}).json()
    assert isinstance(both["first"]["items"][0], dict)


def test_prefer_minimal_and_iris_together(
    seminar: Seminar, owner: User, document: Document
) -> None:
    annotate(document, owner)
    body = api(owner).get(container(seminar), headers={"Prefer": prefer(MINIMAL, IRIS)}).json()
    assert body["id"] == absolute(f"{container(seminar)}?iris=1")
    assert body["first"] == absolute(f"{container(seminar)}?iris=1&page=0")


@pytest.mark.parametrize("header", [None, prefer(DESCRIPTIONS)])
def test_contained_descriptions_are_the_default(
    seminar: Seminar, owner: User, document: Document, header: str | None
) -> None:
    made = annotate(document, owner)
    headers = {"Prefer": header} if header else {}
    response = api(owner).get(container(seminar), headers=headers)
    body = response.json()
    assert body["id"] == absolute(container(seminar))
    [item] = body["first"]["items"]
    assert item["id"] == iri(seminar, made) and item["type"] == "Annotation"
    assert item["target"]["selector"][0]["exact"] == "status quo"
    assert ("Preference-Applied" in response) == bool(header)


# --- 3. Annotation Retrieval -----------------------------------------------------------------


def test_annotation_get_has_every_header_the_protocol_requires(
    seminar: Seminar, owner: User, roles: dict[str, User], document: Document
) -> None:
    made = annotate(document, owner)
    response = api(owner).get(f"{container(seminar)}{made.pk}/")
    assert response.status_code == 200
    assert {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"} <= {
        m.strip() for m in response["Allow"].split(",")
    }
    assert response["Content-Type"] == LD
    # "Annotations MUST have a Link header entry where the target IRI is
    # http://www.w3.org/ns/ldp#Resource and the rel parameter value is type" (exact string)
    assert response["Link"] == RESOURCE_LINK
    assert response["ETag"]
    assert "Accept" in response["Vary"]
    assert response.json()["id"] == iri(seminar, made)
    # Someone else may read it, but not change it: the Allow header says so.
    other = api(roles["member"]).get(f"{container(seminar)}{made.pk}/")
    assert other.status_code == 200
    assert {m.strip() for m in other["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS"])
def test_annotations_must_support_head_and_options(
    seminar: Seminar, owner: User, document: Document, method: str
) -> None:
    made = annotate(document, owner)
    response = api(owner).generic(method, f"{container(seminar)}{made.pk}/")
    assert response.status_code == 200
    assert response["Link"] == RESOURCE_LINK
    assert response["ETag"] == api(owner).get(f"{container(seminar)}{made.pk}/")["ETag"]
    assert "GET" in response["Allow"] and "HEAD" in response["Allow"]


# --- 5. Creation, update, deletion -----------------------------------------------------------


def test_create_answers_201_with_location_etag_and_keeps_canonical(
    seminar: Seminar, owner: User, document: Document
) -> None:
    payload = {
        **w3c(document),
        "canonical": "urn:uuid:dbfb1861-0ecf-41ad-be94-a584e5c4f1df",
        "id": "http://example.org/annos/1",
    }
    response = send(api(owner), "POST", container(seminar), payload)
    # "Annotation Server MUST respond with a 201 Created code if the creation is successful"
    assert response.status_code == 201, response.content
    body = response.json()
    # "Created Annotation MUST have an id property", the server's, not the one sent ...
    assert body["id"].startswith(absolute(container(seminar)))
    # ... which is kept as `via` (SHOULD)
    assert body["via"] == "http://example.org/annos/1"
    # "Created Annotation MUST preserve any canonical IRI"
    assert body["canonical"] == payload["canonical"]
    assert Annotation.objects.get().canonical == payload["canonical"]
    # "Location header SHOULD match the id of the new Annotation"; an ETag as on a GET
    assert response["Location"] == body["id"]
    assert response["ETag"] == api(owner).get(body["id"])["ETag"]
    assert response["Content-Type"] == LD
    assert api(owner).get(body["id"]).json() == body


def test_update_must_be_done_with_put_and_if_match(
    seminar: Seminar, owner: User, document: Document
) -> None:
    """'Annotation update must be done with the PUT method' (here, of the body)."""
    client = api(owner)
    created = send(client, "POST", container(seminar), w3c(document, body="First thoughts."))
    url, etag = created.json()["id"], created["ETag"]
    edited = created.json()
    edited["body"] = [{"type": "TextualBody", "value": "Second thoughts.", "purpose": "commenting"}]
    response = send(client, "PUT", url, edited, **{"If-Match": etag})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["body"][0]["value"] == "Second thoughts."
    assert response["ETag"] != etag and response["ETag"] == client.get(url)["ETag"]
    assert response["Link"] == RESOURCE_LINK
    assert body["id"] == url and body["created"] == created.json()["created"]
    assert body["modified"] >= body["created"]
    # The ETag read before the edit is stale now: 412, and nothing changes.
    edited["body"][0]["value"] = "Third thoughts."
    stale = send(client, "PUT", url, edited, **{"If-Match": etag})
    assert_error(stale, 412, "ETag")
    assert client.get(url).json()["body"][0]["value"] == "Second thoughts."
    # Without If-Match the server requires one: 428.
    assert_error(send(client, "PUT", url, edited), 428, "If-Match")
    # `*` matches whatever the current version is.
    assert send(client, "PUT", url, edited, **{"If-Match": "*"}).status_code == 200
    assert client.get(url).json()["body"][0]["value"] == "Third thoughts."


@pytest.mark.parametrize("tag", ['"nonsense"', 'W/"1-999"', "W/x", "1-1"])
def test_an_if_match_that_is_not_the_etag_is_412(
    seminar: Seminar, owner: User, document: Document, tag: str
) -> None:
    made = annotate(document, owner)
    payload = api(owner).get(f"{container(seminar)}{made.pk}/").json()
    payload["body"][0]["value"] = "Changed."
    response = send(api(owner), "PUT", payload["id"], payload, **{"If-Match": tag})
    assert_error(response, 412)
    assert api(owner).get(payload["id"]).json()["body"][0]["value"] == "A note on status quo."


def test_delete_must_return_204_and_removes_it_from_the_container(
    seminar: Seminar, owner: User, document: Document
) -> None:
    client = api(owner)
    created = send(client, "POST", container(seminar), w3c(document))
    url = created.json()["id"]
    # If-Match is honoured: a wrong ETag refuses the deletion.
    assert_error(client.delete(url, headers={"If-Match": 'W/"0-0"'}), 412)
    assert client.get(url).status_code == 200
    response = client.delete(url, headers={"If-Match": created["ETag"]})
    # "Annotation deletion with DELETE method MUST return a 204 status"
    assert response.status_code == 204
    assert response.content == b""
    assert_error(client.get(url), 404)
    # "The IRI of the deleted Annotation MUST be removed from the Annotation Container"
    assert client.get(container(seminar)).json()["total"] == 0
    # Without If-Match a deletion goes ahead.
    other = send(client, "POST", container(seminar), w3c(document)).json()["id"]
    assert client.delete(other).status_code == 204


def test_post_to_a_page_is_405(seminar: Seminar, owner: User, document: Document) -> None:
    response = send(api(owner), "POST", f"{container(seminar)}?page=0", w3c(document))
    assert_error(response, 405)
    assert not Annotation.objects.exists()


def test_etags_change_when_the_container_changes(
    seminar: Seminar, owner: User, document: Document
) -> None:
    client = api(owner)
    before = client.get(container(seminar))["ETag"]
    assert client.get(container(seminar))["ETag"] == before
    made = annotate(document, owner)
    after = client.get(container(seminar))["ETag"]
    assert after != before
    service.annotation_update(annotation=made, user=owner, version=1, body="Changed.")
    assert client.get(container(seminar))["ETag"] != after
    # Another representation of the same container has another ETag.
    minimal = client.get(container(seminar), headers={"Prefer": prefer(MINIMAL)})["ETag"]
    assert minimal != client.get(container(seminar))["ETag"]


# --- Media types -----------------------------------------------------------------------------


def test_plain_json_is_accepted_and_can_be_asked_for(
    seminar: Seminar, owner: User, document: Document
) -> None:
    client = api(owner)
    created = send(client, "POST", container(seminar), w3c(document), "application/json")
    assert created.status_code == 201
    asked = client.get(created.json()["id"], headers={"Accept": "application/json"})
    assert asked["Content-Type"] == "application/json"
    assert asked.json() == created.json()
    with_profile = client.get(created.json()["id"], headers={"Accept": LD})
    assert with_profile["Content-Type"] == LD
    other_profile = client.get(
        created.json()["id"],
        headers={"Accept": 'application/ld+json; profile="http://www.w3.org/ns/activitystreams"'},
    )
    assert other_profile["Content-Type"] == LD
    assert client.get(container(seminar), headers={"Accept": "*/*"})["Content-Type"] == LD


def test_formats_we_do_not_speak_are_406_and_415(
    seminar: Seminar, owner: User, document: Document
) -> None:
    client = api(owner)
    assert_error(client.get(container(seminar), headers={"Accept": "text/turtle"}), 406)
    response = send(client, "POST", container(seminar), "<> a oa:Annotation .", "text/turtle")
    assert_error(response, 415)


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ('{"type": "Annotation", ', 400),
        ("[]", 400),
        ('"an annotation"', 400),
        ("42", 400),
        ("null", 400),
    ],
)
def test_malformed_or_non_object_bodies_are_400(
    seminar: Seminar, owner: User, payload: str, status: int
) -> None:
    response = send(api(owner), "POST", container(seminar), payload)
    assert_error(response, status)


# --- Authentication and access ---------------------------------------------------------------


def test_session_auth_needs_csrf_and_token_auth_does_not(
    seminar: Seminar, owner: User, document: Document
) -> None:
    session = login(Client(enforce_csrf_checks=True), owner)
    refused = send(session, "POST", container(seminar), w3c(document))
    assert_error(refused, 403, "CSRF")
    assert session.get(container(seminar)).status_code == 200  # reading needs no token
    token = api_token_create(user=owner).key
    client = APIClient(enforce_csrf_checks=True)
    created = send(
        client, "POST", container(seminar), w3c(document), Authorization=f"Token {token}"
    )
    assert created.status_code == 201, created.content


def test_anonymous_requests_are_refused(seminar: Seminar) -> None:
    response = APIClient().get(container(seminar))
    assert response.status_code in (401, 403)


def test_non_members_get_404_for_everything(
    seminar: Seminar, owner: User, roles: dict[str, User], document: Document
) -> None:
    made = annotate(document, owner)
    reply = service.reply_create(annotation=made, user=owner, body="A reply.")
    outsider = api(roles["outsider"])
    one = f"{container(seminar)}{made.pk}/"
    reply_url = f"{one}replies/{reply.pk}/"
    payload = api(owner).get(one).json()
    for method in ("GET", "HEAD", "OPTIONS"):
        for url in (container(seminar), f"{container(seminar)}?page=0", one, reply_url):
            assert outsider.generic(method, url).status_code == 404, (method, url)
    assert_error(send(outsider, "POST", container(seminar), w3c(document)), 404)
    assert_error(send(outsider, "PUT", one, payload, **{"If-Match": "*"}), 404)
    assert_error(outsider.delete(one), 404)
    imported = send(outsider, "POST", f"/api/v1/documents/{document.pk}/import-annotations/", [])
    assert_error(imported, 404)
    assert Annotation.objects.get(pk=made.pk).deleted_at is None
    # A seminar that does not exist answers the same.
    assert_error(api(owner).get("/api/v1/seminars/no-such-seminar/annotations/"), 404)


def test_observers_read_but_cannot_write(
    seminar: Seminar, owner: User, roles: dict[str, User], document: Document
) -> None:
    made = annotate(document, owner)
    observer = api(roles["observer"])
    one = f"{container(seminar)}{made.pk}/"
    assert observer.get(one).status_code == 200
    assert observer.get(container(seminar)).json()["total"] == 1
    payload = observer.get(one).json()
    assert_error(send(observer, "POST", container(seminar), w3c(document)), 403, "Observers")
    assert_error(send(observer, "PUT", one, payload, **{"If-Match": "*"}), 403)
    assert_error(observer.delete(one), 403)
    reply = {
        "type": "Annotation",
        "motivation": "replying",
        "target": payload["id"],
        "body": {"type": "TextualBody", "value": "Me too."},
    }
    assert_error(send(observer, "POST", container(seminar), reply), 403)


def test_members_cannot_change_or_delete_others_annotations(
    seminar: Seminar, owner: User, roles: dict[str, User], document: Document
) -> None:
    made = annotate(document, owner)
    one = f"{container(seminar)}{made.pk}/"
    other = api(roles["member"])
    read = other.get(one)
    payload = read.json()
    payload["body"][0]["value"] = "Mine now."
    assert_error(send(other, "PUT", one, payload, **{"If-Match": read["ETag"]}), 403, "own")
    assert_error(other.delete(one, headers={"If-Match": read["ETag"]}), 403, "own")
    assert api(owner).get(one).json()["body"][0]["value"] == "A note on status quo."


def test_an_annotation_is_only_in_its_own_seminars_container(
    seminar: Seminar, owner: User, document: Document
) -> None:
    made = annotate(document, owner)
    elsewhere = make_seminar(owner, name="Another seminar")
    member(elsewhere, Role.MEMBER, username="edith")
    assert_error(api(owner).get(f"{container(elsewhere)}{made.pk}/"), 404)
    assert api(owner).get(container(elsewhere)).json()["total"] == 0


def test_a_page_takes_a_bounded_number_of_queries(
    seminar: Seminar, owner: User, document: Document
) -> None:
    """A page's query count does not grow with its annotations (nor with their replies)."""
    client = api(owner)

    def queries_for(count: int) -> int:
        for n in range(count):
            made = annotate(document, owner, body=f"Note {n}.", tags=["one", "two"])
            service.reply_create(annotation=made, user=owner, body="A reply.")
        with CaptureQueriesContext(connection) as captured:
            response = client.get(container(seminar), {"replies": 1})
        assert response.status_code == 200
        return len(captured.captured_queries)

    few = queries_for(2)
    assert queries_for(30) == few
