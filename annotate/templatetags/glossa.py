"""Template filters for member-written text."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.utils.safestring import SafeString, mark_safe

from annotate import markdown
from annotate.rendering import BlockView, page_html, pieces_html

register = template.Library()


@register.filter
def md(source: str) -> SafeString:
    """A member's Markdown as sanitised HTML (safe: nh3 has cleaned it)."""
    source = source or ""
    html = _rendered(source) if len(source) <= 4000 else markdown.render(source)
    return mark_safe(html)  # noqa: S308 - sanitised by nh3


# Every live poll re-renders the threads that changed, for every open reader: the same
# bodies again and again. Rendering is a pure function of the source, so remember it.
_rendered = lru_cache(maxsize=2048)(markdown.render)


@register.simple_tag
def block_html(block: BlockView) -> SafeString:
    """A block's text with its highlights and markers (see annotate.rendering.pieces_html)."""
    return pieces_html(block.pieces)


@register.simple_tag
def page_marker(label: str) -> SafeString:
    return mark_safe(page_html(label))  # noqa: S308 - page_html escapes the label


@register.filter
def words(value: str) -> str:
    """A code like under_review or rule_accept, as words."""
    return str(value).replace("_", " ")
