"""Template filters for member-written text."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from annotate import markdown

register = template.Library()


@register.filter
def md(source: str) -> SafeString:
    """A member's Markdown as sanitised HTML (safe: nh3 has cleaned it)."""
    return mark_safe(markdown.render(source or ""))  # noqa: S308 - sanitised by nh3
