"""The whole XSS corpus in every field a member writes, through every page, htmx fragment and
export, in a real Chromium: nothing runs, nothing trips the CSP, nothing is fetched.

One world (tests/security/xss_corpus.py in every field), each page visited once. In the browser
alert/confirm/prompt are hooked, CSP violations and native dialogs recorded, and any request off
the test server (or to a MARKER path on it) recorded and refused; then the DOM is scanned for
on* attributes, htmx attributes that came from members, javascript:/data:/vbscript: URLs,
foreign (SVG/MathML) elements and, inside member text, anything the sanitiser does not allow.
The Markdown exports are opened as a permissive tool shows them (markdown-it-py with raw HTML
on and every link kept), the TEI as XML, the PDFs read with pypdf.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from lxml import etree
from markdown_it import MarkdownIt
from playwright.sync_api import Dialog, Page, Request, Route, expect
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from annotate.exports.markdown import inert_member_markdown
from annotate.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from annotate.models import Annotation, Document, ExportJob, ModerationEvent, Reply
from annotate.services import annotations as notes
from annotate.services import documents, exports, moderation
from core.models import Role, Seminar, User
from core.services import invitations, seminars
from tests.annotate.test_markdown import Elements
from tests.browser.test_texts import log_in
from tests.factories import make_user, member
from tests.pdf import pdftotext
from tests.security.xss_corpus import CSS, HOSTS, MARKDOWN, MARKER, SHORT, fit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALL = "\n\n".join(MARKDOWN)  # every payload in one Markdown text (fits a 20,000 body)
TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
HX_APP = {
    "hx-confirm",
    "hx-encoding",
    "hx-get",
    "hx-headers",
    "hx-include",
    "hx-indicator",
    "hx-post",
    "hx-swap",
    "hx-swap-oob",
    "hx-target",
    "hx-trigger",
}
# What markdown-it's CommonMark renderer writes itself (and the <sup> the export writes).
MARKDOWN_TAGS = {
    *("p", "h1", "h2", "h3", "h4", "h5", "h6", "a", "em", "strong", "code", "pre"),
    *("blockquote", "ul", "ol", "li", "hr", "br", "sup", "section"),
}

HOOKS = """(() => {
  window.__fired = [];
  for (const name of ["alert", "confirm", "prompt", "print", "open"]) {
    window[name] = (...args) => { window.__fired.push(name + "(" + args.join(",") + ")"); };
  }
  document.addEventListener("securitypolicyviolation",
    (e) => window.__fired.push("CSP " + e.violatedDirective + " " + e.blockedURI), true);
})();"""

SCAN = """(member) => {
  const found = [];
  const urlAttrs = new Set(["href", "src", "action", "formaction", "xlink:href", "data",
    "poster", "background", "srcdoc", "ping", "srcset", "codebase", "cite", "to", "values"]);
  const hxApp = new Set(member.hx);
  const say = (el, what) => found.push(el.localName + ": " + what.slice(0, 160));
  const xhtml = "http://www.w3.org/1999/xhtml";
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      const tag = el.localName.toLowerCase();
      if (el.namespaceURI !== xhtml) say(el, "foreign element in " + el.namespaceURI);
      if (["iframe", "frame", "object", "embed", "applet", "base", "portal"].includes(tag))
        say(el, "element");
      if (tag === "script" && !(member.scripts && el.src.startsWith(location.origin + "/static/")))
        say(el, "script " + el.outerHTML);
      if (tag === "style" && !el.closest("head")) say(el, "style element");
      if (tag === "link" && !(location.protocol.startsWith("http")
          && el.href.startsWith(location.origin + "/"))) say(el, "link " + el.href);
      if (tag === "meta" && (el.httpEquiv || "").toLowerCase() === "refresh") say(el, "refresh");
      const inMember = member.scope && el.parentElement && el.parentElement.closest(member.scope);
      if (inMember && !member.tags.includes(tag)) say(el, "not allowed in member text");
      for (const attr of el.attributes) {
        const name = attr.name.toLowerCase(), value = attr.value;
        const bare = value.replace(/[\\u0000-\\u0020\\u007f-\\u009f]/g, "").toLowerCase();
        if (name.startsWith("on")) say(el, "handler " + name + "=" + value);
        if (/^(data-)?hx-/.test(name) && (!hxApp.has(name) || inMember
            || (name !== "hx-confirm" && /xss-probe|evil\\.example|javascript:|^js:/i.test(value))))
          say(el, "htmx " + name + "=" + value);
        if (urlAttrs.has(name) && /^(javascript|data|vbscript):/.test(bare))
          say(el, "url " + name + "=" + value);
        if (name === "style" && /url\\(|expression|behavior|binding|position|evil/i.test(value))
          say(el, "style " + value);
        if (inMember && !(member.attrs[tag] || []).includes(name)
            && !(tag === "a" && name === "rel") && !(tag === "span" && name === "class"))
          say(el, "attribute not allowed in member text " + name);
      }
      if (el.shadowRoot) walk(el.shadowRoot);
      if (tag === "template") walk(el.content);
    }
  };
  walk(document);
  return found;
}"""

APP = {
    "scope": ".prose, .markdown-preview",
    "tags": sorted(ALLOWED_TAGS),
    "attrs": {tag: sorted(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    "hx": sorted(HX_APP),
    "scripts": True,
}
EXPORT = {**APP, "scope": "", "scripts": False}
MARKDOWN_PAGE = {**EXPORT, "scope": "body", "tags": sorted(MARKDOWN_TAGS)}
MARKDOWN_PAGE["attrs"] = {"a": ["href", "title"], "ol": ["start"], "code": ["class"]}


class Probe:
    """One browser page with the hooks on, and what each visit found."""

    def __init__(self, page: Page, base: str) -> None:
        self.page, self.base = page, base
        self.findings: dict[str, list[str]] = {}
        self.visited: list[str] = []
        self.pending: list[str] = []
        context = page.context
        context.add_init_script(HOOKS)
        context.route("**/*", self._route)
        context.on("request", self._request)
        page.on("dialog", self._dialog)

    def _route(self, route: Route) -> None:
        url = route.request.url
        if url.startswith((self.base + "/", "file://")):
            route.continue_()
        else:
            self.pending.append(f"request off the server: {url[:160]}")
            route.abort()

    def _request(self, request: Request) -> None:
        # Off the server is refused in _route; on it, htmx acting on a member's hx-get would ask
        # for a MARKER path.
        if MARKER in request.url and request.url.startswith(self.base + "/"):
            self.pending.append(f"request {request.method} {request.url[:160]}")

    def _dialog(self, dialog: Dialog) -> None:
        self.pending.append(f"native {dialog.type}: {dialog.message[:80]}")
        dialog.dismiss()

    def check(self, where: str, scope: dict[str, Any] = APP) -> None:
        """Let the page settle, then record what ran, what was fetched, what the DOM holds."""
        page = self.page
        page.wait_for_timeout(150)
        fired = page.evaluate("() => window.__fired || []")
        dom = page.evaluate(SCAN, scope)
        self.findings[where] = [*fired, *dom, *self.pending]
        self.pending = []
        self.visited.append(where)
        text = page.evaluate("() => document.documentElement.textContent || ''")
        assert "alert(" in text, f"{where}: the hostile text is not on the page at all"

    def goto(self, where: str, url: str, **kwargs: Any) -> None:
        self.page.goto(url if "://" in url else self.base + url)
        self.check(where, **kwargs)


def _span(document: Document, index: int) -> tuple[int, int]:
    """The offsets of the document's index-th paragraph."""
    assert document.current is not None
    block = [b for b in document.current.blocks if b["kind"] == "paragraph"][index]
    return int(block["start"]), int(block["end"])


class World:
    """Everything a hostile member can write, made through the services."""

    def __init__(self) -> None:
        names = iter(SHORT)
        self.ada = make_user(username="ada", email="", display_name=next(names))
        self.seminar: Seminar = seminars.seminar_create(
            user=self.ada,
            name=" ".join(SHORT[:3])[:120],
            description=fit(2000)[0],
        )
        self.eve = member(self.seminar, username="eve", email="", display_name=next(names))
        self.mod = member(
            self.seminar, Role.MODERATOR, username="mod", email="", display_name=next(names)
        )
        for n, name in enumerate(names):  # the other short payloads, as members' names
            member(self.seminar, Role.MEMBER, username=f"m{n}", email="", display_name=name)
        self.others = list(User.objects.filter(username__regex=r"^m[0-9]+$").order_by("pk"))
        self._seminar_of_eve()
        self._texts()
        self._annotations()
        self._claims()
        self._moderation()

    def _seminar_of_eve(self) -> None:
        """Eve's own seminar invites Ada: its name and Eve's reach Ada's home and invitations."""
        theirs = seminars.seminar_create(
            user=self.eve, name=SHORT[4] + " " + SHORT[1], description=fit(2000)[-1]
        )
        invitations.invitation_create(seminar=theirs, actor=self.eve, username_or_email="ada")
        invitations.invitation_create(
            seminar=self.seminar,
            actor=self.ada,
            username_or_email='"<img/src=x/onerror=alert(190)>"@evil.example',
        )

    def _texts(self) -> None:
        self.document = documents.document_import(
            seminar=self.seminar,
            user=self.ada,
            title=" ".join(SHORT)[:300],
            author=" ".join(reversed(SHORT))[:300],
            citation=fit(2000)[1],
            language='"><svg onload=1>',
            source_text=ALL,
            format="plain",
        )
        labels = [s for s in SHORT if not re.search(r"\s", s)]
        source = [f"# {SHORT[0]} heading {SHORT[1]}"]
        for i, payload in enumerate(MARKDOWN[:60]):
            if i % 10 == 0:
                source.append(f"<!-- page {labels[(i // 10) % len(labels)]} -->")
            source.append(f"{payload} [^{labels[i % len(labels)]}] and words {i}")
        self.labelled = documents.document_import(
            seminar=self.seminar,
            user=self.ada,
            title=CSS[-1],  # breaks out of the PDF's running head, unless escaped
            source_text="\n\n".join(source),
            format="markdown",
        )

    def _annotations(self) -> None:
        document, eve, ada = self.document, self.eve, self.ada
        tags = SHORT[-notes.MAX_TAGS :]  # SHORT[:MAX_TAGS] goes to the claim

        def make(user: User, index: int, **kwargs: Any) -> Annotation:
            start, end = _span(document, index)
            return notes.annotation_create(
                document=document, user=user, start=start, end=end, **kwargs
            )

        self.comment = make(eve, 0, kind="comment", body=ALL, tags=tags)
        start = _span(document, 0)[0]
        notes.annotation_create(  # overlaps the comment
            document=document,
            user=eve,
            start=start + 3,
            end=_span(document, 1)[1],
            kind="question",
            body="\n".join(reversed(MARKDOWN)),
            tags=tags[::-1],
        )
        make(eve, 3, kind="highlight", tags=tags)
        make(ada, 4, kind="comment", body=ALL, visibility="private")
        hidden = make(eve, 5, kind="comment", body=ALL)
        moderation.content_set_hidden(
            moderator=self.mod, hidden=True, reason=SHORT[5], annotation=hidden
        )
        orphan = make(eve, 6, kind="comment", body=ALL)
        notes.annotation_create(
            document=self.labelled,
            user=eve,
            start=_span(self.labelled, 1)[0],
            end=_span(self.labelled, 3)[1],
            kind="comment",
            body=ALL,
            tags=tags,
        )
        # The editor corrects the orphan's paragraph: a new revision, a hostile reason.
        documents.revision_correct(
            document=document,
            user=ada,
            edits=[
                documents.Edit(
                    start=orphan.start or 0,
                    end=orphan.end or 0,
                    replacement=SHORT[6] + " " + SHORT[0],
                    reason=SHORT[1],
                )
            ],
            reason=fit(1500)[0],
        )
        document.refresh_from_db()
        # Each payload alone in a reply (where no earlier one can swallow it), and all of them
        # in the claim's thread, with every stance, one reply nested and mentioning Ada.
        self.replies: list[Reply] = [
            notes.reply_create(annotation=self.comment, user=eve, body=payload)
            for payload in MARKDOWN
        ]
        self.to_hide = notes.reply_create(annotation=self.comment, user=eve, body=SHORT[0])
        self.claim = make(ada, 2, kind="claim", body=ALL, tags=SHORT[: notes.MAX_TAGS])
        stances = ["comment", "supports", "disputes", "asks"]
        thread = [
            notes.reply_create(annotation=self.claim, user=eve, body=text, stance=stances[i % 4])
            for i, text in enumerate(fit(2000))
        ]
        notes.reply_create(annotation=self.claim, user=eve, body="@ada " + ALL, parent=thread[0])

    def _claims(self) -> None:
        claim, eve, mod = self.claim, self.eve, self.mod
        urls = [
            'https://evil.example/xss-probe/"><script>alert(180)</script>',
            "https://evil.example/?q=<img src=x onerror=alert(181)>",
            'https://evil.example/#" onmouseover="alert(182)',
        ]
        self.disputes = []
        for n in range(0, len(MARKDOWN), 19):
            chunk = MARKDOWN[n : n + 19]
            evidence: list[dict[str, Any]] = [
                {"kind": "passage", "start": claim.start, "end": claim.end}
            ]
            for i, payload in enumerate(chunk):
                if i % 2:
                    evidence.append({"kind": "url", "url": urls[i % 3], "title": payload[:300]})
                else:
                    evidence.append(
                        {"kind": "source", "citation": payload, "page": SHORT[i % len(SHORT)]}
                    )
            self.disputes.append(
                moderation.claim_dispute(
                    claim=claim,
                    user=eve,
                    grounds="misreading",
                    statement="\n\n".join(chunk),
                    evidence=evidence,
                )
            )
        moderation.dispute_rule(
            dispute=self.disputes[0],
            moderator=mod,
            decision="dismiss",
            text=ALL,
            claim_status="under_review",
        )
        for i, reason in enumerate([*fit(4000), *SHORT[:4]]):
            status = "disputed" if i % 2 == 0 else "under_review"
            moderation.claim_set_status(claim=claim, actor=mod, status=status, reason=reason)
        moderation.claim_set_status(claim=claim, actor=mod, status="under_review", reason=SHORT[7])

    def _moderation(self) -> None:
        mod, ada = self.mod, self.ada
        flag_notes = iter(fit(2000) * 3)
        moderation.flag_create(
            user=ada, reason="other", note=next(flag_notes), annotation=self.comment
        )
        for reporter in (ada, mod, *self.others[:2]):
            for reply in self.replies[:3]:
                moderation.flag_create(
                    user=reporter, reason="abusive", note=next(flag_notes), reply=reply
                )
        dismissed = moderation.flag_create(
            user=self.others[2], reason="spam", note=SHORT[8], reply=self.replies[5]
        )
        moderation.flag_dismiss(flag=dismissed, moderator=mod, reason=SHORT[9])
        moderation.thread_set_locked(annotation=self.claim, moderator=mod, locked=True, reason=ALL)
        moderation.thread_set_locked(
            annotation=self.claim, moderator=mod, locked=False, reason=SHORT[10]
        )
        # Hide and restore a reply, each time with a hostile reason: every payload is in a
        # reason the log page shows whole (it cuts each to 200 characters, "…" included).
        for i, reason in enumerate(fit(199)):
            moderation.content_set_hidden(
                moderator=mod, hidden=i % 2 == 0, reason=reason, reply=self.to_hide
            )


EDITION_FORMATS = ("html", "markdown", "tei", "jsonld")


def _build_exports(world: World, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Ada's exports, built in this process by the same service the Celery task runs."""
    monkeypatch.setattr(exports, "_enqueue", lambda job: None)
    wanted: list[tuple[str, str, dict[str, Any]]] = [
        *((f"edition.{f}", f, {"document": world.document}) for f in EDITION_FORMATS),
        # WeasyPrint takes long over a big edition: the PDF is of the shorter text.
        *((f"labelled.{f}", f, {"document": world.labelled}) for f in (*EDITION_FORMATS, "pdf")),
        *((f"claim.{f}", f, {"claim": world.claim}) for f in ("html", "pdf", "markdown", "json")),
    ]
    files = {}
    for name, format, target in wanted:
        job = exports.export_request(
            user=world.ada,
            kind="claim" if "claim" in target else "edition",
            format=format,
            options={"threads": True, "log": True, "private": True} if "document" in target else {},
            **target,
        )
        job = exports.export_run(job_id=job.pk)
        assert job.status == ExportJob.Status.SUCCEEDED, (name, job.error)
        with default_storage.open(job.file, "rb") as stored:
            files[name] = stored.read()
    return files


_LAX = MarkdownIt("commonmark", {"html": True})
_LAX.validateLink = lambda url: True  # type: ignore[method-assign]


def markdown_as_a_tool_shows_it(text: str) -> str:
    """A Markdown export as a permissive tool renders it: raw HTML on, every link kept; once
    as written and once with the footnotes opened (their indented bodies read as Markdown, as
    a footnote-aware tool reads them, not as code)."""
    opened = re.sub(r"^ {4}", "", text, flags=re.MULTILINE)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Markdown</title></head><body>'
        f"<section>{_LAX.render(text)}</section><section>{_LAX.render(opened)}</section>"
        "</body></html>"
    )


def tei_findings(data: bytes) -> list[str]:
    found = [bad for bad in ("<!DOCTYPE", "<!ENTITY", "<?xml-stylesheet") if bad.encode() in data]
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(data, parser)
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        found.append("a DOCTYPE")
    for node in root.iter():
        if isinstance(node, etree._ProcessingInstruction | etree._Entity):
            found.append(f"node {node!r}")
        elif isinstance(node.tag, str):
            if etree.QName(node).namespace != TEI_NS:
                found.append(f"element {node.tag}")
            for attribute in node.attrib:
                namespace = etree.QName(attribute).namespace
                if namespace not in (None, XML_NS):
                    found.append(f"attribute {attribute!r}")
    return found


def pdf_findings(data: bytes) -> list[str]:
    """Actions a PDF viewer would run or follow: scripts, launches, open actions, links to
    payload hosts or script URLs."""
    found: list[str] = []
    seen: set[tuple[int, int]] = set()
    actions = {"/JavaScript", "/JS", "/Launch", "/OpenAction", "/AA", "/SubmitForm", "/ImportData"}

    def walk(item: Any) -> None:
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                return
            seen.add(key)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                if key in actions:
                    found.append(f"PDF {key}")
                if key == "/URI":
                    uri = str(value)
                    if any(h in uri for h in HOSTS) or re.match(r"\s*(javascript|data|file)", uri):
                        found.append(f"PDF link to {uri[:120]}")
                walk(value)
        elif isinstance(item, ArrayObject):
            for value in item:
                walk(value)

    reader = PdfReader(io.BytesIO(data))
    walk(reader.trailer)
    for page in reader.pages:
        walk(page)
    return found


def test_every_payload_in_every_field_is_inert_on_every_path(
    live_server: Any,
    new_page: Callable[[], Page],
    settings: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.READER_POLL_SECONDS = 1
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with transaction.atomic():  # the live server sees the whole world or nothing
        world = World()
        files = _build_exports(world, monkeypatch)
    slug, document, claim = world.seminar.slug, world.document, world.claim
    reader = document.get_absolute_url()

    page = new_page()
    probe = Probe(page, live_server.url)
    log_in(page, live_server.url, "ada")
    probe.check("home")
    probe.goto("invitations", "/invitations/")
    probe.goto("seminar", f"/s/{slug}/")
    probe.goto("profile", "/accounts/profile/")

    # The reader and its htmx fragments.
    probe.goto("reader", reader)
    page.locator("#p1 mark.hl").first.click()
    expect(page.locator(f"#a-{world.comment.pk}")).to_be_visible()
    probe.check("reader: annotations-at panel")
    # Live update: another member writes while the panel is open; the poll swaps it in.
    replies = page.locator(f"#a-{world.comment.pk} .reply")
    count = replies.count()
    notes.reply_create(annotation=world.comment, user=world.eve, body=ALL)
    start, end = _span(document, 8)
    notes.annotation_create(
        document=document, user=world.eve, start=start, end=end, kind="claim", body=ALL
    )
    expect(replies).to_have_count(count + 1, timeout=10_000)
    expect(page.locator("#p9 mark.hl")).not_to_have_count(0, timeout=10_000)
    probe.check("reader: live-update poll")
    base = f"/s/{slug}/texts/{document.pk}/annotations"
    page.evaluate(
        "(url) => htmx.ajax('GET', url, {target: '#panel', swap: 'innerHTML'})",
        f"{base}/{claim.pk}/",
    )
    expect(page.locator(f"#a-{claim.pk} .reply")).not_to_have_count(0)
    probe.check("reader: thread panel of the claim")
    page.evaluate(
        "(url) => htmx.ajax('GET', url, {target: '#panel', swap: 'innerHTML'})",
        f"{base}/{claim.pk}/edit/",
    )
    expect(page.get_by_label("Text (Markdown)")).to_have_value(ALL)
    probe.check("reader: edit form")
    start, end = _span(document, 9)
    assert document.current is not None
    page.evaluate(
        "(url) => htmx.ajax('GET', url, {target: '#panel', swap: 'innerHTML'})",
        f"{base}/new/?start={start}&end={end}&kind=comment&base={document.current.number}",
    )
    page.get_by_label("Text (Markdown)").fill(ALL)
    page.get_by_label("Tags").fill(", ".join(SHORT[:10]))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#composer-preview .markdown-preview")).to_be_visible()
    probe.check("reader: composer preview (/markdown/preview/)")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#panel")).to_contain_text("Saved")
    probe.check("reader: saved panel and its out-of-band blocks")
    query = urlencode({"q": SHORT[1], "tag": SHORT[0], "member": SHORT[2], "kind": SHORT[3]})
    probe.goto("reader: filters reflected", f"{reader}?{query}")
    probe.goto("reader: an older revision", f"/s/{slug}/texts/{document.pk}/r/1/")
    probe.goto("reader: labelled text", world.labelled.get_absolute_url())
    probe.goto("history", f"/s/{slug}/texts/{document.pk}/history/")
    probe.goto("source (text/plain)", f"/s/{slug}/texts/{document.pk}/source/", scope=EXPORT)
    probe.goto("import page", f"/s/{slug}/texts/new/")
    page.get_by_label("Title").fill(SHORT[1])
    page.get_by_label("…or paste the text").fill(ALL)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".import-preview")).to_be_visible()
    probe.check("import preview")

    # Claims, moderation, notifications, exports.
    probe.goto("claims", f"/s/{slug}/claims/")
    query = urlencode({"member": SHORT[0], "status": SHORT[1], "sort": SHORT[2]})
    probe.goto("claims: filters reflected", f"/s/{slug}/claims/?{query}")
    probe.goto("claim page", f"/s/{slug}/claims/{claim.pk}/")
    probe.goto("moderation queue", f"/s/{slug}/moderation/")
    for number in range(1, ModerationEvent.objects.count() // 50 + 2):
        probe.goto(f"moderation log, page {number}", f"/s/{slug}/log/?page={number}")
    query = urlencode({"actor": SHORT[1], "action": SHORT[0], "page": SHORT[2]})
    probe.goto("moderation log: filters reflected", f"/s/{slug}/log/?{query}")
    probe.goto("notifications", "/notifications/")
    probe.goto("exports page", "/exports/")

    # The exports themselves, opened as files.
    for name in ("edition.html", "labelled.html", "claim.html"):
        path = tmp_path / name
        path.write_bytes(files[name])
        probe.goto(f"export {name} (file://)", path.as_uri(), scope=EXPORT)
    for name in ("edition.markdown", "labelled.markdown", "claim.markdown"):
        path = tmp_path / f"{name}.html"
        path.write_text(markdown_as_a_tool_shows_it(files[name].decode()))
        probe.goto(
            f"export {name} in a permissive Markdown tool", path.as_uri(), scope=MARKDOWN_PAGE
        )
    for name in ("edition.tei", "labelled.tei"):
        probe.findings[f"export {name} as XML"] = tei_findings(files[name])
        path = tmp_path / f"{name}.xml"
        path.write_bytes(files[name])
        page.goto(path.as_uri())
        page.wait_for_timeout(150)
        fired = page.evaluate("() => window.__fired || []")
        probe.findings[f"export {name} in Chromium"] = [*fired, *probe.pending]
        probe.pending = []
        probe.visited.append(f"export {name}")
    for name in ("labelled.pdf", "claim.pdf"):
        probe.findings[f"export {name}"] = pdf_findings(files[name])
        probe.visited.append(f"export {name}")
    assert "and words 0" in pdftotext(files["labelled.pdf"]), "the title's CSS hid the text"
    for name in ("edition.jsonld", "claim.json"):
        json.loads(files[name])  # well-formed, whatever the members wrote

    problems = {where: found for where, found in probe.findings.items() if found}
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
    assert len(probe.visited) >= 35


def test_markdown_exports_keep_each_payload_inert() -> None:
    """Each payload alone, as the Markdown exports write a member's text, read by the same
    permissive tool: no raw HTML, no image, no script link (no browser; names the payload)."""
    for payload in [*MARKDOWN, ALL]:
        shown = _LAX.render(inert_member_markdown(payload))
        parser = Elements()
        parser.feed(shown)
        for tag, attrs in parser.found:
            assert tag in MARKDOWN_TAGS, (payload, shown)
            for name, value in attrs:
                assert not name.startswith("on"), (payload, shown)
                bare = re.sub(r"[\x00-\x20]", "", value or "").lower()
                assert not bare.startswith(("javascript:", "data:", "vbscript:")), (payload, shown)
