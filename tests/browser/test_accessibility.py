"""axe-core on Glossa's main screens, in the states people see them in; visible focus."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from annotate.models import Annotation, Document, ExportJob
from annotate.services import exports
from annotate.services.annotations import annotation_create, reply_create
from annotate.services.documents import document_import
from annotate.services.moderation import claim_dispute, claim_set_status, dispute_rule, flag_create
from core.models import Role, Seminar
from core.services.invitations import invitation_create, invite_link_create
from tests.browser.test_texts import SAMPLE, log_in
from tests.factories import make_seminar, make_user, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).with_name("vendor") / "axe.min.js"  # see vendor/README.txt
BLOCKING = {"serious", "critical"}

# Evaluated through the DevTools protocol, so the page's Content-Security-Policy (scripts
# only with a nonce) does not apply to it, as it would to an injected <script>.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n =>
      n.target.join(" ") + "  " + n.failureSummary.split("\\n").slice(1).join(" ")),
  }));
}"""

# Does the focused element show it? Glossa's focus indicator is a 2px-or-wider outline
# (the :focus-visible rule); a faint border or shading change alone is not enough.
FOCUS_SHOWS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const name = (el.getAttribute("aria-label") || el.textContent || el.value || "").trim();
  return {
    ring: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2,
    describe: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
      " “" + name.slice(0, 30) + "”",
    key: el.outerHTML.slice(0, 200) + name,
  };
}"""


def axe(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return violations


def table(results: dict[str, list[dict[str, Any]]]) -> str:
    rows = [("screen", "impact", "rule", "nodes")]
    for screen, violations in results.items():
        if not violations:
            rows.append((screen, "-", "(no violations)", "0"))
        for v in sorted(violations, key=lambda v: (v["impact"] != "critical", v["id"])):
            rows.append((screen, v["impact"], v["id"], str(len(v["nodes"]))))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def tab_through(page: Page, limit: int = 80) -> tuple[int, list[str]]:
    """Tab through the page (up to `limit` stops, or until focus comes round again);
    the number of stops and those whose focus does not show."""
    invisible: list[str] = []
    first = None
    stops = 0
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_SHOWS)
        if state is None:
            continue
        if state["key"] == first:
            break
        first = first or state["key"]
        stops += 1
        if not state["ring"]:
            invisible.append(state["describe"])
    return stops, invisible


@pytest.fixture
def world(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A seminar in use: annotations of every kind, a thread with stances, a ruled and an open
    dispute, a claim under review, flags, invitations, and exports in every state."""
    settings.MEDIA_ROOT = str(tmp_path)
    # The exports page should show a queued job; no worker runs here to take it.
    monkeypatch.setattr(exports, "_enqueue", lambda job: None)
    ada = make_user(username="ada", display_name="Ada")
    seminar: Seminar = make_seminar(ada, name="Hungary 1956")
    rosa = member(seminar, Role.MEMBER, username="rosa", display_name="Rosa")
    tom = member(seminar, Role.MEMBER, username="tom", display_name="Tom")
    miklos = member(seminar, Role.MODERATOR, username="miklos", display_name="Miklós")
    document: Document = document_import(
        seminar=seminar, user=ada, title="Superpowers", source_text=SAMPLE.read_text(), format="ocr"
    )
    text = document.current.text  # type: ignore[union-attr]

    def span(words: str) -> tuple[int, int]:
        at = text.index(words)
        return at, at + len(words)

    def note(user: Any, words: str, kind: str, body: str = "") -> Annotation:
        start, end = span(words)
        return annotation_create(
            document=document, user=user, start=start, end=end, kind=kind, body=body, tags=["1956"]
        )

    claim = note(rosa, "this tacit agreement in the East-West", "claim", "Never *written*.")
    reply_create(annotation=claim, user=tom, body="Both sides kept negotiating.", stance="disputes")
    reply_create(annotation=claim, user=ada, body="Section II agrees.", stance="supports")
    comment = note(ada, "tacit agreement", "comment", "An overlapping comment.")
    note(tom, "the status quo that the allies set up in 1945", "question", "Which allies?")
    note(ada, "the chilliest years of the Cold War", "highlight")
    ruled = claim_dispute(
        claim=claim, user=tom, grounds="missing_context", statement="Section II disagrees."
    )
    dispute_rule(
        dispute=ruled, moderator=miklos, decision="dismiss", text="Negotiating fits the claim."
    )
    second = note(ada, "mutual consent started to work", "claim", "A rule of thumb.")
    claim_dispute(claim=second, user=tom, grounds="unsupported", statement="Where is it said?")
    third = note(tom, "the passivity of the West", "claim", "Not surprising at all.")
    claim_set_status(claim=third, actor=miklos, status="under_review", reason="Checking sources.")
    flag_create(user=tom, annotation=comment, reason="off_topic", note="Not about the text.")
    flag_create(user=rosa, reply=claim.replies.get(author=ada), reason="other")
    invitation_create(seminar=seminar, actor=ada, username_or_email="june@example.org")
    invite_link_create(seminar=seminar, actor=ada, role=Role.MEMBER, max_uses=5)
    done = exports.export_request(user=ada, kind="edition", format="markdown", document=document)
    exports.export_run(job_id=done.pk)
    failed = exports.export_request(user=ada, kind="claim", format="html", claim=second)
    exports.export_failed(job_id=failed.pk, error=RuntimeError("the store refused the file"))
    exports.export_request(user=ada, kind="archive", format="zip", seminar=seminar)
    assert ExportJob.objects.filter(status="queued").count() == 1
    return {"seminar": seminar, "document": document, "claim": claim, "ruled": ruled}


def test_main_screens_have_no_serious_violations(
    live_server: Any,
    new_page: Callable[[], Page],
    world: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = live_server.url
    seminar, document, claim = world["seminar"], world["document"], world["claim"]
    results: dict[str, list[dict[str, Any]]] = {}
    focus: dict[str, tuple[int, list[str]]] = {}

    page = new_page()
    page.goto(base + "/accounts/login/")
    results["login"] = axe(page)
    focus["login"] = tab_through(page)
    log_in(page, base, "ada")
    results["home"] = axe(page)

    page.goto(base + seminar.get_absolute_url())
    expect(page.get_by_role("heading", name="Invite people")).to_be_visible()
    results["seminar (owner)"] = axe(page)
    focus["seminar (owner)"] = tab_through(page)

    page.goto(base + document.get_absolute_url())
    page.locator("#p1 mark.hl.k-claim").first.click()
    thread = page.locator(f"#a-{claim.pk}")
    expect(thread).to_contain_text("Both sides kept negotiating.")
    results["reader + thread panel"] = axe(page)
    focus["reader + thread panel"] = tab_through(page, 150)

    page.keyboard.press("Escape")  # closes the panel, back to the text
    page.locator("#p2").focus()
    page.keyboard.press("Enter")  # a caret at the start of ¶2…
    for _ in range(3):
        page.keyboard.press("Control+Shift+ArrowRight")  # …and three words selected
    expect(page.locator("#keyboard-hint")).to_be_visible()
    expect(page.locator("#selection-toolbar")).to_be_visible()
    results["reader + keyboard selection"] = axe(page)
    page.keyboard.press("k")
    expect(page.get_by_label("Text (Markdown)")).to_be_visible()
    results["reader + composer"] = axe(page)

    page.goto(base + "/exports/")
    expect(page.get_by_role("link", name="Download")).to_be_visible()
    expect(page.get_by_role("button", name="Retry")).to_be_visible()
    results["exports (3 jobs)"] = axe(page)
    focus["exports (3 jobs)"] = tab_through(page)

    moderator = new_page()
    log_in(moderator, base, "miklos")
    moderator.goto(f"{base}/s/{seminar.slug}/moderation/")
    expect(moderator.locator("body")).to_contain_text("Open disputes 1")
    results["moderation queue"] = axe(moderator)
    focus["moderation queue"] = tab_through(moderator)

    moderator.goto(f"{base}/s/{seminar.slug}/claims/{claim.pk}/")
    expect(moderator.locator(".ruling")).to_contain_text("Negotiating fits the claim.")
    results["claim (moderator)"] = axe(moderator)
    focus["claim (moderator)"] = tab_through(moderator)

    member_page = new_page()
    log_in(member_page, base, "tom")
    second = Annotation.objects.get(exact="mutual consent started to work")
    member_page.goto(f"{base}/s/{seminar.slug}/claims/{second.pk}/")
    member_page.get_by_text("Dispute this claim").click()
    expect(member_page.get_by_label("Statement")).to_be_visible()
    results["claim (member, dispute form)"] = axe(member_page)

    with capsys.disabled():
        print("\naxe-core violations per screen\n" + table(results))
        print("focus stops (Tab), all must show a focus ring:")
        print("\n".join(f"  {screen}: {n}" for screen, (n, _) in focus.items()))
    blocking = [
        f"{screen}: {v['impact']} {v['id']} ({v['help']})\n    " + "\n    ".join(v["nodes"])
        for screen, violations in results.items()
        for v in violations
        if v["impact"] in BLOCKING
    ]
    unseen = [f"{screen}: {', '.join(found)}" for screen, (_, found) in focus.items() if found]
    problems = []
    if blocking:
        problems.append("serious or critical violations:\n" + "\n".join(blocking))
    if unseen:
        problems.append("focus not visible on:\n" + "\n".join(unseen))
    if problems:
        pytest.fail("\n".join(problems))
    for p in (page, moderator, member_page):
        assert p.console_errors == []  # type: ignore[attr-defined]
