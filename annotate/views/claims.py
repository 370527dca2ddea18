"""Claims, disputes and moderation pages: thin adapters over annotate.services.moderation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.http import require_POST

from annotate import access, selectors
from annotate.models import (
    Annotation,
    ClaimStatus,
    Dispute,
    Flag,
    ModerationEvent,
    Reply,
    Ruling,
)
from annotate.services import moderation
from core import policy
from core.errors import ServiceError, refusal
from core.http import render_page, safe_next, signed_in_user
from core.policy import Action


def _claim(
    viewer: access.Viewer, aid: int, action: Action = Action.VIEW, *, whole: bool = False
) -> Annotation:
    """The claim, with its counts (selectors.claims), if the viewer may see it (to look) or act
    on it (access.access_claim: 404, then 403 without the role for `action`)."""
    access.access_claim(viewer.user, aid, action, seminar=viewer.seminar, whole=whole)
    return selectors.claims(viewer).get(pk=aid)


@login_required
def claims_list(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = access.Viewer.at(request.user, slug)
    seminar, membership = viewer.seminar, viewer.membership
    query = request.GET
    document = query.get("document", "")
    filters = selectors.ClaimFilters(
        status=query.get("status", "") if query.get("status") in ClaimStatus.values else "",
        document=int(document) if _is_id(document) else None,
        member=query.get("member", "")[:150],
        sort="contested" if query.get("sort") == "contested" else "activity",
    )
    found = filters.apply(selectors.claims(viewer))
    page = Paginator(found, 50).get_page(query.get("page"))
    return render_page(
        request,
        "annotate/claims.html",
        {
            "seminar": seminar,
            "membership": membership,
            "page": page,
            "statuses": ClaimStatus.choices,
            "documents": seminar.documents.order_by("title"),
            "members": seminar.memberships.select_related("user").order_by("user__username"),
        },
    )


@login_required
def claim_detail(request: HttpRequest, slug: str, aid: int, **extra: Any) -> HttpResponse:
    viewer = access.Viewer.at(request.user, slug)
    seminar, membership = viewer.seminar, viewer.membership
    claim = _claim(viewer, aid)
    revision = claim.revision
    context_start = max(0, (claim.start or 0) - 300)
    block = next(
        (
            b
            for b in revision.blocks
            if claim.start is not None and b["start"] <= claim.start <= b["end"]
        ),
        None,
    )
    return render_page(
        request,
        "annotate/claim.html",
        {
            "seminar": seminar,
            "membership": membership,
            "claim": claim,
            "document": claim.document,
            "before": revision.text[context_start : claim.start or 0],
            "after": revision.text[claim.end or 0 : (claim.end or 0) + 300],
            "where": block,
            "thread": access.thread(
                viewer, selectors.with_threads(Annotation.objects.filter(pk=claim.pk)).get()
            ),
            "disputes": claim.disputes.select_related("opened_by", "ruling__moderator"),
            "history": claim.status_changes.select_related("actor"),
            "moderator": viewer.moderates,
            "can_participate": viewer.participates,
            "body_shown": access.body_shown(viewer, claim),
            "grounds": Dispute.Grounds.choices,
            "statuses": [c for c in ClaimStatus.choices if c[0] != ClaimStatus.WITHDRAWN],
            "decisions": Ruling.Decision.choices,
            "flag_reasons": Flag.Reason.choices,
            **extra,
        },
        status=extra.pop("status", 200),
    )


def _back(
    request: HttpRequest, slug: str, aid: int, error: Exception | None = None
) -> HttpResponse:
    """After a change: back to the claim page, with the error (and its status) if any."""
    if error is None:
        return redirect(reverse("claim", args=[slug, aid]))
    message, status = refusal(error)
    return claim_detail(request, slug, aid, error=message, status=status)


def _evidence(post: Any, text: str) -> list[dict[str, Any]]:
    """Citations from the dispute form: a quoted passage of this text, a source, a URL."""
    evidence: list[dict[str, Any]] = []
    quote = post.get("passage", "").strip()
    if quote:
        at = text.find(quote)
        if at < 0:
            raise ValidationError({"evidence": f"“{quote[:80]}” is not in the text."})
        evidence.append({"kind": "passage", "start": at, "end": at + len(quote)})
    if post.get("source", "").strip():
        evidence.append(
            {"kind": "source", "citation": post["source"], "page": post.get("source_page", "")}
        )
    if post.get("url", "").strip():
        evidence.append({"kind": "url", "url": post["url"], "title": post.get("url_title", "")})
    return evidence


@login_required
@require_POST
def claim_dispute(request: HttpRequest, slug: str, aid: int) -> HttpResponse:
    claim = _claim(access.Viewer.at(request.user, slug), aid, Action.PARTICIPATE)
    try:
        assert claim.document.current is not None
        moderation.claim_dispute(
            claim=claim,
            user=signed_in_user(request),
            grounds=request.POST.get("grounds", ""),
            statement=request.POST.get("statement", ""),
            evidence=_evidence(request.POST, claim.document.current.text),
        )
    except (ServiceError, ValidationError) as error:
        return _back(request, slug, aid, error)
    messages.success(
        request, "Your dispute is open; the claim's author and the moderators have been told."
    )
    return _back(request, slug, aid)


@login_required
@require_POST
def claim_withdraw(request: HttpRequest, slug: str, aid: int) -> HttpResponse:
    viewer = access.Viewer.at(request.user, slug)
    try:
        moderation.claim_withdraw(
            claim=_claim(viewer, aid, whole=True),  # the service: its author, taking part
            user=signed_in_user(request),
            reason=request.POST.get("reason", ""),
        )
    except ServiceError as error:
        return _back(request, slug, aid, error)
    return _back(request, slug, aid)


@login_required
@require_POST
def claim_status(request: HttpRequest, slug: str, aid: int) -> HttpResponse:
    viewer = access.Viewer.at(request.user, slug, Action.MODERATE)
    try:
        moderation.claim_set_status(
            claim=_claim(viewer, aid, Action.MODERATE),
            actor=signed_in_user(request),
            status=request.POST.get("status", ""),
            reason=request.POST.get("reason", ""),
        )
    except (ServiceError, ValidationError) as error:
        return _back(request, slug, aid, error)
    return _back(request, slug, aid)


@login_required
@require_POST
def dispute_rule(request: HttpRequest, slug: str, did: int) -> HttpResponse:
    viewer = access.Viewer.at(request.user, slug, Action.MODERATE)
    dispute, _ = access.access_dispute(viewer.user, did, Action.MODERATE, seminar=viewer.seminar)
    try:
        moderation.dispute_rule(
            dispute=dispute,
            moderator=signed_in_user(request),
            decision=request.POST.get("decision", ""),
            text=request.POST.get("text", ""),
            claim_status=request.POST.get("claim_status") or None,
        )
    except (ServiceError, ValidationError) as error:
        return _back(request, slug, dispute.claim_id, error)
    messages.success(request, "The ruling is published and on the moderation log.")
    return _back(request, slug, dispute.claim_id)


def _target(
    request: HttpRequest, viewer: access.Viewer, action: Action
) -> tuple[Annotation | None, Reply | None]:
    """The annotation or reply a form names, if the viewer may `action` on it
    (access.access_annotation, access.access_reply): else 404, or 403 without the role."""
    if _is_id(request.POST.get("reply", "")):
        found, _ = access.access_reply(
            viewer.user, int(request.POST["reply"]), action, seminar=viewer.seminar
        )
        return None, found
    if _is_id(request.POST.get("annotation", "")):
        annotation, _ = access.access_annotation(
            viewer.user, int(request.POST["annotation"]), action, seminar=viewer.seminar
        )
        return annotation, None
    raise Http404("Nothing to act on.")


@login_required
@require_POST
def flag(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = access.Viewer.at(request.user, slug)
    annotation, reply = _target(request, viewer, Action.PARTICIPATE)
    try:
        moderation.flag_create(
            user=signed_in_user(request),
            annotation=annotation,
            reply=reply,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
        )
    except (ServiceError, ValidationError) as error:
        text, status = refusal(error)
        return HttpResponse(
            f'<p class="message message-error" role="alert">{escape(text)}</p>', status=status
        )
    return HttpResponse(
        '<p class="message message-success" role="status">Thank you: the '
        "moderators will look at it.</p>",
        status=201,
    )


@login_required
@require_POST
def moderate(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    """Hide, restore, lock, unlock (annotations and replies), dismiss a flag."""
    viewer = access.Viewer.at(request.user, slug, Action.MODERATE)
    seminar = viewer.seminar
    user, reason = signed_in_user(request), request.POST.get("reason", "")
    try:
        if action == "dismiss-flag":
            flag_ = get_object_or_404(Flag, pk=request.POST.get("flag", "0") or 0, seminar=seminar)
            moderation.flag_dismiss(flag=flag_, moderator=user, reason=reason)
        elif action in ("hide", "restore"):
            annotation, reply = _target(request, viewer, Action.MODERATE)
            moderation.content_set_hidden(
                moderator=user,
                hidden=action == "hide",
                reason=reason,
                annotation=annotation,
                reply=reply,
            )
        elif action in ("lock", "unlock"):
            annotation, _ = _target(request, viewer, Action.MODERATE)
            if annotation is None:
                raise Http404("Lock a thread by its annotation.")
            moderation.thread_set_locked(
                annotation=annotation, moderator=user, locked=action == "lock", reason=reason
            )
        else:
            raise Http404("No such action.")
    except (ServiceError, ValidationError) as error:
        messages.error(request, refusal(error)[0])
        return redirect(safe_next(request, reverse("moderation", args=[slug])))
    messages.success(request, "Done; it is on the moderation log.")
    return redirect(safe_next(request, reverse("moderation", args=[slug])))


@login_required
def moderation_queue(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = access.Viewer.at(request.user, slug, Action.MODERATE)
    return render_page(
        request,
        "annotate/moderation.html",
        {
            "seminar": viewer.seminar,
            "membership": viewer.membership,
            **selectors.moderation_queue(viewer),
        },
    )


@login_required
def moderation_log(request: HttpRequest, slug: str) -> HttpResponse:
    seminar, membership = policy.access_seminar(request.user, slug)
    action, actor = request.GET.get("action", ""), request.GET.get("actor", "")[:150]
    if action not in ModerationEvent.Action.values:
        action = ""
    filters = selectors.LogFilters(action=action, actor=actor)
    page = Paginator(selectors.moderation_log(seminar, filters), 50).get_page(
        request.GET.get("page")
    )
    return render_page(
        request,
        "annotate/log.html",
        {
            "seminar": seminar,
            "membership": membership,
            "page": page,
            "actions": ModerationEvent.Action.choices,
            "action": action,
            "actor": actor,
        },
    )


def _is_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) < 18
