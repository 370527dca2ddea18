"""The annotated edition as one self-contained HTML file: no scripts, no external resources.

On wide screens the notes sit in the margin beside the paragraph where their call is; they are
also listed as endnotes, which is all that prints. Member-written text goes through
annotate.markdown.render (sanitised); everything else is escaped here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape

from annotate import markdown
from annotate.exports.edition import DisputeNote, Edition, LogEntry, Note, StatusNote, note_calls
from annotate.rendering import BlockView, Piece, Range, block_views, page_html

CSS = """
:root { --ink: #1d1d1b; --muted: #666; --rule: #d8d3c8; --mark: #fff2b3; --mark2: #ffe27a;
  --mark3: #ffd23f; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fffef9;
  font: 1.05rem/1.6 Georgia, "Times New Roman", serif; }
main { max-width: 40rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
.title-page { text-align: center; padding: 3rem 0 2.5rem; border-bottom: 1px solid var(--rule);
  margin-bottom: 2rem; }
.title-page h1 { font-size: 2rem; line-height: 1.2; margin: 0 0 .5rem; }
.title-page .author { font-size: 1.2rem; margin: 0 0 1.5rem; }
.title-page .citation { font-style: italic; }
.title-page dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem;
  text-align: left; max-width: 28rem; margin: 1.5rem auto 0; font-size: .9rem; }
.title-page dt { color: var(--muted); }
.title-page dd { margin: 0; }
.text h2, .text h3, .text h4, .text h5, .text h6 { line-height: 1.3; margin: 2rem 0 1rem; }
.text p { margin: 0 0 1rem; position: relative; }
.pn { color: var(--muted); font-size: .75rem; font-family: system-ui, sans-serif;
  margin-right: .4rem; }
.pb { color: var(--muted); font-size: .75rem; font-family: system-ui, sans-serif;
  border: 1px solid var(--rule); border-radius: 3px; padding: 0 .25rem; margin: 0 .2rem; }
.pb-line { margin: 1rem 0 .25rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
sup.fn { font-size: .7rem; color: var(--muted); }
.a { background: var(--mark); }
.a.d2 { background: var(--mark2); }
.a.d3, .a.d4, .a.d5 { background: var(--mark3); }
sup.calls { font-size: .7rem; font-family: system-ui, sans-serif; font-weight: bold; }
sup.calls a, .note-head a { color: #8a3b12; text-decoration: none; }
.margin { display: none; }
.note { font-size: .85rem; line-height: 1.45; margin: 0 0 1rem; }
.note-head { font-family: system-ui, sans-serif; font-size: .8rem; color: var(--muted); }
.note-head .num { font-weight: bold; color: #8a3b12; }
.note-head .kind { font-weight: bold; color: var(--ink); }
.note .quote { margin: .3rem 0; padding-left: .6rem; border-left: 3px solid var(--mark3);
  font-style: italic; }
.note .body p { margin: .3rem 0; }
.note .tags { font-family: system-ui, sans-serif; font-size: .75rem; color: var(--muted); }
.note .tag { border: 1px solid var(--rule); border-radius: 3px; padding: 0 .3rem; }
.replies { list-style: none; margin: .4rem 0 0; padding: 0; }
.replies li { border-left: 2px solid var(--rule); padding-left: .6rem; margin: .3rem 0; }
.replies .stance { font-family: system-ui, sans-serif; font-size: .75rem; color: var(--muted); }
.endnotes { border-top: 1px solid var(--rule); margin-top: 3rem; padding-top: 1rem; }
.endnotes ol { list-style: none; padding: 0; }
.corrections, .log { font-size: .85rem; }
ins.corr { text-decoration: underline dotted #12602a; }
.disputes, .history { font-family: system-ui, sans-serif; font-size: .8rem; margin: .4rem 0; }
.dispute { border: 1px solid var(--rule); border-radius: 4px; padding: .3rem .5rem;
  margin: .3rem 0; }
.dispute .evidence { margin: .2rem 0; padding-left: 1.2rem; }
.ruling { border-left: 3px solid #8a3b12; padding-left: .5rem; margin-top: .3rem; }
.history { color: var(--muted); padding-left: 1.2rem; }
.log table { border-collapse: collapse; width: 100%; }
.log th, .log td { text-align: left; vertical-align: top; padding: .2rem .4rem;
  border-bottom: 1px solid var(--rule); }
.corrections del { color: #8a1212; }
.corrections ins { color: #12602a; text-decoration: none; }
span.mention { font-weight: bold; }
@media (min-width: 72rem) {
  main { max-width: 62rem; padding-right: 22rem; }
  .margin { display: block; float: right; clear: right; width: 18rem; margin-right: -21rem; }
  .margin .note { border-left: 2px solid var(--rule); padding-left: .6rem; }
}
@media print {
  body { background: #fff; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  .margin { display: none !important; }
  .title-page { page-break-after: always; border: 0; }
  .endnotes { page-break-before: always; border: 0; }
  .a { background: none; text-decoration: underline; text-decoration-color: #999; }
  sup.calls a { color: var(--ink); }
  a { color: var(--ink); }
}
"""


LINK = re.compile(r"<a\s([^>]*)>(.*?)</a>", re.DOTALL)
HREF = re.compile(r'href="([^"]*)"')


@lru_cache(maxsize=4096)  # each note is written twice: in the margin and in the endnotes
def _member(source: str) -> str:
    """A member's Markdown, sanitised; links become text with their address shown, so the
    file makes no request and links nowhere by itself."""

    def unlink(match: re.Match[str]) -> str:
        href = HREF.search(match.group(1))
        shown = f' <span class="url">&lt;{href.group(1)}&gt;</span>' if href else ""
        return f'<span class="link">{match.group(2)}</span>{shown}'

    return LINK.sub(unlink, markdown.render(source))


def day(value: object) -> str:
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else str(value)


def _title_page(edition: Edition) -> str:
    rows = [
        ("Seminar", edition.seminar),
        ("Revision", str(edition.revision_number)),
        ("Exported", day(edition.exported_at)),
        ("Exported by", edition.requester),
        ("Notes", str(len(edition.notes))),
        ("Contributors", ", ".join(edition.contributors) or "none"),
    ]
    out = ['<header class="title-page">', f"<h1>{escape(edition.title)}</h1>"]
    if edition.author:
        out.append(f'<p class="author">{escape(edition.author)}</p>')
    if edition.citation:
        out.append(f'<p class="citation">{escape(edition.citation)}</p>')
    out.append("<dl>")
    for label, value in rows:
        out.append(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>")
    out.append("</dl></header>")
    return "".join(out)


def _calls(keys: list[str]) -> str:
    links = ",".join(f'<a href="#note-{k[1:]}" id="call-{k[1:]}">{k[1:]}</a>' for k in keys)
    return f'<sup class="calls" data-nontext>{links}</sup>'


def _pieces(pieces: list[Piece], calls: dict[int, list[str]], edition: Edition) -> str:
    out = []
    for index, piece in enumerate(pieces):
        if piece.kind == "text":
            text = escape(piece.text)
            corrected = [k for k in piece.keys if k[0] == "c"]
            if corrected:  # the editor's correction of what the OCR read
                was = edition.corrections[int(corrected[0][1:])].original
                text = f'<ins class="corr" title="{escape(f"OCR read: {was}")}">{text}</ins>'
            notes = [k for k in piece.keys if k[0] == "n"]
            if notes:
                numbers = " ".join(sorted((k[1:] for k in notes), key=int))
                depth = min(len(notes), 5)
                out.append(f'<span class="a d{depth}" data-notes="{numbers}">{text}</span>')
            else:
                out.append(text)
            if index in calls:
                out.append(_calls(calls[index]))
        elif piece.kind == "page":
            out.append(page_html(piece.label))
        elif piece.kind == "ref":
            label = escape(piece.label)
            out.append(f'<sup class="fn" data-nontext title="Footnote {label}">{label}</sup>')
    return "".join(out)


def note_html(note: Note, *, margin: bool) -> str:
    ident = f"m-note-{note.number}" if margin else f"note-{note.number}"
    target = f"#call-{note.number}"
    head = [
        f'<a class="num" href="{target}">{note.number}</a>',
        f'<span class="kind">{escape(note.kind_label)}</span>',
        f"by {escape(note.author)}",
        escape(day(note.created_at)),
    ]
    if note.claim_status:
        head.append(f"claim {escape(note.claim_status.replace('_', ' '))}")
    quote = note.exact if len(note.exact) <= 240 else note.exact[:239] + "…"
    out = [
        f'<div class="note" id="{ident}">',
        f'<div class="note-head">{" · ".join(head)}</div>',
        f'<blockquote class="quote">{escape(quote)}</blockquote>',
    ]
    if note.body.strip():
        out.append(f'<div class="body">{_member(note.body)}</div>')
    if note.tags:
        tags = " ".join(f'<span class="tag">{escape(t)}</span>' for t in note.tags)
        out.append(f'<div class="tags">{tags}</div>')
    if note.replies:
        out.append('<ul class="replies">')
        for reply in note.replies:
            stance = "" if reply.stance == "comment" else f" · {escape(reply.stance)}"
            indent = f' style="margin-left:{min(reply.depth, 6)}rem"' if reply.depth else ""
            out.append(
                f'<li{indent}><div class="stance">{escape(reply.author)}{stance} · '
                f"{escape(day(reply.created_at))}</div>{_member(reply.body)}</li>"
            )
        out.append("</ul>")
    if note.disputes:
        out.append('<div class="disputes">')
        out += [_dispute(dispute) for dispute in note.disputes]
        out.append("</div>")
    if note.history:
        out.append(_history(note.history))
    out.append("</div>")
    return "".join(out)


def _dispute(dispute: DisputeNote) -> str:
    out = [
        '<div class="dispute">',
        f"<div><strong>Dispute</strong> ({escape(dispute.grounds_label)}) by "
        f"{escape(dispute.opened_by)} · {escape(day(dispute.created_at))} · "
        f"{escape(dispute.status)}</div>",
        _member(dispute.statement),
    ]
    if dispute.evidence:
        items = "".join(f"<li>{escape(line)}</li>" for line in dispute.evidence)
        out.append(f'<ul class="evidence">{items}</ul>')
    if dispute.ruling is not None:
        ruling = dispute.ruling
        out.append(
            f'<div class="ruling"><strong>Ruling</strong>: {escape(ruling.decision)} by '
            f"{escape(ruling.moderator)} · {escape(day(ruling.created_at))} · claim "
            f"{escape(ruling.claim_status.replace('_', ' '))}{_member(ruling.text)}</div>"
        )
    out.append("</div>")
    return "".join(out)


def _history(history: tuple[StatusNote, ...]) -> str:
    items = "".join(
        f"<li>{escape(day(change.created_at))}: {escape(change.old or 'new')} → "
        f"{escape(change.new)} by {escape(change.actor)}"
        + (f" ({escape(change.reason)})" if change.reason else "")
        + "</li>"
        for change in history
    )
    return f'<ol class="history">{items}</ol>'


def log_table(log: tuple[LogEntry, ...]) -> str:
    rows = "".join(
        f"<tr><td>{escape(entry.created_at.strftime('%Y-%m-%d %H:%M'))}</td>"
        f"<td>{escape(entry.actor)}</td><td>{escape(entry.action)}</td>"
        f"<td>{escape(entry.target)}</td>"
        f"<td>{escape(entry.old_state)}{' → ' if entry.new_state else ''}"
        f"{escape(entry.new_state)}</td><td>{escape(entry.reason)}</td></tr>"
        for entry in log
    )
    return (
        '<section class="log"><h2>Moderation log</h2><table><thead><tr><th>When</th>'
        "<th>Who</th><th>Action</th><th>On</th><th>State</th><th>Reason</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _block(
    view: BlockView, calls: dict[int, list[str]], notes: list[Note], edition: Edition
) -> str:
    out = []
    if notes:
        out.append('<aside class="margin" aria-hidden="true">')
        out += [note_html(note, margin=True) for note in notes]
        out.append("</aside>")
    attrs = f'data-block data-start="{view.start}" data-end="{view.end}"'
    if view.kind == "heading":
        if view.before:
            out.append(f'<div class="pb-line">{_pieces(view.before, {}, edition)}</div>')
        level = min(max(view.level, 1) + 1, 6)
        text = _pieces(view.pieces, calls, edition)
        out.append(f'<h{level} id="{view.anchor}" {attrs}>{text}</h{level}>')
    else:
        number = (
            f'<span class="pn" data-nontext>¶{view.number}</span>'
            if view.number is not None
            else ""
        )
        out.append(
            f'<p id="{view.anchor}" {attrs}>{number}{_pieces(view.pieces, calls, edition)}</p>'
        )
    return "".join(out)


def _classify(keys: frozenset[str], depth: int) -> tuple[str, bool]:
    # A class per distinct set of notes, so merge_alike never joins pieces of different notes.
    return "a " + " ".join(sorted(keys)), False


def render_html(edition: Edition) -> str:
    corrected = [
        Range(c.start, c.end, f"c{i}") for i, c in enumerate(edition.corrections) if c.end > c.start
    ]
    views = block_views(edition, edition.ranges() + corrected, classify=_classify)
    calls = note_calls(views)
    body = []
    for b, view in enumerate(views):
        here = {p: keys for (vb, p), keys in calls.items() if vb == b}
        notes = [edition.note(k) for p in sorted(here) for k in here[p]]
        body.append(_block(view, here, notes, edition))
    endnotes = "".join(f"<li>{note_html(note, margin=False)}</li>" for note in edition.notes)
    corrections = ""
    if edition.corrections:
        items = "".join(
            f"<li><del>{escape(c.original)}</del> → <ins>{escape(c.replacement)}</ins>"
            + (f" ({escape(c.reason)})" if c.reason else "")
            + "</li>"
            for c in edition.corrections
        )
        corrections = (
            f'<section class="corrections"><h2>Corrections in revision '
            f"{edition.revision_number}</h2><ul>{items}</ul></section>"
        )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">"
        f"<title>{escape(edition.title)} — annotated edition</title>"
        f"<style>{CSS}</style></head><body><main>"
        f"{_title_page(edition)}"
        f'<article class="text">{"".join(body)}</article>'
        f'<section class="endnotes"><h2>Notes</h2><ol>{endnotes}</ol></section>'
        f"{corrections}{log_table(edition.log) if edition.log else ''}</main></body></html>\n"
    )
