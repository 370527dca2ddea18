"""A claim record: one claim's passage in context, the claim, its whole thread with stances,
its disputes with their evidence and rulings, and its status history.

`build_claim_record` reads the objects it is given (the caller decided the requester may see
the claim, and prefetched its thread); the renderers take the ClaimRecord only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from annotate.exports.edition import Note, note_of
from annotate.exports.html import CSS, day, note_html
from annotate.exports.markdown import dispute_markdown, escape_md, history_markdown, tags_line
from annotate.exports.markdown import inert_member_markdown as inert

CONTEXT = 300  # characters of the text shown on each side of the claim's passage


@dataclass(frozen=True)
class ClaimRecord:
    seminar: str
    document_title: str
    document_author: str
    citation: str
    revision_number: int
    page: str  # the printed page the passage starts on, "" if the text has none
    paragraph: int | None
    before: str
    after: str
    claim: Note
    url: str  # the claim's page in Glossa
    requester: str
    exported_at: datetime

    @property
    def title(self) -> str:
        exact = " ".join(self.claim.exact.split())
        return f"Claim: “{exact[:80]}{'…' if len(exact) > 80 else ''}”"


def build_claim_record(
    claim: Any, *, seminar_name: str, requester_name: str, exported_at: datetime, url: str
) -> ClaimRecord:
    revision, document = claim.revision, claim.document
    text, start, end = revision.text, claim.start or 0, claim.end or 0
    pages = [p for p in revision.pages if p["start"] <= start]
    block = next((b for b in revision.blocks if b["start"] <= start <= b["end"]), None)
    return ClaimRecord(
        seminar=seminar_name,
        document_title=document.title,
        document_author=document.author,
        citation=document.citation,
        revision_number=revision.number,
        page=str(pages[-1]["label"]) if pages else "",
        paragraph=block.get("number") if block else None,
        before=text[max(0, start - CONTEXT) : start],
        after=text[end : end + CONTEXT],
        claim=note_of(claim, 1, text, threads=True),
        url=url,
        requester=requester_name,
        exported_at=exported_at,
    )


def _where(record: ClaimRecord) -> str:
    parts = [record.document_title]
    if record.page:
        parts.append(f"p. {record.page}")
    if record.paragraph is not None:
        parts.append(f"¶{record.paragraph}")
    return ", ".join(parts)


def record_json(record: ClaimRecord) -> dict[str, Any]:
    claim = record.claim
    return {
        "type": "ClaimRecord",
        "seminar": record.seminar,
        "document": {
            "title": record.document_title,
            "author": record.document_author,
            "citation": record.citation,
            "revision": record.revision_number,
        },
        "passage": {
            "page": record.page or None,
            "paragraph": record.paragraph,
            "start": claim.start,
            "end": claim.end,
            "before": record.before,
            "exact": claim.exact,
            "after": record.after,
        },
        "claim": {
            "author": claim.author,
            "created": claim.created_at.isoformat(),
            "status": claim.claim_status,
            "body": claim.body,
            "tags": list(claim.tags),
            "url": record.url,
        },
        "thread": [
            {
                "author": r.author,
                "stance": r.stance,
                "depth": r.depth,
                "created": r.created_at.isoformat(),
                "body": r.body,
            }
            for r in claim.replies
        ],
        "disputes": [
            {
                "opened_by": d.opened_by,
                "grounds": d.grounds,
                "statement": d.statement,
                "evidence": list(d.evidence),
                "status": d.status,
                "created": d.created_at.isoformat(),
                "ruling": {
                    "moderator": d.ruling.moderator,
                    "decision": d.ruling.decision,
                    "text": d.ruling.text,
                    "claim_status": d.ruling.claim_status,
                    "created": d.ruling.created_at.isoformat(),
                }
                if d.ruling
                else None,
            }
            for d in claim.disputes
        ],
        "history": [
            {
                "from": h.old or None,
                "to": h.new,
                "by": h.actor,
                "reason": h.reason,
                "at": h.created_at.isoformat(),
            }
            for h in claim.history
        ],
        "exported": {"at": record.exported_at.isoformat(), "by": record.requester},
    }


def record_html(record: ClaimRecord) -> str:
    """One self-contained page, like the HTML edition: no scripts, no external resources."""
    claim = record.claim
    head = [
        f"<h1>{escape(record.title)}</h1>",
        f'<p class="author">{escape(_where(record))}</p>',
    ]
    if record.citation:
        head.append(f'<p class="citation">{escape(record.citation)}</p>')
    rows = [
        ("Seminar", record.seminar),
        ("Revision", str(record.revision_number)),
        ("Claim by", claim.author),
        ("Status", claim.claim_status.replace("_", " ")),
        ("Replies", str(len(claim.replies))),
        ("Disputes", str(len(claim.disputes))),
        ("Exported", f"{day(record.exported_at)} by {record.requester}"),
    ]
    head.append(
        "<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows) + "</dl>"
    )
    passage = (
        f'<section class="text"><h2>The passage</h2><p>…{escape(record.before)}'
        f'<span class="a d2">{escape(claim.exact)}</span>{escape(record.after)}…</p></section>'
    )
    # The claim with its thread, disputes, rulings and history: the edition's note renders it.
    body = (
        f'<section class="endnotes"><h2>The claim and its discussion</h2>'
        f"{note_html(claim, margin=False)}</section>"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">"
        f"<title>{escape(record.title)}</title>"
        f"<style>{CSS}.claim-record .endnotes {{ page-break-before: auto; }}</style>"
        '</head><body class="claim-record"><main>'
        f'<header class="title-page">{"".join(head)}</header>{passage}{body}'
        f'<p class="pn">{escape(record.url)}</p>'
        "</main></body></html>\n"
    )


def record_markdown(record: ClaimRecord) -> str:
    claim = record.claim
    out = [
        f"# {escape_md(record.title)}",
        "",
        f"*{escape_md(_where(record))}*",
        "",
    ]
    if record.citation:
        out += [escape_md(record.citation), ""]
    out += [
        f"- Seminar: {escape_md(record.seminar)}",
        f"- Revision: {record.revision_number}",
        f"- Claim by {escape_md(claim.author)}, {claim.created_at:%Y-%m-%d}; status: "
        f"{claim.claim_status.replace('_', ' ')}",
        f"- Exported: {record.exported_at:%Y-%m-%d} by {escape_md(record.requester)}",
        f"- In Glossa: <{record.url}>",
        "",
        "## The passage",
        "",
        "> …"
        + escape_md(" ".join(record.before.split()))
        + " **"
        + escape_md(" ".join(claim.exact.split()))
        + "** "
        + escape_md(" ".join(record.after.split()))
        + "…",
        "",
        "## The claim",
        "",
        inert(claim.body.strip()) or "*(no text)*",
        "",
    ]
    if claim.tags:
        out += [tags_line(claim.tags), ""]
    if claim.replies:
        out += ["## Thread", ""]
        for reply in claim.replies:
            stance = "" if reply.stance == "comment" else f" ({reply.stance})"
            quoted = ">" * (reply.depth + 1) + " "
            out.append(
                f"{quoted}**{escape_md(reply.author)}**{stance}, {reply.created_at:%Y-%m-%d}:"
            )
            out.append(quoted.rstrip())
            out += [(quoted + line).rstrip() for line in inert(reply.body.strip()).splitlines()]
            out.append("")
    if claim.disputes:
        out += ["## Disputes", ""]
        for dispute in claim.disputes:
            out += [dispute_markdown(dispute), ""]
    if claim.history:
        out += ["## History", "", history_markdown(claim.history), ""]
    return "\n".join(out).rstrip("\n") + "\n"


__all__ = ["ClaimRecord", "build_claim_record", "record_html", "record_json", "record_markdown"]
