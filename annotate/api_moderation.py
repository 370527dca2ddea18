"""The claims and moderation API: claims, disputes, rulings, flags, hiding, locks and the log.

Thin over annotate.services.moderation: each view finds what it acts on (404 for anyone who
may not see it, 403 for a member without the role), parses its input, calls one service.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate import access, selectors, w3c
from annotate.models import (
    BODY_MAX,
    Annotation,
    ClaimStatus,
    ClaimStatusChange,
    Dispute,
    Flag,
    ModerationEvent,
    Reply,
    Ruling,
)
from annotate.services import moderation
from core import policy
from core.api.errors import error
from core.http import signed_in_user
from core.policy import Action

MAX_ID = 2**63 - 1
# What _lock_claim refuses: an annotation that is not a claim (422) or is deleted (409).
NOT_A_CLAIM = error("Not a claim")
QUEUE_LIMIT = 100  # items of each kind the queue lists; its counts are the totals
# What moderators may set a claim to (only its author withdraws it).
SETTABLE_STATUSES = [c for c in ClaimStatus.choices if c[0] != ClaimStatus.WITHDRAWN]
LOG_ACTIONS = tuple(ModerationEvent.Action.values)
LOG_TARGETS = tuple(ModerationEvent.Target.values)
STATUS_HELP = f"A claim's status: {', '.join(ClaimStatus.values)}"


def _choice(choices: list[tuple[str, str]], what: str, **kwargs: Any) -> serializers.ChoiceField:
    """A choice field whose error names the choices (DRF's only says "not a valid choice")."""
    names = ", ".join(value for value, _ in choices)
    message = f'"{{input}}" is not {what}: choose {names}.'
    return serializers.ChoiceField(
        choices=choices, error_messages={"invalid_choice": message}, **kwargs
    )


# --- Reads -----------------------------------------------------------------------------------
# What a request acts on is found by annotate.access (404 for what the viewer may not see or act
# on, then 403 without the role); the claims and the queue are annotate.selectors', as on the
# pages.


def _claim_filters(request: Request) -> selectors.ClaimFilters:
    """The API's parsing of the claims list's query (400 for what it cannot use)."""
    query = request.query_params
    problems: dict[str, str] = {}
    wanted = query.get("status", "")
    if wanted and wanted not in ClaimStatus.values:
        problems["status"] = f"Filter by status: {', '.join(ClaimStatus.values)}."
    document = query.get("document", "")
    if document and not (document.isdigit() and len(document) <= 18):
        problems["document"] = "`document` is a text's id (a whole number)."
    sort = query.get("sort", "activity")
    if sort not in ("activity", "contested"):
        problems["sort"] = "Sort by activity (newest first) or contested (most disputed)."
    if problems:
        raise ValidationError(problems)
    return selectors.ClaimFilters(
        status=wanted,
        document=int(document) if document else None,
        member=query.get("member", "")[:150],
        sort=sort,
    )


def _context(request: Request, viewer: access.Viewer) -> dict[str, Any]:
    return {"request": request, "viewer": viewer}


def _body(context: Mapping[str, Any], item: Annotation | Reply) -> str | None:
    """The body, or null where the viewer sees only a notice (access.body_shown)."""
    return item.body if access.body_shown(context["viewer"], item) else None


# --- Output ----------------------------------------------------------------------------------


class StancesSerializer(serializers.Serializer[Any]):
    supports = serializers.IntegerField(help_text="Members who support the claim")
    disputes = serializers.IntegerField(help_text="Members who dispute it")
    asks = serializers.IntegerField(help_text="Members who ask for clarification")


class ClaimSerializer(serializers.ModelSerializer[Annotation]):
    """A claim; `body` is null for a hidden claim unless you wrote it or moderate."""

    iri = serializers.SerializerMethodField(help_text="Its W3C annotation IRI")
    document = serializers.IntegerField(source="document_id")
    body = serializers.SerializerMethodField()
    author = serializers.CharField(source="author.username")
    status = serializers.SerializerMethodField(help_text=STATUS_HELP)
    stances = serializers.SerializerMethodField()
    open_disputes = serializers.IntegerField(source="n_open_disputes")
    created = serializers.DateTimeField(source="created_at")
    modified = serializers.DateTimeField(source="modified_at")

    class Meta:
        model = Annotation
        fields = [
            "id",
            "iri",
            "document",
            "exact",
            "body",
            "author",
            "status",
            "visibility",
            "hidden",
            "locked",
            "stances",
            "open_disputes",
            "created",
            "modified",
        ]

    def get_iri(self, claim: Annotation) -> str:
        return w3c.annotation_iri(self.context["request"], claim.seminar.slug, claim.pk)

    def get_body(self, claim: Annotation) -> str | None:
        return _body(self.context, claim)

    def get_status(self, claim: Annotation) -> str:
        return claim.claim_status or ClaimStatus.OPEN

    @extend_schema_field(StancesSerializer)
    def get_stances(self, claim: Annotation) -> dict[str, int]:
        return {name: getattr(claim, f"n_{name}") for name in selectors.STANCE_NAMES}


class ThreadReplySerializer(serializers.ModelSerializer[Reply]):
    """A reply; `body` is null for a hidden one unless you wrote it or moderate."""

    depth = serializers.SerializerMethodField()
    author = serializers.CharField(source="author.username")
    body = serializers.SerializerMethodField()
    deleted = serializers.SerializerMethodField()
    created = serializers.DateTimeField(source="created_at")
    modified = serializers.DateTimeField(source="modified_at")

    class Meta:
        model = Reply
        fields = [
            "id",
            "parent",
            "depth",
            "author",
            "stance",
            "body",
            "hidden",
            "deleted",
            "created",
            "modified",
        ]

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # `parent` is also an attribute of every DRF field, so it is declared here.
        fields = super().get_fields()
        fields["parent"] = serializers.IntegerField(source="parent_id", allow_null=True)
        return fields

    def get_depth(self, reply: Reply) -> int:
        depths: dict[int, int] = self.context.get("depths", {})
        return depths.get(reply.pk, 0)

    def get_body(self, reply: Reply) -> str | None:
        return _body(self.context, reply)

    def get_deleted(self, reply: Reply) -> bool:
        return reply.deleted_at is not None


class RulingSerializer(serializers.ModelSerializer[Ruling]):
    dispute = serializers.IntegerField(source="dispute_id")
    moderator = serializers.CharField(source="moderator.username", default=None)
    created = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Ruling
        fields = ["id", "dispute", "decision", "text", "moderator", "claim_status", "created"]


class DisputeSerializer(serializers.ModelSerializer[Dispute]):
    claim = serializers.IntegerField(source="claim_id")
    opened_by = serializers.CharField(source="opened_by.username")
    evidence = serializers.ListField(child=serializers.DictField())
    ruling = RulingSerializer(read_only=True, allow_null=True)
    created = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Dispute
        fields = [
            "id",
            "claim",
            "grounds",
            "statement",
            "evidence",
            "status",
            "opened_by",
            "created",
            "ruling",
        ]


class StatusChangeSerializer(serializers.ModelSerializer[ClaimStatusChange]):
    # Plain strings in the schema: the claim statuses' enum is named once, as `claim_status`.
    old = serializers.CharField(help_text=STATUS_HELP)
    new = serializers.CharField(help_text=STATUS_HELP)
    actor = serializers.CharField(source="actor.username", default=None)
    created = serializers.DateTimeField(source="created_at")

    class Meta:
        model = ClaimStatusChange
        fields = ["old", "new", "actor", "reason", "created"]


class ClaimDetailSerializer(ClaimSerializer):
    """A claim with its thread (in reading order), disputes with rulings, and history."""

    thread = serializers.SerializerMethodField()
    disputes = DisputeSerializer(many=True)
    history = StatusChangeSerializer(many=True, source="status_changes")

    class Meta(ClaimSerializer.Meta):
        fields = [*ClaimSerializer.Meta.fields, "thread", "disputes", "history"]

    @extend_schema_field(ThreadReplySerializer(many=True))
    def get_thread(self, claim: Annotation) -> list[dict[str, Any]]:
        tree = access.thread(self.context["viewer"], claim)
        context = {**self.context, "depths": {post.reply.pk: post.depth for post in tree}}
        replies = [post.reply for post in tree]
        return list(ThreadReplySerializer(replies, many=True, context=context).data)


class FlagSerializer(serializers.ModelSerializer[Flag]):
    annotation = serializers.IntegerField(source="annotation_id", allow_null=True)
    reply = serializers.IntegerField(source="reply_id", allow_null=True)
    reporter = serializers.CharField(source="reporter.username")
    created = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Flag
        fields = ["id", "annotation", "reply", "reason", "note", "status", "reporter", "created"]


class ModeratedAnnotationSerializer(serializers.ModelSerializer[Annotation]):
    modified = serializers.DateTimeField(source="modified_at")

    class Meta:
        model = Annotation
        fields = ["id", "kind", "hidden", "locked", "modified"]


class ModeratedReplySerializer(serializers.ModelSerializer[Reply]):
    annotation = serializers.IntegerField(source="annotation_id")
    modified = serializers.DateTimeField(source="modified_at")

    class Meta:
        model = Reply
        fields = ["id", "annotation", "hidden", "modified"]


class EventSerializer(serializers.ModelSerializer[ModerationEvent]):
    actor = serializers.CharField(source="actor.username", default=None)
    created = serializers.DateTimeField(source="created_at")

    class Meta:
        model = ModerationEvent
        fields = [
            "id",
            "action",
            "actor",
            "actor_name",
            "target_type",
            "target_id",
            "old_state",
            "new_state",
            "reason",
            "created",
        ]


class ClaimPageSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ClaimSerializer(many=True)


class EventPageSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = EventSerializer(many=True)


class QueueCountsSerializer(serializers.Serializer[Any]):
    flags = serializers.IntegerField()
    disputes = serializers.IntegerField()
    under_review = serializers.IntegerField()


class QueueSerializer(serializers.Serializer[Any]):
    counts = QueueCountsSerializer()
    flags = FlagSerializer(many=True)
    disputes = DisputeSerializer(many=True)
    under_review = ClaimSerializer(many=True)


# --- Input -----------------------------------------------------------------------------------


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=4000, help_text="For the log"
    )


class ClaimStatusSerializer(serializers.Serializer[Any]):
    status = _choice(SETTABLE_STATUSES, "a status a moderator sets (only its author withdraws)")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class DisputeCreateSerializer(serializers.Serializer[Any]):
    grounds = _choice(Dispute.Grounds.choices, "a ground for a dispute")
    statement = serializers.CharField(allow_blank=True, max_length=BODY_MAX)
    evidence = serializers.ListField(
        child=serializers.JSONField(),
        required=False,
        default=list,
        help_text='Up to 20 citations: {"kind": "passage", "start", "end"} (code points of '
        'the current text), {"kind": "source", "citation", "page"} or '
        '{"kind": "url", "url", "title"}',
    )


class RulingCreateSerializer(serializers.Serializer[Any]):
    decision = _choice(Ruling.Decision.choices, "a decision")
    text = serializers.CharField(allow_blank=True, max_length=BODY_MAX)
    claim_status = _choice(
        ClaimStatus.choices,
        "a status for the claim",
        required=False,
        allow_null=True,
        help_text="The claim's status after the ruling (default: rejected if the dispute is "
        "accepted, upheld if it is dismissed)",
    )


class FlagCreateSerializer(serializers.Serializer[Any]):
    annotation = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    reply = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    reason = _choice(Flag.Reason.choices, "a reason to flag")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if ("annotation" in data) == ("reply" in data):
            raise serializers.ValidationError("Flag one thing: send `annotation` or `reply`.")
        return data


def _parsed(serializer: serializers.Serializer[Any]) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- Claims ----------------------------------------------------------------------------------


def _claim_data(request: Request, viewer: access.Viewer, pk: int) -> dict[str, Any]:
    claim = selectors.claims(viewer).get(pk=pk)
    return dict(ClaimSerializer(claim, context=_context(request, viewer)).data)


class ClaimList(APIView):
    @extend_schema(
        operation_id="v1_seminars_claims_list",
        responses=ClaimPageSerializer,
        parameters=[
            OpenApiParameter("status", str, enum=ClaimStatus.values),
            OpenApiParameter("document", int, description="A text's id"),
            OpenApiParameter("member", str, description="Its author's username"),
            OpenApiParameter("sort", str, enum=["activity", "contested"]),
            OpenApiParameter("page", int),
        ],
        summary="The seminar's claims (?status, ?document, ?member; ?sort=activity|contested)",
    )
    def get(self, request: Request, slug: str) -> Response:
        viewer = access.Viewer.at(request.user, slug)
        found = _claim_filters(request).apply(selectors.claims(viewer))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(found, request, view=self)
        assert page is not None
        data = ClaimSerializer(page, many=True, context=_context(request, viewer)).data
        return paginator.get_paginated_response(data)


class ClaimDetail(APIView):
    @extend_schema(
        operation_id="v1_claims_retrieve",
        responses=ClaimDetailSerializer,
        summary="A claim with its thread, disputes, rulings and history",
    )
    def get(self, request: Request, pk: int) -> Response:
        claim, viewer = access.access_claim(request.user, pk)
        replies = Reply.objects.select_related("author").order_by("created_at", "pk")
        disputes = Dispute.objects.select_related("opened_by", "ruling__moderator")
        history = ClaimStatusChange.objects.select_related("actor")
        full = (
            selectors.claims(viewer)
            .prefetch_related(
                Prefetch("replies", queryset=replies),
                Prefetch("disputes", queryset=disputes),
                Prefetch("status_changes", queryset=history),
            )
            .get(pk=claim.pk)
        )
        return Response(ClaimDetailSerializer(full, context=_context(request, viewer)).data)


class ClaimDisputes(APIView):
    @extend_schema(
        operation_id="v1_claims_disputes_create",
        request=DisputeCreateSerializer,
        responses={
            201: DisputeSerializer,
            409: error("Your own claim, or one that is withdrawn, upheld or rejected"),
            422: NOT_A_CLAIM,
            429: error("Too many disputes in an hour"),
        },
        summary="Dispute a claim, with grounds, a statement and evidence (members)",
    )
    def post(self, request: Request, pk: int) -> Response:
        claim, _ = access.access_claim(request.user, pk, Action.PARTICIPATE)
        data = _parsed(DisputeCreateSerializer(data=request.data))
        dispute = moderation.claim_dispute(claim=claim, user=signed_in_user(request), **data)
        return Response(DisputeSerializer(dispute).data, status=status.HTTP_201_CREATED)


class ClaimWithdraw(APIView):
    @extend_schema(
        operation_id="v1_claims_withdraw",
        request=ReasonSerializer,
        responses={
            200: ClaimSerializer,
            409: error("The claim is no longer open"),
            422: NOT_A_CLAIM,
        },
        summary="Withdraw your claim while it is open (its author)",
    )
    def post(self, request: Request, pk: int) -> Response:
        # Whole (a hidden claim is only its author's to act on); the service checks that the
        # user wrote it, then that they still take part.
        claim, viewer = access.access_claim(request.user, pk, whole=True)
        data = _parsed(ReasonSerializer(data=request.data))
        moderation.claim_withdraw(claim=claim, user=signed_in_user(request), reason=data["reason"])
        return Response(_claim_data(request, viewer, claim.pk))


class ClaimStatusView(APIView):
    @extend_schema(
        operation_id="v1_claims_status",
        request=ClaimStatusSerializer,
        responses={
            200: ClaimSerializer,
            409: error("A withdrawn claim keeps its status"),
            422: NOT_A_CLAIM,
        },
        summary="Set a claim's status, with a reason (moderators)",
    )
    def post(self, request: Request, pk: int) -> Response:
        claim, viewer = access.access_claim(request.user, pk, Action.MODERATE)
        data = _parsed(ClaimStatusSerializer(data=request.data))
        moderation.claim_set_status(
            claim=claim, actor=signed_in_user(request), status=data["status"], reason=data["reason"]
        )
        return Response(_claim_data(request, viewer, claim.pk))


class DisputeRuling(APIView):
    @extend_schema(
        operation_id="v1_disputes_ruling_create",
        request=RulingCreateSerializer,
        responses={
            201: RulingSerializer,
            409: error("The dispute has already been ruled on"),
            422: NOT_A_CLAIM,
        },
        summary="Rule on an open dispute: accept or dismiss it, with reasons (moderators; once)",
    )
    def post(self, request: Request, pk: int) -> Response:
        dispute, _ = access.access_dispute(request.user, pk, Action.MODERATE)
        data = _parsed(RulingCreateSerializer(data=request.data))
        ruling = moderation.dispute_rule(
            dispute=dispute,
            moderator=signed_in_user(request),
            decision=data["decision"],
            text=data["text"],
            claim_status=data.get("claim_status"),
        )
        return Response(RulingSerializer(ruling).data, status=status.HTTP_201_CREATED)


# --- Flags -----------------------------------------------------------------------------------


class FlagCreate(APIView):
    @extend_schema(
        operation_id="v1_flags_create",
        request=FlagCreateSerializer,
        responses={
            201: FlagSerializer,
            404: error("No such annotation or reply, or not yours to see"),
            409: error("You have already flagged it"),
            429: error("Too many flags in an hour"),
        },
        summary="Flag an annotation or a reply for the moderators (once each)",
    )
    def post(self, request: Request) -> Response:
        data = _parsed(FlagCreateSerializer(data=request.data))
        annotation, reply = None, None
        if "annotation" in data:
            annotation, _ = access.access_annotation(
                request.user, data["annotation"], Action.PARTICIPATE
            )
        else:
            reply, _ = access.access_reply(request.user, data["reply"], Action.PARTICIPATE)
        flag = moderation.flag_create(
            user=signed_in_user(request),
            reason=data["reason"],
            note=data["note"],
            annotation=annotation,
            reply=reply,
        )
        return Response(FlagSerializer(flag).data, status=status.HTTP_201_CREATED)


class FlagDismiss(APIView):
    @extend_schema(
        operation_id="v1_flags_dismiss",
        request=ReasonSerializer,
        responses=FlagSerializer,
        summary="Dismiss a flag (moderators)",
    )
    def post(self, request: Request, pk: int) -> Response:
        flag, _ = access.access_flag(request.user, pk, Action.MODERATE)
        data = _parsed(ReasonSerializer(data=request.data))
        flag = moderation.flag_dismiss(
            flag=flag, moderator=signed_in_user(request), reason=data["reason"]
        )
        return Response(
            FlagSerializer(Flag.objects.select_related("reporter").get(pk=flag.pk)).data
        )


# --- Hiding and locking ----------------------------------------------------------------------


class _AnnotationModeration(APIView):
    """Hide, restore, lock or unlock; setting the state it already has changes and logs nothing."""

    hidden: bool | None = None
    locked: bool | None = None

    def post(self, request: Request, pk: int) -> Response:
        annotation, _ = access.access_annotation(request.user, pk, Action.MODERATE)
        reason = _parsed(ReasonSerializer(data=request.data))["reason"]
        user = signed_in_user(request)
        if self.hidden is not None:
            moderation.content_set_hidden(
                moderator=user, hidden=self.hidden, reason=reason, annotation=annotation
            )
        else:
            assert self.locked is not None
            moderation.thread_set_locked(
                annotation=annotation, moderator=user, locked=self.locked, reason=reason
            )
        annotation.refresh_from_db()
        return Response(ModeratedAnnotationSerializer(annotation).data)


def _moderating(
    operation_id: str, summary: str, response: type[serializers.Serializer[Any]]
) -> Any:
    return extend_schema_view(
        post=extend_schema(
            operation_id=operation_id,
            request=ReasonSerializer,
            responses=response,
            summary=summary,
        )
    )


@_moderating(
    "v1_annotations_hide", "Hide an annotation (moderators)", ModeratedAnnotationSerializer
)
class AnnotationHide(_AnnotationModeration):
    hidden = True


@_moderating(
    "v1_annotations_restore",
    "Restore a hidden annotation (moderators)",
    ModeratedAnnotationSerializer,
)
class AnnotationRestore(_AnnotationModeration):
    hidden = False


@_moderating(
    "v1_annotations_lock", "Lock an annotation's thread (moderators)", ModeratedAnnotationSerializer
)
class AnnotationLock(_AnnotationModeration):
    locked = True


@_moderating(
    "v1_annotations_unlock",
    "Unlock an annotation's thread (moderators)",
    ModeratedAnnotationSerializer,
)
class AnnotationUnlock(_AnnotationModeration):
    locked = False


class _ReplyModeration(APIView):
    hidden = True

    def post(self, request: Request, pk: int) -> Response:
        reply, _ = access.access_reply(request.user, pk, Action.MODERATE)
        reason = _parsed(ReasonSerializer(data=request.data))["reason"]
        moderation.content_set_hidden(
            moderator=signed_in_user(request), hidden=self.hidden, reason=reason, reply=reply
        )
        reply.refresh_from_db()
        return Response(ModeratedReplySerializer(reply).data)


@_moderating("v1_replies_hide", "Hide a reply (moderators)", ModeratedReplySerializer)
class ReplyHide(_ReplyModeration):
    hidden = True


@_moderating("v1_replies_restore", "Restore a hidden reply (moderators)", ModeratedReplySerializer)
class ReplyRestore(_ReplyModeration):
    hidden = False


# --- The log and the queue -------------------------------------------------------------------


def _log_filters(request: Request) -> selectors.LogFilters:
    """The API's parsing of the log's query (400 for an action or target it does not know)."""
    query = request.query_params
    problems: dict[str, str] = {}
    action = query.get("action", "")
    if action and action not in LOG_ACTIONS:
        problems["action"] = f"Filter by action: {', '.join(LOG_ACTIONS)}."
    target_type = query.get("target_type", "")
    if target_type and target_type not in LOG_TARGETS:
        problems["target_type"] = f"Filter by target_type: {', '.join(LOG_TARGETS)}."
    if problems:
        raise ValidationError(problems)
    actor = query.get("actor", "")[:150]
    return selectors.LogFilters(action=action, actor=actor, target_type=target_type)


class ModerationLog(APIView):
    @extend_schema(
        operation_id="v1_seminars_moderation_log_list",
        responses=EventPageSerializer,
        parameters=[
            OpenApiParameter("action", str, enum=list(LOG_ACTIONS)),
            OpenApiParameter("actor", str, description="A moderator's username"),
            OpenApiParameter("target_type", str, enum=list(LOG_TARGETS)),
            OpenApiParameter("page", int),
        ],
        summary="Every moderation action in the seminar, newest first (?action, ?actor, "
        "?target_type)",
    )
    def get(self, request: Request, slug: str) -> Response:
        seminar, _ = policy.access_seminar(request.user, slug)
        events = selectors.moderation_log(seminar, _log_filters(request))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(events, request, view=self)
        assert page is not None
        return paginator.get_paginated_response(EventSerializer(page, many=True).data)


class ModerationQueue(APIView):
    @extend_schema(
        operation_id="v1_seminars_moderation_queue_retrieve",
        responses=QueueSerializer,
        summary="What awaits the moderators: open flags, open disputes, claims under review",
    )
    def get(self, request: Request, slug: str) -> Response:
        viewer = access.Viewer.at(request.user, slug, Action.MODERATE)
        queue = selectors.moderation_queue(viewer)
        flags, disputes, review = queue["flags"], queue["disputes"], queue["review"]
        return Response(
            {
                "counts": {
                    "flags": flags.count(),
                    "disputes": disputes.count(),
                    "under_review": review.count(),
                },
                "flags": FlagSerializer(flags[:QUEUE_LIMIT], many=True).data,
                "disputes": DisputeSerializer(disputes[:QUEUE_LIMIT], many=True).data,
                "under_review": ClaimSerializer(
                    review[:QUEUE_LIMIT], many=True, context=_context(request, viewer)
                ).data,
            }
        )
