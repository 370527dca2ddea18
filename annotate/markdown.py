"""Members write Markdown; it is rendered to HTML and then sanitised with a pinned allowlist.

markdown-it renders CommonMark with raw HTML switched off; nh3 (ammonia) then keeps only the
tags and attributes below, drops every event handler, `style`, `hx-*`/`data-*` attribute
and any URL scheme but http(s) and mailto, and adds rel="nofollow noopener noreferrer" to
links. Mentions (@username) become links to nothing but text: they are highlighted, not
followed.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "hr",
    "del",
    "span",
}
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
MENTION = re.compile(r"(?<![\w@/])@(\w(?:[\w.+-]{0,148}\w)?)")

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_renderer.disable(["image"])


def render(source: str) -> str:
    """Safe HTML for a member's Markdown."""
    html = _renderer.render(source)
    html = MENTION.sub(r'<span class="mention">@\1</span>', html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        allowed_classes={"span": {"mention"}},
        strip_comments=True,
    )


def mentions(source: str) -> set[str]:
    """The usernames a text mentions (@name), lower-cased."""
    return {name.rstrip(".").lower() for name in MENTION.findall(source)}
