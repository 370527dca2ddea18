"""Importing texts into a seminar, and correcting them revision by revision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from annotate.ingest import IngestError, Options, decode, ingest
from annotate.ingest.suspects import find_suspects
from annotate.ingest.types import Ingested
from annotate.models import Document, Revision
from annotate.services.annotations import annotations_reanchor
from core import policy
from core.errors import Conflict, PayloadTooLarge, Unprocessable, UnsupportedMedia
from core.models import Seminar, User
from core.policy import Action

FORMATS = ("auto", "ocr", "markdown", "plain")


def source_from_upload(data: bytes) -> str:
    """Decode an uploaded file, refusing what is too large, not text, or empty."""
    limit = settings.UPLOAD_MAX_BYTES
    if len(data) > limit:
        raise PayloadTooLarge(
            f"The file is {len(data) / 1e6:.1f} MB; the largest text Glossa accepts is "
            f"{limit / 1e6:.1f} MB."
        )
    try:
        return decode(data)
    except IngestError as error:
        if error.code == "empty":
            raise Unprocessable(str(error)) from error
        raise UnsupportedMedia(str(error)) from error


def document_preview(
    *, source_text: str, format: str = "auto", first_page: int | None = None, language: str = "en"
) -> Ingested:
    """The cleaned text and its structure, without saving anything."""
    source_check(source_text=source_text, format=format, first_page=first_page)
    try:
        return ingest(source_text, format, Options(first_page=first_page, language=language))
    except IngestError as error:
        raise Unprocessable(str(error)) from error


def source_check(*, source_text: str, format: str, first_page: int | None) -> None:
    """Refuse, cheaply, what no reading could accept: an unknown format, a source too large
    or empty, a first page out of range."""
    if format not in FORMATS:
        raise ValidationError({"format": f"Choose one of: {', '.join(FORMATS)}."})
    if len(source_text.encode()) > settings.UPLOAD_MAX_BYTES:
        raise PayloadTooLarge(
            f"The text is larger than {settings.UPLOAD_MAX_BYTES / 1e6:.1f} MB, "
            "the largest Glossa accepts."
        )
    if not source_text.strip():
        raise Unprocessable("The text is empty.")
    # Reading keeps a record per line: millions of one-letter lines would take gigabytes.
    lines = source_text.count("\n") + 1
    if lines > settings.IMPORT_MAX_LINES:
        raise Unprocessable(
            f"The text has {lines:,} lines; Glossa reads at most {settings.IMPORT_MAX_LINES:,}."
        )
    if first_page is not None and not -100_000 < first_page < 100_000:
        raise ValidationError({"first_page": "Give the printed number of the first page."})


def _revision_fields(ingested: Ingested) -> dict[str, Any]:
    data = ingested.as_dict()
    return {
        key: data[key]
        for key in ("text", "blocks", "pages", "footnote_refs", "suspects", "joins", "line_map")
    }


@transaction.atomic
def document_import(
    *,
    seminar: Seminar,
    user: User,
    title: str,
    source_text: str,
    format: str = "auto",
    author: str = "",
    citation: str = "",
    language: str = "en",
    first_page: int | None = None,
    source_name: str = "",
) -> Document:
    """Publish a text into a seminar as a document with its first revision."""
    policy.require(policy.membership_of(user, seminar), Action.EDIT_TEXTS)
    ingested = document_preview(
        source_text=source_text, format=format, first_page=first_page, language=language
    )
    document = Document(
        seminar=seminar,
        title=title.strip(),
        author=author.strip(),
        citation=citation.strip(),
        language=language.strip() or "en",
        source_format=ingested.format,
        source_name=source_name[:255],
        source_text=source_text,
        first_page=first_page,
        created_by=user,
    )
    document.full_clean(exclude=["current"])
    document.save()
    revision = Revision.objects.create(
        document=document,
        number=1,
        created_by=user,
        reason="Imported",
        **_revision_fields(ingested),
    )
    document.current = revision
    document.save(update_fields=["current"])
    return document


# --- Corrections ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    replacement: str
    reason: str = ""


def _check_edits(revision: Revision, edits: Sequence[Edit]) -> list[Edit]:
    """Sorted edits, each inside one block of the text, none overlapping; else a clear 422."""
    if not edits:
        raise Unprocessable("Give at least one correction.")
    if len(edits) > 500:
        raise Unprocessable("At most 500 corrections at a time.")
    length = len(revision.text)
    ordered = sorted(edits, key=lambda edit: (edit.start, edit.end))
    for index, edit in enumerate(ordered):
        where = f"Correction {edits.index(edit) + 1} ({edit.start}–{edit.end})"
        if not 0 <= edit.start <= edit.end <= length:
            raise Unprocessable(f"{where} is outside the text, which has {length} characters.")
        if edit.start == edit.end and not edit.replacement:
            raise Unprocessable(f"{where} changes nothing.")
        if revision.text[edit.start : edit.end] == edit.replacement:
            raise Unprocessable(f"{where} replaces the text with the same text.")
        if "\n" in edit.replacement or "\r" in edit.replacement:
            raise Unprocessable(f"{where}: a correction cannot contain a line break.")
        if len(edit.replacement) > 2000:
            raise Unprocessable(f"{where}: a replacement can be at most 2000 characters.")
        if index and edit.start < ordered[index - 1].end:
            raise Unprocessable(f"{where} overlaps another correction.")
        if not any(b["start"] <= edit.start and edit.end <= b["end"] for b in revision.blocks):
            raise Unprocessable(f"{where} crosses a heading or paragraph boundary.")
    return ordered


def map_offset(offset: int, edits: Sequence[Edit], *, before_insertions: bool) -> int:
    """Where `offset` of the old text lands in the new one.

    An offset where a replaced span starts stays at the start of its replacement; one inside a
    replaced span lands at the end of its replacement. An insertion made exactly at `offset`
    goes after it when before_insertions, else before it.
    """
    shift = 0
    for edit in edits:
        if edit.start > offset or (edit.start == offset == edit.end and before_insertions):
            break
        if edit.end <= offset:
            shift += len(edit.replacement) - (edit.end - edit.start)
        elif edit.start == offset:  # a replacement begins here
            return offset + shift
        else:  # inside the replaced span
            return edit.start + shift + len(edit.replacement)
    return offset + shift


def _apply(text: str, edits: Sequence[Edit]) -> str:
    pieces, cursor = [], 0
    for edit in edits:
        pieces += [text[cursor : edit.start], edit.replacement]
        cursor = edit.end
    pieces.append(text[cursor:])
    return "".join(pieces)


@transaction.atomic
def revision_correct(
    *,
    document: Document,
    user: User,
    edits: Sequence[Edit],
    reason: str = "",
    base: int | None = None,
) -> Revision:
    """A new revision with the corrections applied; the older ones stay as they were.

    `base` is the revision number the editor was looking at: if someone published another
    revision meanwhile the offsets no longer mean the same thing, so that is a conflict.
    """
    policy.require(policy.membership_of(user, document.seminar), Action.EDIT_TEXTS)
    document = (
        Document.objects.select_for_update(of=("self",))
        .select_related("current")
        .get(pk=document.pk)
    )
    current = document.current
    assert current is not None
    if base is not None and base != current.number:
        raise Conflict(
            f"The text has changed since revision {base}: it is now at revision "
            f"{current.number}. Reload it and make your correction again."
        )
    ordered = _check_edits(current, edits)
    text = _apply(current.text, ordered)

    def moved(offset: int, *, before: bool = False) -> int:
        return map_offset(offset, ordered, before_insertions=before)

    blocks = [
        {**b, "start": moved(b["start"], before=True), "end": moved(b["end"])}
        for b in current.blocks
    ]
    pages = [{**p, "start": moved(p["start"], before=True)} for p in current.pages]
    refs = [{**r, "offset": moved(r["offset"])} for r in current.footnote_refs]
    joins = [{**j, "offset": moved(j["offset"])} for j in current.joins]
    line_map = [{**m, "start": moved(m["start"], before=True)} for m in current.line_map]
    reasons = [reason.strip()] + [e.reason.strip() for e in ordered if e.reason.strip()]
    revision = Revision.objects.create(
        document=document,
        number=current.number + 1,
        text=text,
        blocks=blocks,
        pages=pages,
        footnote_refs=refs,
        suspects=[asdict(s) for s in find_suspects(text, document.language)],
        joins=joins,
        line_map=line_map,
        edits=[
            {
                "start": e.start,
                "end": e.end,
                "original": current.text[e.start : e.end],
                "replacement": e.replacement,
                "reason": e.reason.strip(),
            }
            for e in ordered
        ],
        reason="; ".join(dict.fromkeys(r for r in reasons if r)) or "Correction",
        created_by=user,
        created_at=timezone.now(),
    )
    document.current = revision
    document.save(update_fields=["current"])
    annotations_reanchor(document=document, old=current, new=revision)
    return revision


def revision_replace_quote(
    *,
    document: Document,
    user: User,
    paragraph: int | None,
    find: str,
    replacement: str,
    reason: str,
    base: int | None = None,
) -> Revision:
    """Correct by quoting: replace the text `find` (inside paragraph ¶n when given)."""
    current = document.current
    assert current is not None
    if not find:
        raise ValidationError({"find": "Quote the words to correct."})
    spans = [
        (b["start"], b["end"])
        for b in current.blocks
        if paragraph is None or b.get("number") == paragraph
    ]
    if paragraph is not None and not spans:
        raise ValidationError({"paragraph": f"There is no paragraph ¶{paragraph}."})
    hits = []
    for start, end in spans:
        at = current.text.find(find, start, end)
        while at != -1:
            hits.append(at)
            at = current.text.find(find, at + 1, end)
    if not hits:
        where = f"¶{paragraph}" if paragraph is not None else "the text"
        raise ValidationError({"find": f"“{find}” does not occur in {where}."})
    if len(hits) > 1:
        raise ValidationError(
            {"find": f"“{find}” occurs {len(hits)} times; quote more words or name the paragraph."}
        )
    edit = Edit(start=hits[0], end=hits[0] + len(find), replacement=replacement, reason=reason)
    return revision_correct(document=document, user=user, edits=[edit], reason=reason, base=base)
