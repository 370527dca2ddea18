from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.http import Http404

from annotate.models import (
    Annotation,
    ClaimStatusChange,
    Dispute,
    Document,
    Flag,
    ModerationEvent,
    Ruling,
)
from annotate.services import annotations as notes
from annotate.services import moderation
from core.errors import Conflict
from core.models import Seminar, User
from tests.factories import make_seminar, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(document: Document, roles: dict[str, User]) -> Annotation:
    assert document.current is not None
    start = document.current.text.index("tacit agreement")
    return notes.annotation_create(
        document=document,
        user=roles["member"],
        start=start,
        end=start + 15,
        kind="claim",
        body="It was never written.",
    )


def dispute(claim: Annotation, user: User) -> Dispute:
    return moderation.claim_dispute(
        claim=claim,
        user=user,
        grounds="missing_context",
        statement="Section II says more.",
        evidence=[
            {"kind": "passage", "start": 0, "end": 8},
            {"kind": "url", "url": "https://example.org/nsc-5608"},
        ],
    )


def test_dispute_makes_the_claim_disputed_with_history(
    claim: Annotation, roles: dict[str, User]
) -> None:
    opened = dispute(claim, roles["moderator"])
    claim.refresh_from_db()
    assert claim.claim_status == "disputed"
    assert opened.evidence[0] == {
        "kind": "passage",
        "start": 0,
        "end": 8,
        "exact": "The fate",
        "revision": 1,
    }
    change = ClaimStatusChange.objects.get(claim=claim)
    assert (change.old, change.new, change.actor) == ("open", "disputed", roles["moderator"])
    told = set(claim.seminar.memberships.values_list("user__username", flat=True))
    assert {"mark", "olivia"} <= told


def test_invalid_disputes(claim: Annotation, roles: dict[str, User]) -> None:
    with pytest.raises(Conflict, match="your own claim"):
        dispute(claim, roles["member"])
    with pytest.raises(PermissionDenied):
        dispute(claim, roles["observer"])
    with pytest.raises(ValidationError):
        moderation.claim_dispute(claim=claim, user=roles["owner"], grounds="vibes", statement="x")
    with pytest.raises(ValidationError):
        moderation.claim_dispute(
            claim=claim,
            user=roles["owner"],
            grounds="other",
            statement="x",
            evidence=[{"kind": "url", "url": "javascript:x"}],
        )
    moderation.claim_withdraw(claim=claim, user=roles["member"])
    with pytest.raises(Conflict, match="withdrawn"):
        dispute(claim, roles["owner"])


def test_withdraw_only_own_and_only_while_open(claim: Annotation, roles: dict[str, User]) -> None:
    with pytest.raises(PermissionDenied):
        moderation.claim_withdraw(claim=claim, user=roles["owner"])
    dispute(claim, roles["owner"])
    with pytest.raises(Conflict, match="only while it is open"):
        moderation.claim_withdraw(claim=claim, user=roles["member"])


def test_ruling_sets_status_logs_and_cannot_be_repeated(
    claim: Annotation, roles: dict[str, User]
) -> None:
    opened = dispute(claim, roles["owner"])
    with pytest.raises(PermissionDenied):
        moderation.dispute_rule(
            dispute=opened, moderator=roles["member"], decision="accept", text="No."
        )
    ruling = moderation.dispute_rule(
        dispute=opened,
        moderator=roles["moderator"],
        decision="dismiss",
        text="The passage supports it.",
    )
    claim.refresh_from_db()
    opened.refresh_from_db()
    assert (claim.claim_status, opened.status, ruling.claim_status) == (
        "upheld",
        "dismissed",
        "upheld",
    )
    event = ModerationEvent.objects.get()
    assert (event.action, event.old_state, event.new_state, event.actor_name) == (
        "rule_dismiss",
        "disputed",
        "upheld",
        roles["moderator"].name,
    )
    with pytest.raises(Conflict, match="already been ruled"):
        moderation.dispute_rule(
            dispute=opened, moderator=roles["owner"], decision="accept", text="Again."
        )
    assert Ruling.objects.count() == 1


def test_moderators_cannot_rule_in_another_seminar(
    claim: Annotation, roles: dict[str, User]
) -> None:
    opened = dispute(claim, roles["owner"])
    stranger = make_user(username="elsewhere")
    make_seminar(stranger, name="Other seminar")
    with pytest.raises(PermissionDenied):
        moderation.dispute_rule(
            dispute=opened, moderator=stranger, decision="accept", text="Mine now."
        )


def test_setting_the_same_status_logs_nothing(claim: Annotation, roles: dict[str, User]) -> None:
    moderation.claim_set_status(
        claim=claim, actor=roles["moderator"], status="under_review", reason="Looking into it."
    )
    moderation.claim_set_status(
        claim=claim, actor=roles["moderator"], status="under_review", reason="Still looking."
    )
    assert ModerationEvent.objects.count() == 1
    with pytest.raises(ValidationError):
        moderation.claim_set_status(
            claim=claim, actor=roles["moderator"], status="withdrawn", reason="x"
        )


def test_flags_once_per_item_and_visible_only(
    claim: Annotation, document: Document, roles: dict[str, User]
) -> None:
    moderation.flag_create(user=roles["owner"], annotation=claim, reason="off_topic")
    with pytest.raises(Conflict, match="already flagged"):
        moderation.flag_create(user=roles["owner"], annotation=claim, reason="spam")
    secret = notes.annotation_create(
        document=document,
        user=roles["moderator"],
        start=0,
        end=5,
        body="mine",
        visibility="private",
    )
    # Decided in #14: what a member cannot see answers as if it did not exist.
    with pytest.raises(Http404):
        moderation.flag_create(user=roles["owner"], annotation=secret, reason="spam")


def test_hide_restore_idempotent_and_actions_flags(
    claim: Annotation, roles: dict[str, User]
) -> None:
    flag = moderation.flag_create(user=roles["owner"], annotation=claim, reason="abusive")
    with pytest.raises(PermissionDenied):
        moderation.content_set_hidden(
            moderator=roles["member"], annotation=claim, hidden=True, reason="x"
        )
    moderation.content_set_hidden(
        moderator=roles["moderator"], annotation=claim, hidden=True, reason="Abusive."
    )
    moderation.content_set_hidden(
        moderator=roles["moderator"], annotation=claim, hidden=True, reason="Again."
    )
    flag.refresh_from_db()
    claim.refresh_from_db()
    assert claim.hidden and flag.status == Flag.Status.ACTIONED
    assert list(ModerationEvent.objects.values_list("action", flat=True)) == ["hide"]


def test_locked_thread_refuses_replies_and_stances_need_a_claim(
    claim: Annotation, document: Document, roles: dict[str, User]
) -> None:
    reply = notes.reply_create(
        annotation=claim, user=roles["owner"], body="Yes.", stance="supports"
    )
    assert reply.stance == "supports"
    moderation.thread_set_locked(annotation=claim, moderator=roles["moderator"], locked=True)
    with pytest.raises(Conflict, match="locked"):
        notes.reply_create(annotation=claim, user=roles["owner"], body="More.")
    comment = notes.annotation_create(
        document=document, user=roles["member"], start=0, end=5, body="plain"
    )
    with pytest.raises(ValidationError):
        notes.reply_create(annotation=comment, user=roles["owner"], body="x", stance="disputes")


def test_the_audit_log_refuses_raw_update_and_delete(
    claim: Annotation, roles: dict[str, User]
) -> None:
    moderation.thread_set_locked(
        annotation=claim, moderator=roles["moderator"], locked=True, reason="Heated."
    )
    for sql in (
        "UPDATE annotate_moderationevent SET reason = 'nothing happened'",
        "DELETE FROM annotate_moderationevent",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert ModerationEvent.objects.get().reason == "Heated."


@pytest.mark.django_db(transaction=True)
def test_two_moderators_ruling_at_once_make_one_ruling(
    seminar: Seminar, roles: dict[str, User], document: Document
) -> None:
    assert document.current is not None
    claim = notes.annotation_create(
        document=document, user=roles["member"], start=0, end=8, kind="claim", body="A claim."
    )
    opened = dispute(claim, roles["owner"])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def rule(moderator: User, decision: str) -> None:
        try:
            barrier.wait()
            moderation.dispute_rule(
                dispute=opened, moderator=moderator, decision=decision, text=f"{decision} it"
            )
            outcomes.append("ruled")
        except Conflict as error:
            outcomes.append(error.message)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=rule, args=(roles["moderator"], "accept")),
        threading.Thread(target=rule, args=(roles["owner"], "dismiss")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["This dispute has already been ruled on.", "ruled"]
    assert Ruling.objects.filter(dispute=opened).count() == 1


def test_moderation_emails_the_author_after_commit(
    claim: Annotation, roles: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    from annotate.models import Notification
    from annotate.services.notifications import notification_email_send

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        moderation.content_set_hidden(
            moderator=roles["moderator"], annotation=claim, hidden=True, reason="Off-topic."
        )
    assert len(callbacks) == 1  # the email waits for the commit, then goes through Celery
    notification = Notification.objects.get(kind="moderation")
    assert notification.recipient == roles["member"]
    assert notification_email_send(notification_id=notification.pk) is True
    assert mail.outbox[0].to == [roles["member"].email]
    assert f"/claims/{claim.pk}/" in str(mail.outbox[0].body)


def test_the_moderation_email_of_a_quote_across_paragraphs_is_sent(
    document: Any, roles: dict[str, User]
) -> None:
    """The probe saw these dropped: a quote with a line break made an invalid Subject."""
    from django.core import mail

    from annotate.models import Notification
    from annotate.services import annotations as notes
    from annotate.services.notifications import notification_email_send

    revision = document.current
    first = revision.blocks[0]
    start, end = first["end"] - 10, revision.blocks[1]["start"] + 10  # across the blank line
    assert "\n" in revision.text[start:end]
    claim = notes.annotation_create(
        document=document,
        user=roles["member"],
        revision=revision,
        start=start,
        end=end,
        kind="claim",
        body="A claim across paragraphs.",
    )
    moderation.content_set_hidden(
        moderator=roles["moderator"], annotation=claim, hidden=True, reason="Off-topic."
    )
    notification = Notification.objects.get(kind="moderation", annotation=claim)
    assert notification_email_send(notification_id=notification.pk) is True
    message = mail.outbox[-1]
    assert "\n" not in message.subject and document.seminar.name not in message.subject
    assert " ".join(revision.text[start:end].split()) in message.body
