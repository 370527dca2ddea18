"""Documents and their revisions: the texts a seminar reads."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone

from core.models import Seminar, User


class DocumentQuerySet(models.QuerySet["Document"]):
    def visible_to(self, user: Any) -> DocumentQuerySet:
        """Documents of the seminars the user belongs to."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(seminar__memberships__user=user)


class Document(models.Model):
    class Format(models.TextChoices):
        OCR = "ocr", "OCR text"
        MARKDOWN = "markdown", "Markdown"
        PLAIN = "plain", "Plain text"

    seminar = models.ForeignKey(Seminar, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=300)
    author = models.CharField(max_length=300, blank=True)
    citation = models.TextField(blank=True, max_length=2000)
    language = models.CharField(max_length=16, default="en")
    source_format = models.CharField(max_length=16, choices=Format.choices)
    source_name = models.CharField(max_length=255, blank=True)
    source_text = models.TextField()
    first_page = models.IntegerField(null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # The newest revision; kept here so lists and the reader need no extra query.
    current = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["seminar", "title", "pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reader", args=[self.seminar.slug, self.pk])


class Revision(models.Model):
    """One immutable state of a document's reading text (the database refuses UPDATEs).

    Offsets in blocks, pages, footnote_refs and suspects count code points of `text`.
    `edits` are the corrections that made this revision from the previous one:
    [{"start", "end", "original", "replacement"}] in the previous revision's offsets.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    blocks = models.JSONField(default=list)
    pages = models.JSONField(default=list)
    footnote_refs = models.JSONField(default=list)
    suspects = models.JSONField(default=list)
    joins = models.JSONField(default=list)
    line_map = models.JSONField(default=list)
    edits = models.JSONField(default=list)
    reason = models.TextField(blank=True, max_length=2000)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="revision_unique_number"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="revision_number_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.document} r{self.number}"

    def get_absolute_url(self) -> str:
        return reverse(
            "reader-revision", args=[self.document.seminar.slug, self.document_id, self.number]
        )

    @property
    def paragraph_count(self) -> int:
        return sum(1 for block in self.blocks if block["kind"] == "paragraph")

    @property
    def word_count(self) -> int:
        return len(self.text.split())


# The longest body of an annotation, reply, dispute statement, ruling or reason (characters):
# models, forms, serializers, services and the W3C parser all say this one number.
BODY_MAX = 20_000


class ClaimStatus(models.TextChoices):
    OPEN = "open", "Open"
    DISPUTED = "disputed", "Disputed"
    UNDER_REVIEW = "under_review", "Under review"
    UPHELD = "upheld", "Upheld"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class AnnotationQuerySet(models.QuerySet["Annotation"]):
    """Who sees which annotations is annotate.access's to say (annotations(), and the rest)."""


class Annotation(models.Model):
    """A mark on a passage: a highlight, or a comment, question or claim with a body.

    Anchored by a W3C TextQuoteSelector (exact, prefix, suffix) and a TextPositionSelector
    (start, end in code points) on `revision`; `made_on` is the revision it was made on.
    """

    class Kind(models.TextChoices):
        HIGHLIGHT = "highlight", "Highlight"
        COMMENT = "comment", "Comment"
        QUESTION = "question", "Question"
        CLAIM = "claim", "Claim"

    class Visibility(models.TextChoices):
        PRIVATE = "private", "Only me"
        SEMINAR = "seminar", "The seminar"

    class AnchorStatus(models.TextChoices):
        ANCHORED = "anchored", "Anchored"
        RELOCATED = "relocated", "Relocated"
        ORPHANED = "orphaned", "Orphaned"

    seminar = models.ForeignKey(Seminar, on_delete=models.CASCADE, related_name="annotations")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="annotations")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="annotations")
    made_on = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    start = models.IntegerField(null=True, blank=True)
    end = models.IntegerField(null=True, blank=True)
    exact = models.TextField(max_length=5000)
    prefix = models.TextField(blank=True, max_length=64)
    suffix = models.TextField(blank=True, max_length=64)
    anchor_status = models.CharField(
        max_length=16, choices=AnchorStatus.choices, default=AnchorStatus.ANCHORED
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.COMMENT)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.SEMINAR
    )
    body = models.TextField(blank=True, max_length=BODY_MAX)
    tags = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="annotations")
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now, db_index=True)
    version = models.PositiveIntegerField(default=1)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # A posted W3C `canonical` IRI, kept as given (IRIs such as urn:uuid:… are not URLs).
    canonical = models.CharField(blank=True, max_length=2000)
    # Where an imported annotation came from: original creator, dates, id.
    provenance = models.JSONField(default=dict, blank=True)
    # Claims only: where the argument about it stands (see ClaimStatus).
    # "" on claims made before they had a status, which means open.
    claim_status = models.CharField(
        max_length=16, choices=ClaimStatus.choices, blank=True, default=""
    )
    hidden = models.BooleanField(default=False)  # hidden by a moderator
    # When it last stopped being seen by members who saw it (made private, hidden): that one
    # change still reaches their readers, which must drop it (annotate.access.changes_seen).
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    locked = models.BooleanField(default=False)  # thread locked by a moderator
    search = models.GeneratedField(
        expression=SearchVector("body", "exact", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = AnnotationQuerySet.as_manager()

    class Meta:
        ordering = ["document", "start", "pk"]
        indexes = [
            models.Index(fields=["document", "modified_at"], name="annotation_changes"),
            models.Index(fields=["seminar", "kind"], name="annotation_seminar_kind"),
            GinIndex(fields=["search"], name="annotation_search"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(anchor_status="orphaned")
                | models.Q(start__isnull=False, end__isnull=False, start__lte=models.F("end")),
                name="annotation_anchored_has_span",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["highlight", "comment", "question", "claim"]),
                name="annotation_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.author} on “{self.exact[:40]}”"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Reply(models.Model):
    """A reply in an annotation's thread; replies can answer replies (nested threads)."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="replies")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="replies")
    body = models.TextField(max_length=BODY_MAX)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now, db_index=True)
    version = models.PositiveIntegerField(default=1)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Stance(models.TextChoices):
        """A reply's stance; every one but COMMENT counts towards a claim's consensus."""

        COMMENT = "comment", "Comment"
        SUPPORTS = "supports", "Supports"
        DISPUTES = "disputes", "Disputes"
        ASKS = "asks", "Asks for clarification"

    stance = models.CharField(max_length=16, choices=Stance.choices, default=Stance.COMMENT)
    hidden = models.BooleanField(default=False)
    search = models.GeneratedField(
        expression=SearchVector("body", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [GinIndex(fields=["search"], name="reply_search")]

    def __str__(self) -> str:
        return f"reply by {self.author} to {self.annotation_id}"


class Notification(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", "Reply"
        MENTION = "mention", "Mention"
        MODERATION = "moderation", "Moderation"
        EXPORT = "export", "Export"

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # What it is about: an annotation (reply, mention, moderation) or an export (ready/failed).
    annotation = models.ForeignKey(
        Annotation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    export = models.ForeignKey(
        "ExportJob", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(annotation__isnull=False) | models.Q(export__isnull=False),
                name="notification_has_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient}"


# --- Claims, disputes and moderation ---------------------------------------------------------


class ClaimStatusChange(models.Model):
    """Every change of a claim's status: who, when, why (its history)."""

    claim = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="status_changes")
    old = models.CharField(max_length=16, choices=ClaimStatus.choices, blank=True)
    new = models.CharField(max_length=16, choices=ClaimStatus.choices)
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(blank=True, max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.old} → {self.new}"


class Dispute(models.Model):
    class Grounds(models.TextChoices):
        MISQUOTATION = "misquotation", "Misquotation"
        MISREADING = "misreading", "Misreading in context"
        FACTUAL_ERROR = "factual_error", "Factual error"
        MISSING_CONTEXT = "missing_context", "Missing context"
        UNSUPPORTED = "unsupported", "Unsupported by the source"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"

    claim = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="disputes")
    opened_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="disputes")
    grounds = models.CharField(max_length=24, choices=Grounds.choices)
    statement = models.TextField(max_length=BODY_MAX)
    # Citations: {"kind": "passage", "start", "end", "exact"} (this text), {"kind": "source",
    # "citation", "page"} or {"kind": "url", "url", "title"}.
    evidence = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"dispute of {self.claim_id} ({self.status})"


class Ruling(models.Model):
    """A moderator's reasoned decision on a dispute; one per dispute, enforced by PostgreSQL."""

    class Decision(models.TextChoices):
        ACCEPT = "accept", "Accept the dispute"
        DISMISS = "dismiss", "Dismiss the dispute"

    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="ruling")
    moderator = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    decision = models.CharField(max_length=16, choices=Decision.choices)
    text = models.TextField(max_length=BODY_MAX)
    claim_status = models.CharField(max_length=16, choices=ClaimStatus.choices)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"ruling on {self.dispute_id}: {self.decision}"


class Flag(models.Model):
    class Reason(models.TextChoices):
        OFF_TOPIC = "off_topic", "Off-topic"
        ABUSIVE = "abusive", "Abusive"
        SPAM = "spam", "Spam"
        MISQUOTES = "misquotes", "Misquotes the text"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DISMISSED = "dismissed", "Dismissed"
        ACTIONED = "actioned", "Actioned"

    seminar = models.ForeignKey(Seminar, on_delete=models.CASCADE, related_name="flags")
    reporter = models.ForeignKey(User, on_delete=models.CASCADE, related_name="flags")
    annotation = models.ForeignKey(
        Annotation, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    note = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(annotation__isnull=False, reply__isnull=True)
                | models.Q(annotation__isnull=True, reply__isnull=False),
                name="flag_one_target",
            ),
            models.UniqueConstraint(
                fields=["reporter", "annotation"],
                condition=models.Q(annotation__isnull=False),
                name="flag_once_per_annotation",
            ),
            models.UniqueConstraint(
                fields=["reporter", "reply"],
                condition=models.Q(reply__isnull=False),
                name="flag_once_per_reply",
            ),
        ]

    def __str__(self) -> str:
        return f"flag by {self.reporter_id} ({self.reason})"


class ModerationEvent(models.Model):
    """The audit log: every moderation action, append-only (PostgreSQL refuses UPDATE/DELETE)."""

    class Action(models.TextChoices):
        """Everything written to the log (annotate.services.moderation, core.services.seminars):
        the one list the pages' and the API's log filters offer."""

        SET_CLAIM_STATUS = "set_claim_status", "set a claim's status"
        RULE_ACCEPT = "rule_accept", "accepted a dispute"
        RULE_DISMISS = "rule_dismiss", "dismissed a dispute"
        DISMISS_FLAG = "dismiss_flag", "dismissed a flag"
        HIDE = "hide", "hid"
        RESTORE = "restore", "restored"
        LOCK = "lock", "locked a thread"
        UNLOCK = "unlock", "unlocked a thread"
        REMOVE_MEMBER = "remove_member", "removed a member"
        REVOKE_INVITES = "revoke_invites", "revoked invitations"

    class Target(models.TextChoices):
        ANNOTATION = "annotation"
        REPLY = "reply"
        DISPUTE = "dispute"
        FLAG = "flag"
        USER = "user"

    seminar = models.ForeignKey(Seminar, on_delete=models.PROTECT, related_name="+")
    # No database constraint and no SET NULL: rows here are never updated, so a deleted
    # account leaves its id and name behind.
    actor = models.ForeignKey(
        User, null=True, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    target_type = models.CharField(max_length=16, choices=Target.choices)
    target_id = models.BigIntegerField()
    old_state = models.CharField(max_length=32, blank=True)
    new_state = models.CharField(max_length=32, blank=True)
    reason = models.TextField(blank=True, max_length=BODY_MAX)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type} {self.target_id}"


# --- Exports --------------------------------------------------------------------------------


class ExportJob(models.Model):
    """One requested export: built by a Celery task, stored through Django's storage API."""

    class Kind(models.TextChoices):
        EDITION = "edition", "Annotated edition"
        CLAIM = "claim", "Claim record"
        ARCHIVE = "archive", "Seminar archive"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    seminar = models.ForeignKey(Seminar, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="exports")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    format = models.CharField(max_length=16)
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    claim = models.ForeignKey(
        Annotation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    options = models.JSONField(default=dict, blank=True)
    # The same request (who, what, how) while one is queued or running reuses that job.
    fingerprint = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    file = models.CharField(max_length=500, blank=True)  # a name in default_storage
    file_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # When it was handed to Celery. A member's other queued jobs wait here, unsent, until
    # theirs ends (services.exports): one member's burst never fills the queue.
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="export_progress_percent"
            ),
        ]
        indexes = [
            # A member's queued and running jobs: counted against the cap, sent in turn.
            models.Index(
                fields=["requested_by", "created_at"],
                condition=models.Q(status__in=["queued", "running"]),
                name="export_active_by_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.format} export {self.pk} ({self.status})"

    @property
    def folder(self) -> str:
        """Where its file is stored: the same for every run of this job, and never another
        job's, even if ids are reused (a restored backup, a test database)."""
        return f"exports/{self.pk}-{self.created_at:%Y%m%d%H%M%S%f}"


# --- Imports --------------------------------------------------------------------------------


class ImportJob(models.Model):
    """A text-import preview or publication, or an import of W3C annotations, too large to read
    inside a web request: read by a Celery task with a time limit, while the page (or the API
    client) follows its progress."""

    class Kind(models.TextChoices):
        PREVIEW = "preview", "Preview"
        PUBLISH = "publish", "Publish"
        ANNOTATIONS = "annotations", "W3C annotations"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Reading the text"
        SUCCEEDED = "succeeded", "Done"
        FAILED = "failed", "Failed"

    seminar = models.ForeignKey(Seminar, on_delete=models.CASCADE, related_name="imports")
    requested_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="imports")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source_text = models.TextField()
    source_name = models.CharField(max_length=255, blank=True)
    # Texts: format, first_page, language, described (title, author, citation). W3C
    # annotations (source_text is their JSON): document, revision.
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # A preview's result: the Ingested structure as a dict (Ingested.as_dict()); a W3C
    # import's: what became of each item (as the API answers an import made in the request).
    result = models.JSONField(null=True, blank=True)
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)
    error_status = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["requested_by", "status"], name="import_user_status")]

    def __str__(self) -> str:
        return f"{self.kind} import {self.pk} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
