"""The nine disagreements of issue #14, each decided once (annotate/access.py) and checked here
through the doors a member uses: pages, htmx fragments, the claims API and the W3C API.

The probe's and the review's requests are the starting points; each test failed on the code
before the one access policy.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from annotate.models import Annotation, Document, ExportJob, Flag, Reply
from annotate.services import annotations as notes
from annotate.services import moderation
from core.models import Membership, Role, Seminar, User
from core.services import seminars
from tests.factories import member

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def page(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def data(response: Any) -> Any:
    return json.loads(response.content)


def claim(document: Document, user: User, words: str = "tacit agreement", **kw: Any) -> Annotation:
    assert document.current is not None
    start = document.current.text.index(words)
    kw.setdefault("body", f"A claim about {words}.")
    return notes.annotation_create(
        document=document, user=user, start=start, end=start + len(words), kind="claim", **kw
    )


def html_of(response: Any) -> str:
    return response.content.decode()


# 1. Stance counts: hidden (and deleted) replies take no stance, on pages and API alike.


def test_hidden_replies_take_no_stance_on_the_pages_or_in_the_api(
    document: Document, roles: dict[str, User]
) -> None:
    made = claim(document, roles["owner"])
    notes.reply_create(annotation=made, user=roles["member"], body="Yes.", stance="supports")
    rude = notes.reply_create(
        annotation=made, user=roles["moderator"], body="Yes!", stance="supports"
    )
    moderation.content_set_hidden(moderator=roles["owner"], hidden=True, reason="Rude", reply=rude)
    slug = document.seminar.slug
    listed = html_of(page(roles["member"]).get(f"/s/{slug}/claims/"))
    assert "<span>1 support</span>" in listed
    detail = html_of(page(roles["member"]).get(f"/s/{slug}/claims/{made.pk}/"))
    assert "<strong>1</strong> member support" in detail
    assert data(api(roles["member"]).get(f"/api/v1/claims/{made.pk}/"))["stances"] == {
        "supports": 1,
        "disputes": 0,
        "asks": 0,
    }


# 2. "Most contested": one formula for the pages and the API.


def test_most_contested_is_one_order_on_the_page_and_in_the_api(
    document: Document, roles: dict[str, User]
) -> None:
    owner, mark = roles["owner"], roles["member"]
    other = member(document.seminar, Role.MEMBER, username="otto")
    # a: two members dispute it in replies; b: one formal dispute, open; c: nothing.
    a = claim(document, owner, "tacit agreement")
    b = claim(document, owner, "status quo")
    c = claim(document, owner, "Hungary")
    for who in (mark, other):
        notes.reply_create(annotation=a, user=who, body="No.", stance="disputes")
    moderation.claim_dispute(claim=b, user=mark, grounds="other", statement="Not so.")
    # Newest activity last: c, so "activity" would put it first.
    Annotation.objects.filter(pk=c.pk).update(modified_at=timezone.now())
    slug = document.seminar.slug
    listed = data(api(mark).get(f"/api/v1/seminars/{slug}/claims/?sort=contested"))
    by_api = [item["id"] for item in listed["results"]]
    text = html_of(page(mark).get(f"/s/{slug}/claims/?sort=contested"))
    by_page = sorted((text.index(f"/claims/{pk}/"), pk) for pk in (a.pk, b.pk, c.pk))
    # Disputing members count once, open formal disputes twice: a (2) and b (2), then c;
    # a tie goes to the most recently active (b, disputed after a was replied to).
    assert by_api == [b.pk, a.pk, c.pk]
    assert [pk for _, pk in by_page] == by_api


# 3. The moderation queue: page, badge and API list exactly what the moderator can act on.


def test_the_queue_and_its_badge_leave_out_what_the_moderator_cannot_act_on(
    document: Document, roles: dict[str, User]
) -> None:
    author, mark, mona = roles["member"], roles["observer"], roles["moderator"]
    Membership.objects.filter(user=mark).update(role=Role.MEMBER)
    shared = claim(document, author, "tacit agreement")
    later_private = claim(document, author, "status quo")
    deleted = claim(document, author, "Hungary")
    for target in (shared, later_private, deleted):
        moderation.claim_dispute(claim=target, user=mark, grounds="other", statement="No.")
    # Afterwards: one made private (a claim argued over cannot be, so directly), one deleted.
    Annotation.objects.filter(pk=later_private.pk).update(visibility="private")
    Annotation.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    # A flag on a reply whose thread then became private: its body must not show.
    note = notes.annotation_create(
        document=document, user=author, start=0, end=5, body="A note, shared for now."
    )
    reply = notes.reply_create(annotation=note, user=mark, body="SECRET-REPLY-BODY")
    moderation.flag_create(user=author, reply=reply, reason="other")
    notes.annotation_update(
        annotation=note, user=author, version=note.version + 0, visibility="private"
    )
    slug = document.seminar.slug
    queue = data(api(mona).get(f"/api/v1/seminars/{slug}/moderation-queue/"))
    assert queue["counts"] == {"flags": 0, "disputes": 1, "under_review": 0}
    assert [d["claim"] for d in queue["disputes"]] == [shared.pk]
    text = html_of(page(mona).get(f"/s/{slug}/moderation/"))
    assert "SECRET-REPLY-BODY" not in text
    assert f"/claims/{shared.pk}/" in text
    assert f"/claims/{later_private.pk}/" not in text and f"/claims/{deleted.pk}/" not in text
    seminar_page = html_of(page(mona).get(f"/s/{slug}/"))
    assert 'Moderation queue <span class="count">1</span>' in seminar_page


# 4. Every logged action can be filtered, on the page and in the API.


def test_every_logged_action_can_be_filtered_on_the_page_and_in_the_api(
    seminar: Seminar, roles: dict[str, User]
) -> None:
    owner = roles["owner"]
    gone = Membership.objects.get(seminar=seminar, user=roles["observer"])
    seminars.membership_remove(membership=gone, actor=owner, reason="Left the course")
    answer = api(owner).get(f"/api/v1/seminars/{seminar.slug}/moderation-log/?action=remove_member")
    assert answer.status_code == 200
    assert [e["action"] for e in data(answer)["results"]] == ["remove_member"]
    text = html_of(page(owner).get(f"/s/{seminar.slug}/log/?action=remove_member"))
    assert "Left the course" in text
    assert '<option value="remove_member" selected>' in text
    bad = api(owner).get(f"/api/v1/seminars/{seminar.slug}/moderation-log/?action=nonsense")
    assert bad.status_code == 400 and "remove_member" in data(bad)["action"][0]


# 5. A deleted reply holding up a thread is a placeholder everywhere; a deleted leaf is gone.


def test_a_deleted_reply_is_a_placeholder_only_while_it_holds_up_a_thread_everywhere(
    document: Document, roles: dict[str, User]
) -> None:
    owner, mark = roles["owner"], roles["member"]
    made = claim(document, owner)
    parent = notes.reply_create(annotation=made, user=mark, body="First.")
    notes.reply_create(annotation=made, user=owner, body="Answer.", parent=parent)
    leaf = notes.reply_create(annotation=made, user=mark, body="Second.")
    for reply in (parent, leaf):
        notes.reply_delete(reply=reply, user=mark)
    slug, pk = document.seminar.slug, document.pk
    card = html_of(
        page(owner).get(f"/s/{slug}/texts/{pk}/annotations/{made.pk}/", **HTMX)  # type: ignore[arg-type]
    )
    claim_page = html_of(page(owner).get(f"/s/{slug}/claims/{made.pk}/"))
    for text in (card, claim_page):
        assert f'id="r-{parent.pk}"' in text and "This reply was deleted." in text
        assert f'id="r-{leaf.pk}"' not in text
    thread = data(api(owner).get(f"/api/v1/claims/{made.pk}/"))["thread"]
    assert {r["id"]: r["deleted"] for r in thread} == {
        parent.pk: True,
        thread[1]["id"]: False,
    }
    w3c = data(
        api(owner).get(
            f"/api/v1/seminars/{slug}/annotations/?replies=1&page=0",
            HTTP_ACCEPT="application/ld+json",
        )
    )
    ids = json.dumps(w3c)
    assert f"/replies/{parent.pk}/" in ids and f"/replies/{leaf.pk}/" not in ids


# 6. Live changes come from what the viewer can see (and could see before) [L1].


def test_the_live_poll_says_nothing_of_another_members_private_or_hidden_notes(
    document: Document, roles: dict[str, User]
) -> None:
    slug, pk = document.seminar.slug, document.pk
    watcher = page(roles["member"])
    reader = html_of(watcher.get(f"/s/{slug}/texts/{pk}/"))
    since = reader.split('data-since="', 1)[1].split('"', 1)[0]
    poll = f"/s/{slug}/texts/{pk}/changes/"
    private = notes.annotation_create(
        document=document,
        user=roles["moderator"],
        start=10,
        end=20,
        body="Mine alone.",
        visibility="private",
    )
    assert watcher.get(poll, {"since": since}).status_code == 204
    notes.annotation_update(
        annotation=private, user=roles["moderator"], version=private.version, body="Edited."
    )
    assert watcher.get(poll, {"since": since}).status_code == 204
    # A shared one is news; made private again, its withdrawal is news (the reader drops it);
    # an edit of it after that is not.
    shared = notes.annotation_create(
        document=document, user=roles["moderator"], start=30, end=40, body="For all."
    )
    answer = watcher.get(poll, {"since": since})
    assert answer.status_code == 200
    since = answer["X-Glossa-Since"]
    notes.annotation_update(
        annotation=shared, user=roles["moderator"], version=shared.version, visibility="private"
    )
    answer = watcher.get(poll, {"since": since})
    assert answer.status_code == 200 and f'id="a-{shared.pk}"' not in html_of(answer)
    since = answer["X-Glossa-Since"]
    shared.refresh_from_db()
    notes.annotation_update(
        annotation=shared, user=roles["moderator"], version=shared.version, body="Quietly."
    )
    assert watcher.get(poll, {"since": since}).status_code == 204


# 7. Every download re-checks what it contains [L3].


def test_a_claims_record_is_not_downloadable_once_the_claim_is_made_private(
    document: Document, roles: dict[str, User]
) -> None:
    made = claim(document, roles["owner"])
    job = ExportJob.objects.create(
        seminar=document.seminar,
        requested_by=roles["member"],
        kind=ExportJob.Kind.CLAIM,
        format="json",
        claim=made,
        status=ExportJob.Status.SUCCEEDED,
        file="exports/record.json",
    )
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    default_storage.save("exports/record.json", ContentFile(b'{"claim": "record"}'))
    try:
        assert page(roles["member"]).get(f"/exports/{job.pk}/download/").status_code == 200
        Annotation.objects.filter(pk=made.pk).update(visibility="private")
        assert page(roles["member"]).get(f"/exports/{job.pk}/download/").status_code == 404
        assert api(roles["member"]).get(f"/api/v1/exports/{job.pk}/download/").status_code == 404
    finally:
        default_storage.delete("exports/record.json")


# 8. Every write checks the right to participate [L4].


def test_an_author_made_observer_can_neither_reattach_nor_withdraw(
    document: Document, roles: dict[str, User]
) -> None:
    mark = roles["member"]
    made = claim(document, mark)
    Membership.objects.filter(user=mark, seminar=document.seminar).update(role=Role.OBSERVER)
    slug, pk = document.seminar.slug, document.pk
    answer = page(mark).post(
        f"/s/{slug}/texts/{pk}/annotations/{made.pk}/reattach/",
        {"start": 0, "end": 5},
        **HTMX,  # type: ignore[arg-type]
    )
    assert answer.status_code == 403
    assert api(mark).post(f"/api/v1/claims/{made.pk}/withdraw/", {}).status_code == 403
    assert page(mark).post(f"/s/{slug}/claims/{made.pk}/withdraw/").status_code == 403
    made.refresh_from_db()
    assert made.claim_status in ("", "open") and made.start is not None


# 9. What a viewer cannot see answers exactly like what does not exist, for every verb [L6].


def test_hidden_content_answers_like_missing_content_for_every_verb(
    document: Document, roles: dict[str, User]
) -> None:
    owner, mark = roles["owner"], roles["member"]
    hidden = claim(document, owner, "tacit agreement")
    visible = claim(document, owner, "status quo")
    reply = notes.reply_create(annotation=visible, user=owner, body="Rude.")
    moderation.content_set_hidden(
        moderator=owner, hidden=True, reason="Off topic", annotation=hidden
    )
    moderation.content_set_hidden(moderator=owner, hidden=True, reason="Rude", reply=reply)
    missing = 999_999_999
    client = api(mark)

    def status(url: str, body: dict[str, Any]) -> int:
        return int(client.post(url, body, format="json").status_code)

    for target, gone in (
        ({"annotation": hidden.pk}, {"annotation": missing}),
        ({"reply": reply.pk}, {"reply": missing}),
    ):
        assert status("/api/v1/flags/", {**target, "reason": "spam"}) == 404
        assert status("/api/v1/flags/", {**gone, "reason": "spam"}) == 404
    dispute = {"grounds": "other", "statement": "No."}
    assert status(f"/api/v1/claims/{hidden.pk}/disputes/", dispute) == 404
    for verb in ("hide", "restore", "lock", "unlock"):
        assert status(f"/api/v1/annotations/{hidden.pk}/{verb}/", {"reason": "x"}) == 404
        assert status(f"/api/v1/annotations/{missing}/{verb}/", {"reason": "x"}) == 404
        # What they can see, without the role: 403.
        assert status(f"/api/v1/annotations/{visible.pk}/{verb}/", {"reason": "x"}) == 403
    slug = document.seminar.slug
    flagged = page(mark).post(
        f"/s/{slug}/flag/",
        {"annotation": hidden.pk, "reason": "spam"},
        **HTMX,  # type: ignore[arg-type]
    )
    assert flagged.status_code == 404
    disputed = page(mark).post(
        f"/s/{slug}/claims/{hidden.pk}/dispute/", {"grounds": "other", "statement": "No."}
    )
    assert disputed.status_code == 404
    assert not Flag.objects.exists() and not hidden.disputes.exists()
    # The author and the moderators still see it whole, and may act on it.
    assert status(f"/api/v1/annotations/{hidden.pk}/restore/", {"reason": "x"}) == 404
    assert (
        api(owner)
        .post(f"/api/v1/annotations/{hidden.pk}/restore/", {"reason": "Fine."}, format="json")
        .status_code
        == 200
    )
    assert Reply.objects.filter(pk=reply.pk, hidden=True).exists()
