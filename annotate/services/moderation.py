"""Claims, disputes, flags and moderation, with every moderator action on the audit log.

Transitions are idempotent: setting the state an item already has does nothing and logs
nothing; a real change writes exactly one ModerationEvent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotate import access
from annotate.models import (
    Annotation,
    ClaimStatus,
    ClaimStatusChange,
    Dispute,
    Flag,
    ModerationEvent,
    Reply,
    Ruling,
)
from annotate.services.notifications import notify_moderation
from core import policy, ratelimit
from core.errors import Conflict, Unprocessable
from core.models import Membership, Role, User
from core.policy import Action

# The statuses a claim ends in: it can no longer be disputed.
FINAL_STATES = {ClaimStatus.UPHELD, ClaimStatus.REJECTED, ClaimStatus.WITHDRAWN}


def log_event(
    *,
    seminar_id: int,
    actor: User,
    action: str,
    target_type: str,
    target_id: int,
    old: str = "",
    new: str = "",
    reason: str = "",
) -> ModerationEvent:
    return ModerationEvent.objects.create(
        seminar_id=seminar_id,
        actor=actor,
        actor_name=actor.name,
        action=action,
        target_type=target_type,
        target_id=target_id,
        old_state=old,
        new_state=new,
        reason=reason,
    )


def _lock_claim(claim: Annotation) -> Annotation:
    claim = (
        Annotation.objects.select_for_update(of=("self",))
        .select_related("seminar")
        .get(pk=claim.pk)
    )
    if claim.kind != Annotation.Kind.CLAIM:
        raise Unprocessable("Only claims have a status, disputes and rulings.")
    if claim.is_deleted:
        raise Conflict("This claim has been deleted.")
    return claim


def _moderator(user: User, claim_or_seminar: Any) -> Membership:
    seminar = getattr(claim_or_seminar, "seminar", claim_or_seminar)
    membership = policy.membership_of(user, seminar)
    if membership is None:
        raise PermissionDenied("You are not a member of this seminar.")
    policy.require(membership, Action.MODERATE)
    return membership


def _set_status(claim: Annotation, actor: User, status: str, reason: str) -> bool:
    """Record a status change (False if the claim already has that status)."""
    old = claim.claim_status or ClaimStatus.OPEN
    if old == status:
        return False
    claim.claim_status = status
    claim.modified_at = timezone.now()
    claim.save(update_fields=["claim_status", "modified_at"])
    ClaimStatusChange.objects.create(claim=claim, old=old, new=status, actor=actor, reason=reason)
    return True


@transaction.atomic
def claim_set_status(*, claim: Annotation, actor: User, status: str, reason: str) -> Annotation:
    """A moderator sets a claim's status, with a reason."""
    claim = _lock_claim(claim)
    _moderator(actor, claim)
    if status not in ClaimStatus.values or status == ClaimStatus.WITHDRAWN:
        raise ValidationError(
            {
                "status": "Choose open, disputed, under review, upheld or "
                "rejected (only its author withdraws a claim)."
            }
        )
    if not reason.strip():
        raise ValidationError({"reason": "Give a reason: it goes on the moderation log."})
    old = claim.claim_status or ClaimStatus.OPEN
    if old == ClaimStatus.WITHDRAWN and status != old:
        raise Conflict("Its author withdrew this claim; a withdrawn claim keeps that status.")
    if _set_status(claim, actor, status, reason):
        log_event(
            seminar_id=claim.seminar_id,
            actor=actor,
            action=ModerationEvent.Action.SET_CLAIM_STATUS,
            target_type="annotation",
            target_id=claim.pk,
            old=old,
            new=status,
            reason=reason,
        )
        _notify(claim.author, actor, claim)
    return claim


@transaction.atomic
def claim_withdraw(*, claim: Annotation, user: User, reason: str = "") -> Annotation:
    claim = _lock_claim(claim)
    if claim.author_id != user.pk:
        raise PermissionDenied("Only its author can withdraw a claim.")
    policy.require(policy.membership_of(user, claim.seminar), Action.PARTICIPATE)
    status = claim.claim_status or ClaimStatus.OPEN
    if status == ClaimStatus.WITHDRAWN:
        return claim
    if status != ClaimStatus.OPEN:
        raise Conflict(
            f"A claim can be withdrawn only while it is open; this one is "
            f"{ClaimStatus(status).label.lower()}."
        )
    _set_status(claim, user, ClaimStatus.WITHDRAWN, reason or "Withdrawn by its author")
    return claim


@transaction.atomic
def claim_dispute(
    *,
    claim: Annotation,
    user: User,
    grounds: str,
    statement: str,
    evidence: Sequence[dict[str, Any]] = (),
) -> Dispute:
    """Open a formal dispute of a claim; its author and the moderators are told."""
    claim = _lock_claim(claim)
    access.participant(user, claim)  # 404 for what they cannot see whole
    if claim.author_id == user.pk:
        raise Conflict("You cannot dispute your own claim; withdraw it instead.")
    status = claim.claim_status or ClaimStatus.OPEN
    if status in FINAL_STATES:
        raise Conflict(
            f"This claim is {ClaimStatus(status).label.lower()}: it can no longer be disputed."
        )
    if grounds not in Dispute.Grounds.values:
        raise ValidationError({"grounds": "Choose the grounds of the dispute."})
    if not statement.strip():
        raise ValidationError({"statement": "State why you dispute the claim."})
    ratelimit.check(user.pk, "dispute")
    dispute = Dispute(
        claim=claim,
        opened_by=user,
        grounds=grounds,
        statement=statement,
        evidence=_clean_evidence(claim, evidence),
    )
    dispute.full_clean()
    dispute.save()
    _set_status(
        claim, user, ClaimStatus.DISPUTED, f"Dispute opened: {dispute.get_grounds_display()}"
    )
    moderators = Membership.objects.filter(
        seminar=claim.seminar, role__in=[Role.OWNER, Role.MODERATOR]
    ).select_related("user")
    for recipient in {claim.author, *(m.user for m in moderators)}:
        _notify(recipient, user, claim)
    return dispute


def _clean_evidence(claim: Annotation, evidence: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Citations checked: a passage of this text must be in it; a URL must be http(s)."""
    if len(evidence) > 20:
        raise ValidationError({"evidence": "At most 20 citations."})
    revision = claim.document.current
    cleaned = []
    for item in evidence:
        kind = item.get("kind") if isinstance(item, dict) else None
        if kind == "passage" and revision is not None:
            start, end = item.get("start"), item.get("end")
            if (
                isinstance(start, bool)
                or isinstance(end, bool)
                or not (
                    isinstance(start, int)
                    and isinstance(end, int)
                    and 0 <= start < end <= len(revision.text)
                )
            ):
                raise ValidationError({"evidence": "A cited passage must be inside the text."})
            cleaned.append(
                {
                    "kind": "passage",
                    "start": start,
                    "end": end,
                    "exact": revision.text[start:end][:2000],
                    "revision": revision.number,
                }
            )
        elif kind == "source":
            citation = str(item.get("citation", "")).strip()[:1000]
            if not citation:
                raise ValidationError({"evidence": "Name the source you cite."})
            cleaned.append(
                {
                    "kind": "source",
                    "citation": citation,
                    "page": str(item.get("page", "")).strip()[:50],
                }
            )
        elif kind == "url":
            url = str(item.get("url", "")).strip()
            if not url.startswith(("http://", "https://")) or len(url) > 2000:
                raise ValidationError({"evidence": "Cite a web page by its http(s) address."})
            cleaned.append(
                {"kind": "url", "url": url, "title": str(item.get("title", "")).strip()[:300]}
            )
        else:
            raise ValidationError({"evidence": "Evidence is a passage, a source or a URL."})
    return cleaned


@transaction.atomic
def dispute_rule(
    *,
    dispute: Dispute,
    moderator: User,
    decision: str,
    text: str,
    claim_status: str | None = None,
) -> Ruling:
    """Rule on an open dispute; the ruling sets the claim's status. Exactly one ruling."""
    dispute = (
        Dispute.objects.select_for_update().select_related("claim__seminar").get(pk=dispute.pk)
    )
    _moderator(moderator, dispute.claim)
    if dispute.status != Dispute.Status.OPEN:
        raise Conflict("This dispute has already been ruled on.")
    if decision not in Ruling.Decision.values:
        raise ValidationError({"decision": "Accept or dismiss the dispute."})
    if not text.strip():
        raise ValidationError({"text": "Write the ruling: members read why."})
    status = claim_status or (
        ClaimStatus.REJECTED if decision == Ruling.Decision.ACCEPT else ClaimStatus.UPHELD
    )
    if status not in ClaimStatus.values or status == ClaimStatus.WITHDRAWN:
        raise ValidationError({"claim_status": "Choose the claim's status after the ruling."})
    try:
        with transaction.atomic():
            ruling = Ruling.objects.create(
                dispute=dispute,
                moderator=moderator,
                decision=decision,
                text=text,
                claim_status=status,
            )
    except IntegrityError:
        raise Conflict("This dispute has already been ruled on.") from None
    dispute.status = (
        Dispute.Status.ACCEPTED if decision == Ruling.Decision.ACCEPT else Dispute.Status.DISMISSED
    )
    dispute.save(update_fields=["status"])
    claim = _lock_claim(dispute.claim)
    old = claim.claim_status or ClaimStatus.OPEN
    _set_status(claim, moderator, status, f"Ruling: {text}")
    log_event(
        seminar_id=claim.seminar_id,
        actor=moderator,
        action=ModerationEvent.Action(f"rule_{decision}"),
        target_type="dispute",
        target_id=dispute.pk,
        old=old,
        new=status,
        reason=text,
    )
    for recipient in {claim.author, dispute.opened_by}:
        _notify(recipient, moderator, claim)
    return ruling


@transaction.atomic
def flag_create(
    *,
    user: User,
    reason: str,
    note: str = "",
    annotation: Annotation | None = None,
    reply: Reply | None = None,
) -> Flag:
    """A member flags an annotation or reply they can see, once per item."""
    if (annotation is None) == (reply is None):
        raise Unprocessable("Flag one annotation or one reply.")
    target = annotation or reply.annotation  # type: ignore[union-attr]
    access.participant(user, target, reply)  # 404 for what they cannot see whole
    if reason not in Flag.Reason.values:
        raise ValidationError({"reason": "Choose why you flag it."})
    ratelimit.check(user.pk, "flag")
    try:
        with transaction.atomic():
            return Flag.objects.create(
                seminar=target.seminar,
                reporter=user,
                annotation=annotation,
                reply=reply,
                reason=reason,
                note=note.strip()[:2000],
            )
    except IntegrityError:
        raise Conflict("You have already flagged this.") from None


@transaction.atomic
def flag_dismiss(*, flag: Flag, moderator: User, reason: str = "") -> Flag:
    flag = Flag.objects.select_for_update().select_related("seminar").get(pk=flag.pk)
    _moderator(moderator, flag.seminar)
    if flag.status != Flag.Status.DISMISSED:
        old = flag.status
        flag.status = Flag.Status.DISMISSED
        flag.save(update_fields=["status"])
        log_event(
            seminar_id=flag.seminar_id,
            actor=moderator,
            action=ModerationEvent.Action.DISMISS_FLAG,
            target_type="flag",
            target_id=flag.pk,
            old=old,
            new=flag.status,
            reason=reason,
        )
    return flag


@transaction.atomic
def content_set_hidden(
    *,
    moderator: User,
    hidden: bool,
    reason: str,
    annotation: Annotation | None = None,
    reply: Reply | None = None,
) -> Annotation | Reply:
    """Hide (or restore) an annotation or reply; open flags on it count as actioned."""
    if (annotation is None) == (reply is None):
        raise Unprocessable("Moderate one annotation or one reply.")
    model: type[Annotation] | type[Reply] = Annotation if annotation else Reply
    item: Any = model.objects.select_for_update().get(pk=(annotation or reply).pk)  # type: ignore[union-attr]
    seminar_id = item.seminar_id if annotation else item.annotation.seminar_id
    _moderator(moderator, item if annotation else item.annotation)
    if item.hidden == hidden:
        return item  # nothing changes, nothing is logged
    if not reason.strip():
        raise ValidationError({"reason": "Give a reason: it goes on the moderation log."})
    item.hidden = hidden
    item.modified_at = timezone.now()
    changed = ["hidden", "modified_at"]
    if annotation is not None and hidden:  # readers drop it (annotate.access.change_seen)
        item.withdrawn_at = item.modified_at
        changed.append("withdrawn_at")
    item.save(update_fields=changed)
    if reply is not None:  # readers watch their annotations' stamps, not replies'
        Annotation.objects.filter(pk=item.annotation_id).update(modified_at=item.modified_at)
    kind = "annotation" if annotation else "reply"
    log_event(
        seminar_id=seminar_id,
        actor=moderator,
        action=ModerationEvent.Action.HIDE if hidden else ModerationEvent.Action.RESTORE,
        target_type=kind,
        target_id=item.pk,
        old="hidden" if not hidden else "visible",
        new="hidden" if hidden else "visible",
        reason=reason,
    )
    if hidden:
        Flag.objects.filter(**{kind: item}, status=Flag.Status.OPEN).update(
            status=Flag.Status.ACTIONED
        )
    _notify(item.author, moderator, item if annotation else item.annotation)
    return item


@transaction.atomic
def thread_set_locked(
    *, annotation: Annotation, moderator: User, locked: bool, reason: str = ""
) -> Annotation:
    annotation = (
        Annotation.objects.select_for_update(of=("self",))
        .select_related("seminar")
        .get(pk=annotation.pk)
    )
    _moderator(moderator, annotation)
    if annotation.locked != locked:
        annotation.locked = locked
        annotation.modified_at = timezone.now()
        annotation.save(update_fields=["locked", "modified_at"])
        log_event(
            seminar_id=annotation.seminar_id,
            actor=moderator,
            action=ModerationEvent.Action.LOCK if locked else ModerationEvent.Action.UNLOCK,
            target_type="annotation",
            target_id=annotation.pk,
            old="unlocked" if locked else "locked",
            new="locked" if locked else "unlocked",
            reason=reason,
        )
    return annotation


def _notify(recipient: User, actor: User, annotation: Annotation) -> None:
    notify_moderation(recipient=recipient, actor=actor, annotation=annotation)
