"""What the W3C API says and accepts, against the Web Annotation Data Model and Glossa's context.

Shapes of annotations, replies and imports; anchoring of posted selectors (422s that say what
does not fit); bad input (a clear 4xx, never a 500); privacy of private annotations.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from rest_framework.test import APIClient

from annotate.models import Annotation, Document, Reply
from annotate.services import annotations as service
from annotate.services.documents import document_import
from core.models import Seminar, User
from tests.factories import make_seminar

pytestmark = pytest.mark.django_db

LD = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
ANNO = "http://www.w3.org/ns/anno.jsonld"
CONTEXT = "http://testserver/api/v1/ns/glossa.jsonld"
GLOSSA_TERMS = {
    "glossa:kind",
    "glossa:visibility",
    "glossa:anchorStatus",
    "glossa:revision",
    "glossa:claimStatus",
    "glossa:deleted",
    "glossa:provenance",
}


def api(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def container(seminar: Seminar) -> str:
    return f"/api/v1/seminars/{seminar.slug}/annotations/"


def source(document: Document) -> str:
    return f"http://testserver/api/v1/documents/{document.pk}/"


def post(client: APIClient, url: str, payload: Any) -> Any:
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(url, data=data, content_type=LD)


def put(client: APIClient, url: str, payload: Any, etag: str) -> Any:
    return client.put(url, data=json.dumps(payload), content_type=LD, headers={"If-Match": etag})


def text_of(document: Document) -> str:
    assert document.current is not None
    return document.current.text


def annotate(
    document: Document, user: User, phrase: str = "status quo", **kwargs: Any
) -> Annotation:
    start = text_of(document).index(phrase)
    kwargs.setdefault("body", f"A note on {phrase}.")
    return service.annotation_create(
        document=document, user=user, start=start, end=start + len(phrase), **kwargs
    )


def quote_target(document: Document, exact: str, **selector: Any) -> dict[str, Any]:
    return {
        "source": source(document),
        "selector": [{"type": "TextQuoteSelector", "exact": exact, **selector}],
    }


def comment(document: Document, exact: str = "tacit agreement", **extra: Any) -> dict[str, Any]:
    return {
        "@context": ANNO,
        "type": "Annotation",
        "motivation": "commenting",
        "body": [{"type": "TextualBody", "value": "Worth a look.", "format": "text/markdown"}],
        "target": quote_target(document, exact),
        **extra,
    }


def assert_error(response: Any, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:600])
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), body
    assert isinstance(body.get("code"), str) and body["code"], body
    for word in words:
        assert word in body["detail"], body
    return body


# --- The shape of an annotation --------------------------------------------------------------


def test_a_comment_in_w3c_form(seminar: Seminar, owner: User, document: Document) -> None:
    made = annotate(document, owner, "Hungarian Revolution of 1956", tags=["Cold war", "#1956"])
    body = api(owner).get(f"{container(seminar)}{made.pk}/").json()
    assert body["@context"] == [ANNO, CONTEXT]
    assert body["id"] == f"http://testserver{container(seminar)}{made.pk}/"
    assert body["type"] == "Annotation"
    assert body["motivation"] == "commenting"
    assert body["body"] == [
        {
            "type": "TextualBody",
            "value": "A note on Hungarian Revolution of 1956.",
            "format": "text/markdown",
            "purpose": "commenting",
        },
        {"type": "TextualBody", "value": "cold war", "purpose": "tagging"},
        {"type": "TextualBody", "value": "1956", "purpose": "tagging"},
    ]
    text = text_of(document)
    start = text.index("Hungarian Revolution of 1956")
    end = start + len("Hungarian Revolution of 1956")
    assert body["target"] == {
        "type": "SpecificResource",
        "source": source(document),
        "selector": [
            {
                "type": "TextQuoteSelector",
                "exact": "Hungarian Revolution of 1956",
                "prefix": text[start - 32 : start],
                "suffix": text[end : end + 32],
            },
            {"type": "TextPositionSelector", "start": start, "end": end},
        ],
    }
    assert body["creator"] == {
        "id": "acct:olivia@testserver",
        "type": "Person",
        "name": "Olivia Owner",
        "nickname": "olivia",
    }
    created = datetime.fromisoformat(body["created"])
    assert created.tzinfo is not None and body["created"].endswith("Z")
    assert abs((created - made.created_at).total_seconds()) < 0.001
    assert datetime.fromisoformat(body["modified"]) >= created
    assert body["glossa:kind"] == "comment"
    assert body["glossa:visibility"] == "seminar"
    assert body["glossa:anchorStatus"] == "anchored"
    assert body["glossa:revision"] == 1
    assert "glossa:claimStatus" not in body and "glossa:deleted" not in body
    assert "canonical" not in body and "via" not in body
    # The document named by the target is the text's API resource.
    assert api(owner).get(body["target"]["source"]).json()["id"] == document.pk


def test_the_glossa_context_defines_every_term_used(
    seminar: Seminar, owner: User, document: Document
) -> None:
    response = APIClient().get("/api/v1/ns/glossa.jsonld")  # public: processors fetch it
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    context = response.json()["@context"]
    assert context["glossa"] == f"{CONTEXT}#"
    assert set(context) >= GLOSSA_TERMS
    assert context["glossa:revision"]["@type"] == "xsd:integer"
    assert context["glossa:provenance"]["@type"] == "@json"
    made = annotate(document, owner)
    service.reply_create(annotation=made, user=owner, body="Reply.")
    service.annotation_delete(annotation=made, user=owner)
    body = api(owner).get(f"{container(seminar)}{made.pk}/").json()
    used = {key for key in body if key.startswith("glossa:")}
    assert used and used <= set(context)


@pytest.mark.parametrize(
    ("kind", "motivation"),
    [("comment", "commenting"), ("question", "questioning"), ("claim", "assessing")],
)
def test_each_kind_has_its_motivation_and_body_purpose(
    seminar: Seminar, owner: User, document: Document, kind: str, motivation: str
) -> None:
    made = annotate(document, owner, kind=kind)
    body = api(owner).get(f"{container(seminar)}{made.pk}/").json()
    assert body["motivation"] == motivation and body["glossa:kind"] == kind
    assert body["body"][0]["purpose"] == motivation
    # And the other way: posting that motivation makes that kind.
    posted = post(api(owner), container(seminar), comment(document, motivation=motivation))
    assert posted.status_code == 201, posted.content
    assert posted.json()["glossa:kind"] == kind
    assert Annotation.objects.get(pk=posted.json()["id"].split("/")[-2]).kind == kind


def test_a_highlight_has_no_body_but_may_have_tags(
    seminar: Seminar, owner: User, document: Document
) -> None:
    plain = annotate(document, owner, kind="highlight", body="")
    tagged = annotate(document, owner, "tacit agreement", kind="highlight", body="", tags=["key"])
    client = api(owner)
    body = client.get(f"{container(seminar)}{plain.pk}/").json()
    assert body["motivation"] == "highlighting" and "body" not in body
    body = client.get(f"{container(seminar)}{tagged.pk}/").json()
    assert body["body"] == [{"type": "TextualBody", "value": "key", "purpose": "tagging"}]
    posted = post(
        client,
        container(seminar),
        {"motivation": "highlighting", "target": quote_target(document, "bipolar world order")},
    )
    assert posted.status_code == 201 and posted.json()["glossa:kind"] == "highlight"
    assert "body" not in posted.json()


def test_an_orphan_has_its_quote_but_no_position(
    seminar: Seminar, owner: User, document: Document
) -> None:
    made = annotate(document, owner)
    Annotation.objects.filter(pk=made.pk).update(start=None, end=None, anchor_status="orphaned")
    body = api(owner).get(f"{container(seminar)}{made.pk}/").json()
    assert body["glossa:anchorStatus"] == "orphaned"
    assert [s["type"] for s in body["target"]["selector"]] == ["TextQuoteSelector"]


# --- Posting: anchoring, and what does not fit -----------------------------------------------


def test_a_quote_alone_is_anchored_by_the_server(
    seminar: Seminar, owner: User, document: Document
) -> None:
    response = post(api(owner), container(seminar), comment(document, "tacit agreement"))
    assert response.status_code == 201, response.content
    text = text_of(document)
    start = text.index("tacit agreement")
    selectors = response.json()["target"]["selector"]
    assert selectors[1] == {"type": "TextPositionSelector", "start": start, "end": start + 15}
    assert selectors[0]["prefix"] == text[start - 32 : start]
    made = Annotation.objects.get()
    assert (made.start, made.end, made.anchor_status) == (start, start + 15, "anchored")


def test_prefix_and_suffix_choose_between_copies_of_a_quote(
    seminar: Seminar, owner: User, document: Document
) -> None:
    text = text_of(document)
    copies = [i for i in range(len(text)) if text.startswith("Soviet Union", i)]
    assert len(copies) > 3
    chosen = copies[3]
    payload = comment(document)
    payload["target"] = quote_target(
        document,
        "Soviet Union",
        prefix=text[chosen - 32 : chosen],
        suffix=text[chosen + 12 : chosen + 44],
    )
    response = post(api(owner), container(seminar), payload)
    assert response.status_code == 201, response.content
    assert response.json()["target"]["selector"][1]["start"] == chosen


def test_a_position_alone_is_enough_too(seminar: Seminar, owner: User, document: Document) -> None:
    payload = comment(document)
    payload["target"] = {
        "source": source(document),
        "selector": {"type": "TextPositionSelector", "start": 4, "end": 21},
    }
    response = post(api(owner), container(seminar), payload)
    assert response.status_code == 201, response.content
    assert response.json()["target"]["selector"][0]["exact"] == text_of(document)[4:21]


def test_a_quote_not_in_the_text_is_422(seminar: Seminar, owner: User, document: Document) -> None:
    response = post(api(owner), container(seminar), comment(document, "the treaty of Versailles"))
    assert_error(response, 422, "TextQuoteSelector", "the treaty of Versailles", "not in the text")
    assert not Annotation.objects.exists()


def test_offsets_that_disagree_with_the_quote_are_422(
    seminar: Seminar, owner: User, document: Document
) -> None:
    text = text_of(document)
    start = text.index("tacit agreement")
    payload = comment(document)
    payload["target"]["selector"].append(
        {"type": "TextPositionSelector", "start": start + 1, "end": start + 16}
    )
    response = post(api(owner), container(seminar), payload)
    body = assert_error(response, 422, "disagree", f"{start + 1}–{start + 16}")
    assert text[start + 1 : start + 16] in body["detail"]
    payload["target"]["selector"][1] = {
        "type": "TextPositionSelector",
        "start": start,
        "end": start + 15,
    }
    assert post(api(owner), container(seminar), payload).status_code == 201


def test_offsets_past_the_end_are_422(seminar: Seminar, owner: User, document: Document) -> None:
    length = len(text_of(document))
    payload = comment(document)
    payload["target"]["selector"] = [
        {"type": "TextPositionSelector", "start": length - 2, "end": length + 5}
    ]
    assert_error(post(api(owner), container(seminar), payload), 422, "past the end")


def test_the_target_must_be_a_text_of_this_seminar(
    seminar: Seminar, owner: User, document: Document, sample_text: str
) -> None:
    elsewhere = make_seminar(owner, name="Elsewhere")
    foreign = document_import(
        seminar=elsewhere, user=owner, title="Other", source_text=sample_text, format="ocr"
    )
    for target in (
        source(foreign),
        f"https://annotations.example.org/api/v1/documents/{document.pk}/",
        "http://www.example.com/index.html",
        f"http://testserver/api/v1/seminars/{seminar.slug}/",
    ):
        payload = comment(document)
        payload["target"]["source"] = target
        assert_error(post(api(owner), container(seminar), payload), 422, "not a text")
    # A path without the host names the same text.
    payload = comment(document)
    payload["target"]["source"] = f"/api/v1/documents/{document.pk}/"
    assert post(api(owner), container(seminar), payload).status_code == 201


def test_positions_on_an_older_revision_are_a_conflict(
    seminar: Seminar, owner: User, document: Document
) -> None:
    from annotate.services.documents import Edit, revision_correct

    revision_correct(document=document, user=owner, edits=[Edit(start=0, end=3, replacement="A")])
    document.refresh_from_db()
    payload = comment(document)
    payload["glossa:revision"] = 1
    payload["target"]["selector"].append({"type": "TextPositionSelector", "start": 4, "end": 8})
    payload["target"]["selector"][0]["exact"] = "fate"
    assert_error(post(api(owner), container(seminar), payload), 409, "revision 1")
    payload["glossa:revision"] = 7
    assert_error(post(api(owner), container(seminar), payload), 422, "revision 7")


def _deep(payload: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    node: Any = payload
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return payload


@pytest.mark.parametrize(
    ("path", "value", "field", "words"),
    [
        ("motivation", "bookmarking", "motivation", "Unknown motivation"),
        ("motivation", ["commenting", "tagging"], "motivation", "one motivation"),
        ("type", "Page", "type", "not an Annotation"),
        ("body", "http://example.org/body", "body", "TextualBody"),
        ("body.0.value", "x" * 20001, "body", "20,000"),
        ("body.0.type", "Image", "body", "TextualBody"),
        ("body.0.format", "image/png", "body", "format"),
        ("target", "http://example.org/page", "target", "source"),
        ("target.selector", [], "selector", "TextQuoteSelector"),
        ("target.selector.0.exact", "", "selector", "exact"),
        ("target.selector.0.exact", "y" * 5001, "selector", "5,000"),
        (
            "target.selector.0",
            {"type": "TextPositionSelector", "start": -1, "end": 4},
            "selector",
            "negative",
        ),
        (
            "target.selector.0",
            {"type": "TextPositionSelector", "start": 9, "end": 4},
            "selector",
            "starts after it ends",
        ),
        (
            "target.selector.0",
            {"type": "TextPositionSelector", "start": "1", "end": 4},
            "selector",
            "integer",
        ),
        ("glossa:visibility", "public", "glossa:visibility", "private or seminar"),
        ("glossa:kind", "question", "glossa:kind", "disagree"),
        ("glossa:revision", "one", "glossa:revision", "revision number"),
        ("canonical", "not an iri", "canonical", "IRI"),
    ],
)
def test_bad_annotations_are_a_clear_400(
    seminar: Seminar,
    owner: User,
    document: Document,
    path: str,
    value: Any,
    field: str,
    words: str,
) -> None:
    payload = _deep(comment(document), path, value)
    body = assert_error(post(api(owner), container(seminar), payload), 400, words)
    assert field in body
    assert not Annotation.objects.exists()


def test_more_than_20_tags_and_a_highlight_with_a_body_are_400(
    seminar: Seminar, owner: User, document: Document
) -> None:
    payload = comment(document)
    payload["body"] += [
        {"type": "TextualBody", "value": f"tag{n}", "purpose": "tagging"} for n in range(21)
    ]
    assert_error(post(api(owner), container(seminar), payload), 400, "20 tags")
    payload = comment(document, motivation="highlighting")
    assert_error(post(api(owner), container(seminar), payload), 400, "highlight has no text")
    payload = comment(document)
    payload["body"][0]["value"] = "   "
    assert_error(post(api(owner), container(seminar), payload), 400, "Write your comment")


def test_a_w3c_annotation_without_motivation_or_format_is_a_comment(
    seminar: Seminar, owner: User, document: Document
) -> None:
    """The W3C test's own annotation: a TextualBody with a value, nothing else."""
    payload = {
        "@context": ANNO,
        "type": "Annotation",
        "body": {"type": "TextualBody", "value": "I like this page!"},
        "target": quote_target(document, "tacit agreement"),
    }
    response = post(api(owner), container(seminar), payload)
    assert response.status_code == 201, response.content
    assert response.json()["motivation"] == "commenting"
    assert response.json()["body"][0]["value"] == "I like this page!"


def test_put_changes_body_tags_kind_and_visibility_but_not_the_target(
    seminar: Seminar, owner: User, document: Document
) -> None:
    client = api(owner)
    created = post(client, container(seminar), comment(document))
    url, etag, body = created.json()["id"], created["ETag"], created.json()
    body["motivation"] = "questioning"
    body["glossa:kind"] = "question"
    body["glossa:visibility"] = "private"
    body["body"] = [
        {"type": "TextualBody", "value": "Why *tacit*?", "purpose": "questioning"},
        {"type": "TextualBody", "value": "Yalta", "purpose": "tagging"},
    ]
    response = put(client, url, body, etag)
    assert response.status_code == 200, response.content
    made = Annotation.objects.get()
    assert (made.kind, made.body, made.tags, made.visibility) == (
        "question",
        "Why *tacit*?",
        ["yalta"],
        "private",
    )
    etag = response["ETag"]
    moved = json.loads(json.dumps(response.json()))
    moved["target"]["selector"][1]["start"] += 1
    assert_error(put(client, url, moved, etag), 422, "target")
    moved = response.json()
    moved["target"]["source"] = "http://example.org/other"
    assert_error(put(client, url, moved, etag), 422, "target")
    renamed = {**response.json(), "canonical": "urn:uuid:other"}
    assert_error(put(client, url, renamed, etag), 409, "canonical")
    assert Annotation.objects.get().version == 2


# --- Replies ---------------------------------------------------------------------------------


def reply_to(target: str, text: str = "I disagree.") -> dict[str, Any]:
    return {
        "@context": ANNO,
        "type": "Annotation",
        "motivation": "replying",
        "body": {"type": "TextualBody", "value": text, "format": "text/markdown"},
        "target": target,
    }


def test_replies_are_annotations_replying_to_their_parent(
    seminar: Seminar, owner: User, roles: dict[str, User], document: Document
) -> None:
    made = annotate(document, owner)
    annotation_iri = f"http://testserver{container(seminar)}{made.pk}/"
    client = api(roles["member"])
    response = post(client, container(seminar), reply_to(annotation_iri))
    assert response.status_code == 201, response.content
    reply = Reply.objects.get()
    body = response.json()
    assert body["id"] == f"{annotation_iri}replies/{reply.pk}/"
    assert response["Location"] == body["id"] and response["ETag"]
    assert body["motivation"] == "replying" and body["target"] == annotation_iri
    assert body["body"] == [
        {
            "type": "TextualBody",
            "value": "I disagree.",
            "format": "text/markdown",
            "purpose": "replying",
        }
    ]
    assert body["creator"]["nickname"] == "mark" and body["@context"] == [ANNO, CONTEXT]
    got = client.get(body["id"])
    assert got.status_code == 200 and got.json() == body
    assert got["Link"] == '<http://www.w3.org/ns/ldp#Resource>; rel="type"'
    # A reply to the reply targets the reply.
    nested = post(api(owner), container(seminar), reply_to(body["id"], "Why?"))
    assert nested.status_code == 201, nested.content
    assert nested.json()["target"] == body["id"]
    assert Reply.objects.get(body="Why?").parent == reply


def test_replies_are_items_of_the_collection_only_when_asked(
    seminar: Seminar, owner: User, roles: dict[str, User], document: Document
) -> None:
    first = annotate(document, owner)
    second = annotate(document, owner, "tacit agreement")
    one = service.reply_create(annotation=first, user=roles["member"], body="One.")
    two = service.reply_create(annotation=first, user=owner, body="Two.", parent=one)
    client = api(owner)
    plain = client.get(container(seminar)).json()
    assert plain["total"] == 2
    assert [i["motivation"] for i in plain["first"]["items"]] == ["commenting", "commenting"]
    threaded = client.get(container(seminar), {"replies": 1}).json()
    assert threaded["total"] == 4
    base = f"http://testserver{container(seminar)}"
    assert [i["id"] for i in threaded["first"]["items"]] == [
        f"{base}{first.pk}/",
        f"{base}{first.pk}/replies/{one.pk}/",
        f"{base}{first.pk}/replies/{two.pk}/",
        f"{base}{second.pk}/",
    ]
    # Pages count every item: the second page starts after the first annotation's thread.
    page = client.get(container(seminar), {"replies": 1, "limit": 1, "page": 1}).json()
    assert page["startIndex"] == 3 and [i["id"] for i in page["items"]] == [f"{base}{second.pk}/"]
    iris = client.get(container(seminar), {"replies": 1, "iris": 1}).json()
    assert iris["first"]["items"] == [i["id"] for i in threaded["first"]["items"]]


def test_a_deleted_annotation_with_replies_stays_as_a_placeholder(
    seminar: Seminar, owner: User, roles: dict[str, User], document: Document
) -> None:
    made = annotate(document, owner, tags=["gone"])
    lonely = annotate(document, owner, "tacit agreement")
    service.reply_create(annotation=made, user=roles["member"], body="Still here.")
    client = api(owner)
    assert client.delete(f"{container(seminar)}{made.pk}/").status_code == 204
    assert client.delete(f"{container(seminar)}{lonely.pk}/").status_code == 204
    body = client.get(f"{container(seminar)}{made.pk}/").json()
    assert body["glossa:deleted"] is True and "body" not in body
    assert body["target"]["selector"][0]["exact"] == "status quo"
    assert_error(client.get(f"{container(seminar)}{lonely.pk}/"), 404)
    # Not in the container; in the threaded view, as the placeholder of its thread.
    assert client.get(container(seminar)).json()["total"] == 0
    threaded = client.get(container(seminar), {"replies": 1}).json()
    assert threaded["total"] == 2
    assert threaded["first"]["items"][0]["glossa:deleted"] is True


def test_reply_targets_that_are_not_visible_annotations_here_are_422(
    seminar: Seminar, owner: User, roles: dict[str, User], document: Document
) -> None:
    private = annotate(document, owner, visibility="private")
    base = f"http://testserver{container(seminar)}"
    client = api(roles["member"])
    for target in (
        f"{base}{private.pk}/",
        f"{base}999999/",
        f"{base}{private.pk}/replies/1/",
        "http://example.org/annotations/1",
        source(document),
    ):
        assert_error(post(client, container(seminar), reply_to(target)), 422, "reply's target")
    assert not Reply.objects.exists()


def test_a_reply_is_edited_with_if_match_and_deleted(
    seminar: Seminar, owner: User, document: Document
) -> None:
    made = annotate(document, owner)
    client = api(owner)
    created = post(
        client, container(seminar), reply_to(f"http://testserver{container(seminar)}{made.pk}/")
    )
    url, etag, body = created.json()["id"], created["ETag"], created.json()
    body["body"][0]["value"] = "On reflection, I agree."
    assert_error(client.put(url, data=json.dumps(body), content_type=LD), 428)
    response = put(client, url, body, etag)
    assert response.status_code == 200, response.content
    assert Reply.objects.get().body == "On reflection, I agree."
    assert_error(put(client, url, body, etag), 412)
    assert client.delete(url, headers={"If-Match": response["ETag"]}).status_code == 204
    assert_error(client.get(url), 404)


# --- Privacy ---------------------------------------------------------------------------------


def test_private_annotations_are_their_authors_alone(
    seminar: Seminar, owner: User, roles: dict[str, User], document: Document
) -> None:
    client = api(owner)
    payload = comment(document, **{"glossa:visibility": "private"})
    payload["body"][0]["value"] = "My secret marginalia about zeppelins."
    secret = post(client, container(seminar), payload).json()
    assert secret["glossa:visibility"] == "private"
    annotate(document, owner, body="Shared thoughts about zeppelins.")
    other = api(roles["member"])
    # Single GET, list, count, search: the author sees it; nobody else learns of it.
    assert_error(other.get(secret["id"]), 404)
    assert_error(other.get(f"{secret['id']}replies/1/"), 404)
    mine = client.get(container(seminar), {"q": "zeppelins"}).json()
    theirs = other.get(container(seminar), {"q": "zeppelins"}).json()
    assert mine["total"] == 2 and theirs["total"] == 1
    assert secret["id"] not in json.dumps(theirs)
    assert other.get(container(seminar)).json()["total"] == 1
    assert other.get(container(seminar), {"iris": 1}).json()["first"]["items"] == [
        i["id"] for i in theirs["first"]["items"]
    ]
    assert client.get(container(seminar)).json()["total"] == 2
    assert (
        api(roles["moderator"]).get(container(seminar), {"creator": "olivia"}).json()["total"] == 1
    )


def test_filters(
    seminar: Seminar, owner: User, roles: dict[str, User], document: Document, sample_text: str
) -> None:
    annotate(document, owner, tags=["yalta"], body="About the agreement.")
    annotate(document, roles["member"], "tacit agreement", kind="question", body="Why tacit?")
    annotate(document, roles["member"], "bipolar", kind="highlight", body="")
    second = document_import(
        seminar=seminar, user=owner, title="Again", source_text=sample_text, format="ocr"
    )
    annotate(second, owner, body="On the second copy.")
    client = api(owner)

    def total(**query: str | int) -> int:
        response = client.get(container(seminar), query)
        assert response.status_code == 200, response.content
        return int(response.json()["total"])

    assert total() == 4
    assert total(document=document.pk) == 3 and total(document=second.pk) == 1
    assert total(creator="mark") == 2 and total(creator="nobody") == 0
    assert total(motivation="questioning") == 1 and total(motivation="highlighting") == 1
    assert total(tag="yalta") == 1 and total(tag="#Yalta") == 1
    assert total(q="tacit") == 1
    filtered = client.get(container(seminar), {"creator": "mark", "limit": "1"}).json()
    assert filtered["id"] == f"http://testserver{container(seminar)}?creator=mark&limit=1"
    assert filtered["last"].endswith("?creator=mark&limit=1&page=1")


# --- Import ----------------------------------------------------------------------------------


def foreign(exact: str, text: str = "From another tool.", **extra: Any) -> dict[str, Any]:
    """An annotation as another tool exports it: its target is some other URL."""
    return {
        "@context": ANNO,
        "id": f"https://hypothes.is/a/{abs(hash(exact)) % 10**8}",
        "type": "Annotation",
        "motivation": "commenting",
        "creator": {"id": "acct:ana@hypothes.is", "type": "Person", "name": "Ana"},
        "created": "2019-03-01T10:00:00Z",
        "modified": "2019-03-02T11:00:00Z",
        "body": [
            {"type": "TextualBody", "value": text, "format": "text/markdown"},
            {"type": "TextualBody", "value": "Imported", "purpose": "tagging"},
        ],
        "target": [
            {
                "source": "https://example.edu/hungary-1956.pdf",
                "selector": [
                    {"type": "RangeSelector", "startSelector": {"type": "XPathSelector"}},
                    {"type": "TextQuoteSelector", "exact": exact},
                ],
            }
        ],
        **extra,
    }


def import_url(document: Document) -> str:
    return f"/api/v1/documents/{document.pk}/import-annotations/"


def test_import_a_list_retargets_anchors_and_keeps_provenance(
    seminar: Seminar, owner: User, roles: dict[str, User], document: Document
) -> None:
    text = text_of(document)
    typo = "tacit agreemnet in the East"  # one slip: found approximately
    items = [
        foreign("bipolar world order"),
        foreign(typo, "Relocated."),
        foreign("words this text never had in it at all", "An orphan."),
        {"type": "Annotation", "target": "nowhere"},
        foreign("status quo", **{"glossa:visibility": "private"}),
    ]
    response = post(api(roles["member"]), import_url(document), items)
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["created"] == 4
    assert (answer["anchored"], answer["relocated"], answer["orphaned"]) == (2, 1, 1)
    entries = answer["items"]
    assert [e["index"] for e in entries] == [0, 1, 2, 3, 4]
    assert [e.get("anchor_status") for e in entries] == [
        "anchored",
        "relocated",
        "orphaned",
        None,
        "anchored",
    ]
    assert "error" in entries[3] and "id" not in entries[3] and entries[3]["error"].strip()
    client = api(roles["member"])
    first = client.get(entries[0]["id"]).json()
    start = text.index("bipolar world order")
    assert first["target"]["source"] == source(document)
    assert first["target"]["selector"][1] == {
        "type": "TextPositionSelector",
        "start": start,
        "end": start + len("bipolar world order"),
    }
    assert first["creator"]["nickname"] == "mark"  # the importing member owns it
    assert first["glossa:provenance"] == {
        "creator": {"id": "acct:ana@hypothes.is", "type": "Person", "name": "Ana"},
        "created": "2019-03-01T10:00:00Z",
        "modified": "2019-03-02T11:00:00Z",
        "id": items[0]["id"],
        "source": "https://example.edu/hungary-1956.pdf",
    }
    assert first["via"] == items[0]["id"]
    assert [b["value"] for b in first["body"]] == ["From another tool.", "imported"]
    relocated = client.get(entries[1]["id"]).json()
    assert relocated["glossa:anchorStatus"] == "relocated"
    assert relocated["target"]["selector"][0]["exact"].startswith("tacit agreement")
    orphan = client.get(entries[2]["id"]).json()
    assert orphan["glossa:anchorStatus"] == "orphaned"
    assert orphan["target"]["selector"] == [
        {
            "type": "TextQuoteSelector",
            "exact": "words this text never had in it at all",
            "prefix": "",
            "suffix": "",
        }
    ]
    assert Annotation.objects.get(pk=entries[4]["id"].split("/")[-2]).visibility == "private"
    assert_error(api(owner).get(entries[4]["id"]), 404)


@pytest.mark.parametrize("shape", ["collection-first", "collection-items", "page", "chain"])
def test_import_a_collection_or_a_page(
    seminar: Seminar, owner: User, document: Document, shape: str
) -> None:
    items = [foreign("bipolar world order"), foreign("tacit agreement")]
    payload: Any
    if shape == "collection-first":
        payload = {
            "type": "AnnotationCollection",
            "total": 2,
            "first": {"type": "AnnotationPage", "items": items},
        }
    elif shape == "collection-items":
        payload = {"type": ["BasicContainer", "AnnotationCollection"], "items": items}
    elif shape == "page":
        payload = {"type": "AnnotationPage", "items": items}
    else:
        payload = {
            "type": "AnnotationCollection",
            "first": {
                "type": "AnnotationPage",
                "items": items[:1],
                "next": {"type": "AnnotationPage", "items": items[1:]},
            },
        }
    response = post(api(owner), import_url(document), payload)
    assert response.status_code == 201, response.content
    assert response.json()["created"] == 2 and response.json()["anchored"] == 2
    assert Annotation.objects.count() == 2


def test_our_own_export_imports_onto_another_copy(
    seminar: Seminar, owner: User, document: Document, sample_text: str
) -> None:
    claim = annotate(document, owner, "Hungarian Revolution of 1956", kind="claim", body="A claim.")
    annotate(document, owner, "tacit agreement", kind="highlight", body="", tags=["key"])
    exported = api(owner).get(container(seminar)).json()
    copy = document_import(
        seminar=seminar, user=owner, title="Copy", source_text=sample_text, format="ocr"
    )
    response = post(api(owner), import_url(copy), exported)
    assert response.status_code == 201, response.content
    assert response.json()["created"] == 2
    imported = Annotation.objects.filter(document=copy).order_by("pk")
    assert [(a.kind, a.body, a.tags) for a in imported] == [
        ("claim", "A claim.", []),
        ("highlight", "", ["key"]),
    ]
    assert imported[0].provenance["id"].endswith(f"/annotations/{claim.pk}/")
    assert imported[0].start == claim.start and imported[0].author == owner


def test_the_position_is_a_hint_between_copies(
    seminar: Seminar, owner: User, document: Document
) -> None:
    text = text_of(document)
    copies = [i for i in range(len(text)) if text.startswith("Soviet Union", i)]
    item = foreign("Soviet Union")
    item["target"][0]["selector"].append(
        {"type": "TextPositionSelector", "start": copies[5], "end": copies[5] + 12}
    )
    entry = post(api(owner), import_url(document), [item]).json()["items"][0]
    assert Annotation.objects.get(pk=entry["id"].split("/")[-2]).start == copies[5]


def test_an_import_of_nothing_usable_creates_nothing(
    seminar: Seminar, owner: User, document: Document
) -> None:
    items = [
        {"type": "Annotation", "target": {"source": "x", "selector": []}},
        foreign("tacit agreement", motivation="replying"),
        foreign("tacit agreement", motivation="bookmarking"),
        "not an annotation",
        foreign("x" * 5001),
    ]
    response = post(api(owner), import_url(document), items)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["created"] == 0 and answer["anchored"] == 0
    assert all(entry["error"] for entry in answer["items"])
    assert "Replies" in answer["items"][1]["error"]
    assert "motivation" in answer["items"][2]["error"]
    assert not Annotation.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        '"a string"',
        "42",
        '{"title": "not annotations"}',
        '{"type": "AnnotationCollection", "first": "http://example.org/annos/?page=0"}',
        '{"type": "AnnotationPage", "items": "nope"}',
        "{broken",
    ],
)
def test_an_unusable_import_is_400(
    seminar: Seminar, owner: User, document: Document, payload: str
) -> None:
    assert_error(post(api(owner), import_url(document), payload), 400)


def test_who_may_import(seminar: Seminar, roles: dict[str, User], document: Document) -> None:
    items = [foreign("tacit agreement")]
    assert_error(post(api(roles["observer"]), import_url(document), items), 403, "Observers")
    assert_error(post(api(roles["outsider"]), import_url(document), items), 404)
    assert post(api(roles["member"]), import_url(document), items).status_code == 201
    assert Annotation.objects.count() == 1
