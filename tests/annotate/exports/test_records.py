"""Claim records, disputes and rulings in editions, the moderation log, and export options.

Builders run in-process here (the worker tests in test_export_jobs.py run them for real).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from pypdf import PdfReader

from annotate import access
from annotate.models import Annotation, Dispute, Document, ExportJob, Reply
from annotate.services import exports, moderation
from annotate.services.annotations import annotation_create, reply_create
from annotate.services.documents import Edit, revision_correct
from core.models import User
from tests.pdf import has_page_numbers, pdftotext

XSS = "<img src=x onerror=alert(1)> <script>alert(2)</script>"


@dataclass
class Debate:
    claim: Annotation
    dispute: Dispute
    hidden_reply: Reply
    private_note: Annotation


@pytest.fixture
def debate(document: Document, roles: dict[str, User]) -> Debate:
    """A claim on the corrected sample, with a thread, a ruled dispute and a status history."""
    owner, member, moderator = roles["owner"], roles["member"], roles["moderator"]
    assert document.current is not None
    typo = document.current.text.index("Hungaiy")
    revision_correct(
        document=document,
        user=owner,
        edits=[Edit(typo, typo + len("Hungaiy"), "Hungary", reason="OCR misreading")],
        reason="OCR misreading",
    )
    document.refresh_from_db()
    assert document.current is not None
    text = document.current.text
    start = text.index("the passivity of the West")
    claim = annotation_create(
        document=document,
        user=member,
        start=start,
        end=start + len("the passivity of the West"),
        kind="claim",
        body=f"The West *chose* passivity. {XSS}",
        tags=["west"],
    )
    first = reply_create(annotation=claim, user=owner, body="Chose? Evidence?", stance="asks")
    reply_create(annotation=claim, user=member, body="See Dulles.", stance="supports", parent=first)
    hidden = reply_create(annotation=claim, user=owner, body="HIDDEN-REPLY", stance="disputes")
    moderation.content_set_hidden(moderator=moderator, hidden=True, reason="abuse", reply=hidden)
    evidence_at = text.index("Hungary")
    dispute = moderation.claim_dispute(
        claim=claim,
        user=owner,
        grounds="unsupported",
        statement="Nothing in the text says **chose**.",
        evidence=[
            {
                "kind": "passage",
                "start": evidence_at,
                "end": evidence_at + len("Hungary"),
                "exact": "Hungary",
            },
            {"kind": "source", "citation": "Gati, Failed Illusions", "page": "12"},
        ],
    )
    moderation.dispute_rule(
        dispute=dispute,
        moderator=moderator,
        decision="dismiss",
        text="The claim is an interpretation, and a fair one.",
        claim_status="upheld",
    )
    private = annotation_create(
        document=document,
        user=owner,
        start=start,
        end=start + 10,
        kind="claim",
        body="OWNER-PRIVATE",
        visibility="private",
    )
    claim.refresh_from_db()
    return Debate(claim, dispute, hidden, private)


def _job(user: User, *, kind: str, format: str, **target: Any) -> ExportJob:
    seminar = (target.get("document") or target.get("claim") or target["seminar"]).seminar
    seminar = target.get("seminar", seminar)
    return ExportJob.objects.create(
        seminar=seminar,
        requested_by=user,
        kind=kind,
        format=format,
        document=target.get("document"),
        claim=target.get("claim"),
        options=target.get("options", {"threads": True}),
        fingerprint="test",
    )


def _build(job: ExportJob) -> tuple[bytes, str, str]:
    return exports.BUILDERS[(job.kind, job.format)](job)


@pytest.mark.django_db
def test_claim_record_json_holds_passage_thread_dispute_ruling_and_history(
    debate: Debate, roles: dict[str, User]
) -> None:
    content, name, media = _build(
        _job(roles["member"], kind="claim", format="json", claim=debate.claim)
    )
    assert media == "application/json" and name.startswith(f"claim-{debate.claim.pk}-")
    record = json.loads(content)
    text = debate.claim.revision.text
    passage = record["passage"]
    assert (
        passage["exact"] == "the passivity of the West" == text[passage["start"] : passage["end"]]
    )
    assert text[: passage["start"]].endswith(passage["before"])
    assert text[passage["end"] :].startswith(passage["after"])
    assert passage["page"] and passage["paragraph"]
    assert record["claim"]["status"] == "upheld"
    assert record["claim"]["url"].endswith(f"/claims/{debate.claim.pk}/")
    assert [(r["stance"], r["depth"]) for r in record["thread"]] == [("asks", 0), ("supports", 1)]
    assert "HIDDEN-REPLY" not in content.decode()
    (dispute,) = record["disputes"]
    assert dispute["grounds"] == "unsupported" and dispute["status"] == "dismissed"
    assert dispute["evidence"][1] == "Gati, Failed Illusions, p. 12"
    assert "Hungary" in dispute["evidence"][0]
    assert dispute["ruling"]["decision"] == "dismiss"
    assert dispute["ruling"]["claim_status"] == "upheld"
    assert [(h["from"], h["to"]) for h in record["history"]][-1] == ("disputed", "upheld")


@pytest.mark.django_db
def test_claim_record_html_markdown_and_pdf(debate: Debate, roles: dict[str, User]) -> None:
    member = roles["member"]
    html = _build(_job(member, kind="claim", format="html", claim=debate.claim))[0].decode()
    assert "the passivity of the West" in html and "Dispute" in html and "Ruling" in html
    assert "Gati, Failed Illusions, p. 12" in html
    assert "<script>" not in html and "<img" not in html and "HIDDEN-REPLY" not in html
    assert "&lt;script&gt;alert(2)" in html  # shown as text
    assert "default-src 'none'" in html
    markdown = _build(_job(member, kind="claim", format="markdown", claim=debate.claim))[0]
    text = markdown.decode()
    assert "## Thread" in text and "## Disputes" in text and "## History" in text
    assert "**Ruling**: dismiss" in text and "<script>" not in text
    pdf, name, media = _build(_job(member, kind="claim", format="pdf", claim=debate.claim))
    assert media == "application/pdf" and name.endswith(".pdf")
    pages = PdfReader(io.BytesIO(pdf)).pages
    printed = pdftotext(pdf)
    assert printed.count("\f") == len(pages)  # one form feed per page
    assert "the passivity of the West" in " ".join(printed.split())
    assert "Gati, Failed Illusions, p. 12" in printed
    assert has_page_numbers(printed)


@pytest.mark.django_db
def test_claim_record_is_refused_once_the_claim_is_hidden_from_the_requester(
    debate: Debate, roles: dict[str, User]
) -> None:
    job = _job(roles["observer"], kind="claim", format="json", claim=debate.claim)
    moderation.content_set_hidden(
        moderator=roles["moderator"], hidden=True, reason="abuse", annotation=debate.claim
    )
    with pytest.raises(exports.ExportRefused, match="no longer there"):
        _build(job)
    # Its author and the moderators still see it, so they may still export it.
    assert json.loads(
        _build(_job(roles["moderator"], kind="claim", format="json", claim=debate.claim))[0]
    )
    with pytest.raises(Http404):
        exports.export_request(
            user=roles["observer"], kind="claim", format="json", claim=debate.claim
        )


@pytest.mark.django_db
def test_other_members_private_claims_cannot_be_exported(
    debate: Debate, roles: dict[str, User]
) -> None:
    with pytest.raises(Http404):
        access.access_claim(roles["member"], debate.private_note.pk, whole=True)
    with pytest.raises(Http404):
        access.access_claim(roles["outsider"], debate.claim.pk, whole=True)
    claim, _ = access.access_claim(roles["owner"], debate.private_note.pk, whole=True)
    assert claim == debate.private_note


@pytest.mark.django_db
def test_edition_notes_carry_disputes_rulings_and_the_log_when_asked(
    debate: Debate, roles: dict[str, User], document: Document
) -> None:
    options = {"threads": True, "log": True}
    job = _job(roles["member"], kind="edition", format="html", document=document, options=options)
    html = _build(job)[0].decode()
    assert "Nothing in the text says <strong>chose</strong>." in html
    assert "The claim is an interpretation" in html
    assert '<section class="log"><h2>Moderation log</h2>' in html
    assert "dispute rule" in html or "rule" in html
    # The corrected word is marked in the text, with what the OCR read.
    assert '<ins class="corr" title="OCR read: Hungaiy">Hungary</ins>' in html
    markdown = _build(
        _job(roles["member"], kind="edition", format="markdown", document=document, options=options)
    )[0].decode()
    assert "## Moderation log" in markdown and "**Dispute** (Unsupported)" in markdown
    quiet = _build(
        _job(
            roles["member"],
            kind="edition",
            format="html",
            document=document,
            options={"threads": False},
        )
    )[0].decode()
    assert "Moderation log" not in quiet and "The claim is an interpretation" not in quiet


@pytest.mark.django_db
def test_options_are_checked(document: Document, roles: dict[str, User]) -> None:
    user = roles["member"]
    for options, message in [
        ({"colour": "red"}, "Unknown options: colour"),
        ({"threads": "yes"}, "'threads' is true or false"),
        ({"status": "sort-of"}, "A claim status is one of"),
        ({"member": "x" * 200}, "'member' is a short text"),
    ]:
        with pytest.raises(ValidationError, match=message):
            exports.export_request(
                user=user, kind="edition", format="html", document=document, options=options
            )
    with pytest.raises(ValidationError, match="A claim export comes as: html, json, markdown, pdf"):
        exports.export_request(user=user, kind="claim", format="tei")
    with pytest.raises(ValidationError, match="Choose the seminar"):
        exports.export_request(user=user, kind="archive", format="zip")
    with pytest.raises(Http404):
        exports.export_request(
            user=roles["outsider"], kind="edition", format="html", document=document
        )
    assert not ExportJob.objects.exists()
