"""The reader's annotation fragments: composer, panel, threads, live changes, notifications."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from annotate import access, markdown, rendering, selectors
from annotate.forms import AnnotationForm, ReplyForm
from annotate.models import BODY_MAX, Annotation, Document, Flag, Reply, Revision
from annotate.services import annotations as service
from core.errors import Conflict, ServiceError
from core.forms import apply_errors
from core.http import is_htmx, refuse_floods, render_page, signed_in_user, with_retry_after
from core.policy import Action

PANEL = "annotate/panel.html"
LIVE_OVERLAP = timedelta(seconds=5)


def highlight_classifier(
    rows: list[tuple[int, int, int, str, bool]],
) -> tuple[list[rendering.Range], Any]:
    """Ranges for the highlights, and how what covers a piece becomes its CSS classes.

    A range's key is its look (kind, and whether it is mine), not its id: the page only has to
    show how many annotations of which kinds cover each piece; which ones, the panel asks.
    """
    ranges = [
        rendering.Range(start, end, f"{kind}{'+mine' if mine else ''}")
        for _, start, end, kind, mine in rows
    ]

    def classify(keys: frozenset[str], depth: int) -> tuple[str, bool]:
        looks = [k for k in keys if k != "suspect"]
        suspect = "suspect" in keys
        if not looks:
            return ("suspect", False) if suspect else ("", False)
        shown = depth - (1 if suspect else 0)
        kinds = sorted({k.split("+")[0] for k in looks})
        classes = ["hl", f"d{max(1, min(shown, 5))}", *(f"k-{kind}" for kind in kinds)]
        if any(k.endswith("+mine") for k in looks):
            classes.append("mine")
        if suspect:
            classes.append("suspect")
        return " ".join(classes), True

    return ranges, classify


def reader_blocks(
    viewer: access.Viewer,
    document: Document,
    revision: Revision,
    filters: selectors.Filters,
    suspects: list[dict[str, Any]],
    within: tuple[int, int] | None = None,
) -> list[rendering.BlockView]:
    """The text's blocks with this member's highlights (only the blocks touching `within`)."""
    rows = selectors.highlight_rows(viewer, document, revision, filters, within)
    ranges, classify = highlight_classifier(rows)
    ranges += [rendering.Range(s["start"], s["end"], "suspect") for s in suspects]
    return rendering.block_views(revision, ranges, classify=classify, within=within)


def _document(
    request: HttpRequest, slug: str, pk: int, action: Action = Action.VIEW
) -> tuple[Document, access.Viewer, Revision]:
    document, membership = access.access_document(request.user, pk, action, seminar_slug=slug)
    selectors.with_text(document)
    revision = document.current
    if revision is None:
        raise Http404("This text has no revision.")
    revision.document = document
    return document, access.Viewer(signed_in_user(request), membership), revision


def _annotation(viewer: access.Viewer, document: Document, aid: int) -> Annotation:
    visible = selectors.visible(viewer, document)
    found = selectors.with_threads(visible).filter(pk=aid).first()
    if found is None:
        raise Http404("No such annotation.")
    found.document = document
    return found


def _card_context(annotation: Annotation, viewer: access.Viewer, **extra: Any) -> dict[str, Any]:
    return {
        "a": annotation,
        "thread": access.thread(viewer, annotation),
        "me": viewer.user,
        "can_participate": viewer.participates and not annotation.locked,
        "moderator": viewer.moderates,
        # Through the document, which the views hand over with its seminar: no query a card.
        "seminar": annotation.document.seminar,
        "document": annotation.document,
        "reply_form": ReplyForm(),
        "stances": Reply.Stance.choices,
        "flag_reasons": Flag.Reason.choices,
        **extra,
    }


def _oob_blocks(
    request: HttpRequest,
    document: Document,
    revision: Revision,
    spans: list[tuple[int, int]],
    viewer: access.Viewer,
) -> str:
    """The blocks touching the given spans, re-rendered for an out-of-band swap."""
    touched: list[rendering.BlockView] = []
    for s, e in spans:
        bounds = [
            (b["start"], b["end"]) for b in revision.blocks if b["start"] <= e and s <= b["end"]
        ]
        if bounds:
            within = (bounds[0][0], bounds[-1][1])
            touched += reader_blocks(viewer, document, revision, selectors.Filters(), [], within)
    return "".join(
        render_to_string("annotate/_block.html", {"block": b, "oob": True}, request)
        for b in touched
    )


@login_required
@require_GET
def composer(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    document, _, revision = _document(request, slug, pk, Action.PARTICIPATE)
    form = AnnotationForm(request.GET or None, initial={"base": revision.number})
    start, end = form.data.get("start"), form.data.get("end")
    quote = ""
    if start and end and start.isascii() and start.isdigit() and end.isascii() and end.isdigit():
        quote = revision.text[int(start) : int(end)][:600]
    return render_page(
        request,
        "annotate/composer.html",
        {
            "form": form,
            "document": document,
            "seminar": document.seminar,
            "quote": quote,
            "kind": form.data.get("kind", "comment"),
        },
    )


@login_required
@require_POST
@refuse_floods("annotate")
def annotation_create(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    document, viewer, revision = _document(request, slug, pk, Action.PARTICIPATE)
    form = AnnotationForm(request.POST)
    context = {
        "form": form,
        "document": document,
        "seminar": document.seminar,
        "kind": request.POST.get("kind", "comment"),
        "quote": "",
    }
    if not form.is_valid():
        return render_page(request, "annotate/composer.html", context, status=422)
    data = form.cleaned_data
    try:
        if data["base"] != revision.number:
            raise Conflict(
                f"The text was corrected (now revision {revision.number}) while you were "
                "selecting; reload the page and select again."
            )
        annotation = service.annotation_create(
            document=document,
            user=signed_in_user(request),
            start=data["start"],
            end=data["end"],
            kind=data["kind"],
            body=data["body"],
            tags=data["tags"],
            visibility=data["visibility"],
        )
    except ValidationError as error:
        apply_errors(form, error)
        return render_page(request, "annotate/composer.html", context, status=422)
    except ServiceError as error:
        context["error"] = error.message
        return render_page(request, "annotate/composer.html", context, status=error.status)
    annotation = _annotation(viewer, document, annotation.pk)
    html: str = render_to_string(
        PANEL,
        {
            "annotations": [_card_context(annotation, viewer)],
            "title": "Saved",
            "document": document,
            "seminar": document.seminar,
        },
        request,
    )
    html += _oob_blocks(request, document, revision, [(data["start"], data["end"])], viewer)
    return trigger_client_event(HttpResponse(html, status=201), "glossa:changed")


@login_required
@require_GET
def annotations_at(request: HttpRequest, slug: str, pk: int, offset: int) -> HttpResponse:
    document, viewer, revision = _document(request, slug, pk)
    filters = selectors.Filters.from_query(request.GET)
    found = list(selectors.covering(viewer, document, revision, offset, filters))
    for annotation in found:
        annotation.document = document
    return render_page(
        request,
        PANEL,
        {
            "annotations": [_card_context(a, viewer) for a in found],
            "title": f"{len(found)} annotation{'s' if len(found) != 1 else ''} here",
            "document": document,
            "seminar": document.seminar,
        },
    )


@login_required
@require_GET
def annotation_detail(request: HttpRequest, slug: str, pk: int, aid: int) -> HttpResponse:
    document, viewer, _ = _document(request, slug, pk)
    annotation = _annotation(viewer, document, aid)
    context = {
        "annotations": [_card_context(annotation, viewer)],
        "title": "Annotation",
        "document": document,
        "seminar": document.seminar,
    }
    if is_htmx(request):
        return render_page(request, PANEL, context)
    return redirect(f"{document.get_absolute_url()}?a={annotation.pk}#a-{annotation.pk}")


def _card(
    request: HttpRequest,
    annotation: Annotation,
    viewer: access.Viewer,
    status: int = 200,
    extra_html: str = "",
    **extra: Any,
) -> HttpResponse:
    fresh = _annotation(viewer, annotation.document, annotation.pk)
    html = render_to_string("annotate/_card.html", _card_context(fresh, viewer, **extra), request)
    return HttpResponse(html + extra_html, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def annotation_edit(request: HttpRequest, slug: str, pk: int, aid: int) -> HttpResponse:
    document, viewer, revision = _document(request, slug, pk)
    user = signed_in_user(request)
    annotation = _annotation(viewer, document, aid)
    if request.method == "GET":
        # The form holds the text: only for its author, while it exists.
        if annotation.author_id != user.pk or annotation.is_deleted:
            raise PermissionDenied("You can edit only your own annotations.")
        form = AnnotationForm(
            initial={
                "kind": annotation.kind,
                "body": annotation.body,
                "tags": ", ".join(annotation.tags),
                "visibility": annotation.visibility,
                "version": annotation.version,
            }
        )
        return _card(request, annotation, viewer, editing=form)
    form = AnnotationForm(request.POST, editing=True)
    if not form.is_valid():
        return _card(request, annotation, viewer, status=422, editing=form)
    data = form.cleaned_data
    try:
        service.annotation_update(
            annotation=annotation,
            user=user,
            version=data["version"],
            body=data["body"],
            tags=data["tags"],
            visibility=data["visibility"],
            kind=data["kind"],
        )
    except service.StaleEdit as stale:
        return _card(
            request,
            annotation,
            viewer,
            status=409,
            editing=form,
            conflict=stale.message,
            theirs=stale.current,
        )
    except ValidationError as error:
        apply_errors(form, error)
        return _card(request, annotation, viewer, status=422, editing=form)
    except ServiceError as error:  # a 429 keeps what was typed, in the form
        return with_retry_after(
            _card(
                request,
                annotation,
                viewer,
                status=error.status,
                error=error.message,
                editing=form,
            ),
            error,
        )
    oob = _oob_blocks(
        request, document, revision, [(annotation.start or 0, annotation.end or 0)], viewer
    )
    return _card(request, annotation, viewer, extra_html=oob)


@login_required
@require_POST
def annotation_delete(request: HttpRequest, slug: str, pk: int, aid: int) -> HttpResponse:
    document, viewer, revision = _document(request, slug, pk)
    annotation = _annotation(viewer, document, aid)
    service.annotation_delete(annotation=annotation, user=signed_in_user(request))
    oob = _oob_blocks(
        request, document, revision, [(annotation.start or 0, annotation.end or 0)], viewer
    )
    return _card(request, annotation, viewer, extra_html=oob)


@login_required
@require_POST
@refuse_floods("reply")
def reply_create(request: HttpRequest, slug: str, pk: int, aid: int) -> HttpResponse:
    document, viewer, _ = _document(request, slug, pk, Action.PARTICIPATE)
    user = signed_in_user(request)
    annotation = _annotation(viewer, document, aid)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _card(request, annotation, viewer, status=422, reply_form=form)
    parent = None
    if form.cleaned_data.get("parent"):
        parent = get_object_or_404(Reply, pk=form.cleaned_data["parent"], annotation=annotation)
    try:
        service.reply_create(
            annotation=annotation,
            user=user,
            body=form.cleaned_data["body"],
            parent=parent,
            stance=request.POST.get("stance", Reply.Stance.COMMENT)[:16],
        )
    except ValidationError as error:
        apply_errors(form, error)
        return _card(request, annotation, viewer, status=422, reply_form=form)
    except ServiceError as error:
        return _card(request, annotation, viewer, status=error.status, error=error.message)
    return _card(request, annotation, viewer, status=201)


@login_required
@require_http_methods(["GET", "POST"])
def reply_edit(request: HttpRequest, slug: str, pk: int, aid: int, rid: int) -> HttpResponse:
    document, viewer, _ = _document(request, slug, pk)
    user = signed_in_user(request)
    annotation = _annotation(viewer, document, aid)
    reply = get_object_or_404(Reply, pk=rid, annotation=annotation)
    if request.method == "GET":
        # The form holds the text (of a hidden reply, too): only for its author, while it exists.
        if reply.author_id != user.pk or reply.deleted_at is not None:
            raise PermissionDenied("You can edit only your own replies.")
        form = ReplyForm(initial={"body": reply.body, "version": reply.version})
        return _card(request, annotation, viewer, editing_reply=reply.pk, reply_edit=form)
    form = ReplyForm(request.POST)
    try:
        if not form.is_valid() or form.cleaned_data.get("version") is None:
            raise ValidationError("Write your reply.")
        service.reply_update(
            reply=reply,
            user=user,
            body=form.cleaned_data["body"],
            version=form.cleaned_data["version"],
        )
    except service.StaleEdit as stale:
        return _card(
            request,
            annotation,
            viewer,
            status=409,
            editing_reply=reply.pk,
            reply_edit=form,
            conflict=stale.message,
            theirs=stale.current,
        )
    except ValidationError:
        return _card(
            request, annotation, viewer, status=422, editing_reply=reply.pk, reply_edit=form
        )
    except ServiceError as error:  # a 429 keeps what was typed, in the form
        edit: dict[str, Any] = {
            "editing_reply": reply.pk,
            "reply_edit": form,
            "error": error.message,
        }
        return with_retry_after(
            _card(request, annotation, viewer, status=error.status, **edit), error
        )
    return _card(request, annotation, viewer)


@login_required
@require_POST
def reply_delete(request: HttpRequest, slug: str, pk: int, aid: int, rid: int) -> HttpResponse:
    document, viewer, _ = _document(request, slug, pk)
    annotation = _annotation(viewer, document, aid)
    reply = get_object_or_404(Reply, pk=rid, annotation=annotation)
    service.reply_delete(reply=reply, user=signed_in_user(request))
    return _card(request, annotation, viewer)


@login_required
@require_POST
def reattach(request: HttpRequest, slug: str, pk: int, aid: int) -> HttpResponse:
    document, viewer, revision = _document(request, slug, pk)
    annotation = _annotation(viewer, document, aid)
    try:
        start, end = int(request.POST["start"]), int(request.POST["end"])
        service.annotation_reattach(
            annotation=annotation, user=signed_in_user(request), start=start, end=end
        )
    except (KeyError, ValueError):
        return _card(
            request, annotation, viewer, status=422, error="Select the words to attach it to."
        )
    except ServiceError as error:
        return _card(request, annotation, viewer, status=error.status, error=error.message)
    return _card(
        request,
        annotation,
        viewer,
        extra_html=_oob_blocks(request, document, revision, [(start, end)], viewer),
    )


@login_required
@require_POST
def markdown_preview(request: HttpRequest) -> HttpResponse:
    """What a Markdown body will look like, sanitised exactly as it will be shown."""
    body = request.POST.get("body", "")[:BODY_MAX]
    html = markdown.render(body) or '<p class="muted">Nothing to preview.</p>'
    return HttpResponse(f'<div class="markdown-preview prose">{html}</div>')


def _since(value: str) -> datetime | None:
    try:
        parsed = parse_datetime(value) if value else None
    except ValueError:  # well-formed but impossible, e.g. month 13
        return None
    return parsed if parsed and parsed.tzinfo else None


@login_required
@require_GET
def changes(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """What changed in this text's annotations since the reader's last look (204 if nothing).

    Polled every few seconds by every open reader: one indexed query when nothing changed.
    """
    document, membership = access.access_document(request.user, pk, seminar_slug=slug)
    viewer = access.Viewer(signed_in_user(request), membership)
    since = _since(request.GET.get("since", ""))
    if since is not None and not selectors.changed_at_all(document, since):
        return HttpResponse(status=204, headers={"X-Glossa-Since": since.isoformat()})
    newest = selectors.last_change(viewer, document)
    stamp = (newest or since or timezone.now()).isoformat()
    if since is None or newest is None or newest <= since:
        return HttpResponse(status=204, headers={"X-Glossa-Since": stamp})
    # The changes this member sees (access.changes_seen): to what they can see, and an
    # annotation's withdrawal from them (made private, hidden), which must vanish from this
    # reader too. A few seconds of overlap: a transaction may commit after a later one's stamp.
    changed = list(
        access.changes_seen(viewer)
        .filter(document=document, modified_at__gt=since - LIVE_OVERLAP)
        .values_list("pk", "start", "end")
    )
    spans = [(s, e) for _, s, e in changed if s is not None and e is not None]
    if document.current is None:
        raise Http404("This text has no revision.")
    revision = selectors.whole_revision(document.current)  # now the text is needed
    revision.document = document
    filters = selectors.Filters.from_query(request.GET)
    hide = request.GET.get("highlights") == "off"
    # Every open reader asks this every few seconds while members write: segment only the
    # blocks the changes touch (each run of neighbouring ones), not the whole text, with only
    # the highlights that reach into them.
    runs: list[list[int]] = []
    for i, block in enumerate(revision.blocks):
        if any(block["start"] <= e and s <= block["end"] for s, e in spans):
            if runs and runs[-1][1] == i - 1:
                runs[-1][1] = i
            else:
                runs.append([i, i])
    reach = (
        (revision.blocks[runs[0][0]]["start"], revision.blocks[runs[-1][1]]["end"])
        if runs
        else None
    )
    rows = (
        []
        if hide or reach is None
        else selectors.highlight_rows(viewer, document, revision, filters, reach)
    )
    ranges, classify = highlight_classifier(rows)
    blocks = [
        view
        for first, last in runs
        for view in rendering.block_views(
            revision,
            ranges,
            classify=classify,
            within=(revision.blocks[first]["start"], revision.blocks[last]["end"]),
        )
    ]
    touched = [b for b in blocks if any(b.start <= e and s <= b.end for s, e in spans)]
    html = "".join(
        render_to_string("annotate/_block.html", {"block": b, "replace": True}, request)
        for b in touched
    )
    # The page swaps in only the cards it shows (its panel's, listed in `cards`); rendering
    # every changed thread for every open reader was most of this answer's cost.
    ids = [pk for pk, _, _ in changed]
    if "cards" in request.GET:
        shown = set(request.GET["cards"].split(",")[:50])
        ids = [pk for pk in ids if str(pk) in shown]
    shown_cards = selectors.visible(viewer, document).filter(pk__in=ids)
    for annotation in selectors.with_threads(shown_cards):
        annotation.document = document
        html += render_to_string(
            "annotate/_card.html",
            {**_card_context(annotation, viewer), "replace": True},
            request,
        )
    return HttpResponse(html, headers={"X-Glossa-Since": stamp})


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST":
        service.notifications_mark_read(user=user)
        messages.success(request, "All notifications are marked as read.")
        return redirect("notifications")
    found = access.notifications(user).select_related(
        "actor", "annotation__document__seminar", "reply", "export__document", "export__claim"
    )[:100]
    return render_page(request, "annotate/notifications.html", {"notifications": found})
