"""Member Markdown is rendered through nh3 with a pinned allowlist."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from annotate.markdown import ALLOWED_TAGS, mentions, render

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<div hx-get="/api/v1/seminars/" hx-trigger="load">x</div>',
    '<span data-hx-post="/x" data-hx-trigger="load">x</span>',
    '<iframe src="//evil.example"></iframe>',
    '<form action="//evil"><button>go</button></form>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<<script>alert(1)//<</script>",
    '<a href="&#106;avascript:alert(1)">x</a>',
    '![x](x" onerror="alert(1))',
    "<details open ontoggle=alert(1)>",
    "```\n<script>alert(1)</script>\n```",
    '<object data="javascript:alert(1)"></object>',
]


class Elements(HTMLParser):
    """Every real element and attribute in some HTML (escaped text does not count)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_nothing_executable_survives(payload: str) -> None:
    parser = Elements()
    parser.feed(render(payload))
    for tag, attrs in parser.found:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs:
            assert not name.startswith(("on", "hx-", "data-", "style")), name
            if name == "href":
                assert (value or "").split(":")[0].lower() in {"http", "https", "mailto"}, value


def test_links_get_rel_nofollow_noopener() -> None:
    html = render("[source](https://example.org/doc)")
    assert 'href="https://example.org/doc"' in html
    assert 'rel="nofollow noopener noreferrer"' in html


def test_markdown_is_rendered() -> None:
    html = render("*Tacit* agreement, **not** written. `NSC 5608`\n\n> quoted")
    assert "<em>Tacit</em>" in html and "<strong>not</strong>" in html
    assert "<code>NSC 5608</code>" in html and "<blockquote>" in html


def test_mentions() -> None:
    assert mentions("Thanks @rosa, and @miklos.varga. Mail me: me@example.org") == {
        "rosa",
        "miklos.varga",
    }
    assert '<span class="mention">@rosa</span>' in render("hi @rosa")
