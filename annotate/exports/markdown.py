"""The annotated edition as Markdown: the text with page markers and footnote references, the
notes as Markdown footnotes [^n] after each annotated span, defined at the end.

The reading text is escaped so that no word of it turns into Markdown syntax; members' notes
are Markdown already and are kept as written (indented under their footnote).
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt

from annotate.exports.edition import DisputeNote, Edition, LogEntry, Note, StatusNote, note_calls
from annotate.rendering import Piece, block_views

ALWAYS = re.compile(r"([\\`*_\[\]<>|~^&$])")
# `<` and `&` as entities, not backslash escapes: Python-Markdown, unlike CommonMark, does not
# take `\<` or `\&` as escapes (it would show the backslash, and let `<b>` through as HTML).
ENTITIES = {"<": "&lt;", "&": "&amp;"}
LINE_START = re.compile(r"^(\s*)([#+\-=>:]|\d+(?=[.)]))", re.MULTILINE)


def escape_md(text: str) -> str:
    """Reading text as Markdown that shows exactly these characters."""
    text = ALWAYS.sub(lambda m: ENTITIES.get(m[1], "\\" + m[1]), text)

    def lead(match: re.Match[str]) -> str:
        spaces, mark = match.group(1), match.group(2)
        if mark[0].isdigit():  # "1956." would start a list: escape the full stop instead
            return spaces + mark
        return f"{spaces}\\{mark}"

    text = LINE_START.sub(lead, text)
    # An ordered-list marker: digits then "." or ")" then a space, at a line's start.
    return re.sub(r"^(\s*\d+)([.)])(?=\s|$)", r"\1\\\2", text, flags=re.MULTILINE)


CODE_SPAN = re.compile(r"(`+)(?:.*?[^`])?\1(?!`)")
BAD_LINK = re.compile(r"\]\(\s*<?\s*(?:javascript|vbscript|data|file)\s*:", re.IGNORECASE)
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def inert_member_markdown(source: str) -> str:
    """A member's Markdown with its raw HTML shown as text (`<` as `&lt;`, which renders the
    same), images and script links disarmed, so no Markdown tool that passes HTML through runs
    it. Code spans and fenced code are left as written: they show their text verbatim anyway.
    Where that line-by-line reading disagrees with CommonMark's (a backslash before a backtick,
    a fence that is not one, a code span across lines, an entity in a link), the whole text is
    escaped instead."""
    out, fence = [], ""
    for line in source.splitlines():
        opened = FENCE.match(line)
        if fence:
            out.append(line)
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            continue
        if opened:
            fence = opened.group(1)
            out.append(line)
            continue
        pieces, cursor = [], 0
        for code in CODE_SPAN.finditer(line):
            pieces += [_disarm(line[cursor : code.start()]), code.group(0)]
            cursor = code.end()
        pieces.append(_disarm(line[cursor:]))
        out.append("".join(pieces))
    disarmed = "\n".join(out)
    return disarmed if _inert(disarmed) else escape_md(source)


def _disarm(text: str) -> str:
    return BAD_LINK.sub("](#blocked:", text.replace("<", "&lt;")).replace("![", "!\\[")


# How a permissive tool reads Markdown: raw HTML on, every link kept as written.
_LAX = MarkdownIt("commonmark", {"html": True})
_LAX.validateLink = lambda url: True  # type: ignore[method-assign]
SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.IGNORECASE)


def _inert(markdown: str) -> bool:
    """No raw HTML, no image, no link but to http(s) or mailto as CommonMark reads it; a
    reference definition counts even unused (another note can use it)."""
    env: dict[str, Any] = {}
    hrefs = []
    for token in _LAX.parse(markdown, env):
        if token.type == "html_block":
            return False
        for child in token.children or ():
            if child.type in ("html_inline", "image"):
                return False
            if child.type == "link_open":
                hrefs.append(str(child.attrGet("href") or ""))
    hrefs += [str(ref.get("href", "")) for ref in env.get("references", {}).values()]
    for href in hrefs:
        scheme = SCHEME.match(re.sub(r"[\x00-\x20\x7f]+", "", href))
        if scheme and scheme.group(1).lower() not in {"http", "https", "mailto"}:
            return False
    return True


def tags_line(tags: tuple[str, ...]) -> str:
    """Tags as code spans on one line: a newline in a tag would end its span (and a blank
    line or an HTML block start after it would be read as Markdown)."""
    return "Tags: " + ", ".join(f"`{' '.join(t.replace('`', '').split())}`" for t in tags)


def _pieces(pieces: list[Piece], calls: dict[int, list[str]]) -> str:
    out = []
    for index, piece in enumerate(pieces):
        if piece.kind == "text":
            out.append(escape_md(piece.text))
            for key in calls.get(index, ()):
                out.append(f"[^{key[1:]}]")
        elif piece.kind == "page":
            out.append(f"[p. {escape_md(piece.label)}]")
        elif piece.kind == "ref":
            out.append(f"<sup>{escape_md(piece.label)}</sup>")
    return "".join(out)


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line.strip() else "" for line in text.splitlines())


def _definition(note: Note) -> str:
    head = f"**{note.kind_label}** by {escape_md(note.author)}, {note.created_at:%Y-%m-%d}"
    if note.claim_status:
        head += f" (claim {note.claim_status.replace('_', ' ')})"
    quote = note.exact if len(note.exact) <= 240 else note.exact[:239] + "…"
    parts = [f"[^{note.number}]: {head}", "", _indent("> " + escape_md(" ".join(quote.split())))]
    if note.body.strip():
        parts += ["", _indent(inert_member_markdown(note.body.strip()))]
    if note.tags:
        parts += ["", _indent(tags_line(note.tags))]
    for reply in note.replies:
        stance = "" if reply.stance == "comment" else f" ({reply.stance})"
        reply_head = f"**Reply** by {escape_md(reply.author)}{stance}, {reply.created_at:%Y-%m-%d}:"
        quoted = ">" * (reply.depth + 1) + " "
        lines = [quoted + reply_head, quoted.rstrip()]
        body = inert_member_markdown(reply.body.strip())
        lines += [(quoted + line).rstrip() for line in body.splitlines()]
        parts += ["", _indent("\n".join(lines))]
    for dispute in note.disputes:
        parts += ["", _indent(dispute_markdown(dispute))]
    if note.history:
        parts += ["", _indent(history_markdown(note.history))]
    return "\n".join(parts)


def dispute_markdown(dispute: DisputeNote) -> str:
    lines = [
        f"**Dispute** ({dispute.grounds_label}) by {escape_md(dispute.opened_by)}, "
        f"{dispute.created_at:%Y-%m-%d}, {dispute.status}:",
        "",
        inert_member_markdown(dispute.statement.strip()),
    ]
    if dispute.evidence:
        lines += ["", "Evidence:", ""] + [f"- {escape_md(line)}" for line in dispute.evidence]
    if dispute.ruling is not None:
        ruling = dispute.ruling
        lines += [
            "",
            f"**Ruling**: {ruling.decision} by {escape_md(ruling.moderator)}, "
            f"{ruling.created_at:%Y-%m-%d}; claim {ruling.claim_status.replace('_', ' ')}.",
            "",
            inert_member_markdown(ruling.text.strip()),
        ]
    return "\n".join(lines)


def history_markdown(history: tuple[StatusNote, ...]) -> str:
    lines = ["Status history:", ""]
    for change in history:
        reason = f" ({escape_md(change.reason)})" if change.reason else ""
        lines.append(
            f"- {change.created_at:%Y-%m-%d}: {change.old or 'new'} → {change.new} "
            f"by {escape_md(change.actor)}{reason}"
        )
    return "\n".join(lines)


def log_markdown(log: tuple[LogEntry, ...]) -> str:
    lines = ["## Moderation log", ""]
    for entry in log:
        state = f" ({entry.old_state} → {entry.new_state})" if entry.new_state else ""
        reason = f": {escape_md(entry.reason)}" if entry.reason else ""
        lines.append(
            f"- {entry.created_at:%Y-%m-%d %H:%M} {escape_md(entry.actor)} — {entry.action} "
            f"{entry.target}{state}{reason}"
        )
    return "\n".join(lines)


def render_markdown(edition: Edition) -> str:
    views = block_views(
        edition,
        edition.ranges(),
        classify=lambda keys, depth: (
            " ".join(sorted(keys)),
            False,
        ),
    )
    calls = note_calls(views)
    out = [f"# {escape_md(edition.title)}", ""]
    if edition.author:
        out += [f"*{escape_md(edition.author)}*", ""]
    if edition.citation:
        out += [escape_md(edition.citation), ""]
    out += [
        f"- Seminar: {escape_md(edition.seminar)}",
        f"- Revision: {edition.revision_number}",
        f"- Exported: {edition.exported_at:%Y-%m-%d} by {escape_md(edition.requester)}",
        f"- Contributors: {escape_md(', '.join(edition.contributors)) or 'none'}",
        "",
        "---",
        "",
    ]
    for b, view in enumerate(views):
        here = {p: keys for (vb, p), keys in calls.items() if vb == b}
        if view.before:
            out += [_pieces(view.before, {}), ""]
        text = _pieces(view.pieces, here)
        if view.kind == "heading":
            out.append("#" * min(max(view.level, 1) + 1, 6) + " " + " ".join(text.split("\n")))
        else:
            out.append(text)
        out.append("")
    if edition.corrections:
        out += [f"## Corrections in revision {edition.revision_number}", ""]
        for c in edition.corrections:
            reason = f" ({escape_md(c.reason)})" if c.reason else ""
            out.append(f"- ~~{escape_md(c.original)}~~ → {escape_md(c.replacement)}{reason}")
        out.append("")
    if edition.log:
        out += [log_markdown(edition.log), ""]
    for note in edition.notes:
        out += [_definition(note), ""]
    return "\n".join(out).rstrip("\n") + "\n"
