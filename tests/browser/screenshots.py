"""Take the README's screenshots from a running Glossa with the demo seminar (make screenshots).

Usage: python -m tests.browser.screenshots [BASE_URL]   (default http://127.0.0.1:8000)
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# (file name, page, link to follow from it, something to click there, viewport width)
SHOTS = [
    ("seminar", "/s/cold-war-crises/", None, None, 1280),
    ("reader", "/s/cold-war-crises/", ".document-title", None, 1440),
    ("thread", "/s/cold-war-crises/", ".document-title", "mark.hl.k-claim", 1440),
    ("claim", "/s/cold-war-crises/claims/?sort=contested", ".claim-row h2 a", None, 1280),
    ("moderation", "/s/cold-war-crises/moderation/", None, None, 1280),
    ("seminars", "/", None, None, 1280),
    ("seminar-phone", "/s/cold-war-crises/", None, None, 390),
]


def main(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        for name, path, follow, click, width in SHOTS:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(f"{base}/accounts/login/")
            page.get_by_label("Username").fill("ada")
            page.get_by_label("Password").fill("glossa-demo")
            page.get_by_role("button", name="Log in").click()
            page.goto(f"{base}{path}")
            if follow:
                page.locator(follow).first.click()
                page.wait_for_load_state()
            if click:
                page.locator(click).nth(2).scroll_into_view_if_needed()
                page.locator(click).nth(2).click()
                page.locator("#panel .annotation").first.wait_for()
            page.screenshot(path=OUT / f"{name}.png", full_page=width < 600)
            page.close()
            print(f"wrote docs/screenshots/{name}.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
