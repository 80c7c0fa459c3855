"""The banner on a real company page (a hard CSS reset, a sticky header, long content, a
cookie consent dimmer at z-index 2147483646 after the snippet), in headless Chromium: fails
safe, quiet in the console, short on a phone, seen from anywhere on the page, above the
dimmer, and without accessibility violations."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from importlib.resources import files as package_files
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.website import open_page

pytestmark = pytest.mark.integration

REASON = (
    "fi:Rakennuksessa on tulipalo, ja henkilökunta on poistunut toimitilasta pelastuslaitoksen"
    " ohjeiden mukaisesti. Kukaan ei ole loukkaantunut."
)
PHONE = {"width": 375, "height": 667}
SHOTS = Path(os.environ.get("NOTICES_SHOTS", "/tmp/banner17-shots"))


def evacuate(notices: Any) -> None:
    run = notices("evacuate", "--for", "2h", "--reason", REASON, "--yes")
    assert run.exit_code == 0, run.stdout + run.stderr


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def hits(page: Page, selector: str, inside: str) -> bool:
    """Whether the topmost element at the middle of `selector` is within `inside`."""
    return bool(
        page.evaluate(
            """([sel, inside]) => { const r = document.querySelector(sel).getBoundingClientRect();
            const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return !!top && !!top.closest(inside); }""",
            [selector, inside],
        )
    )


def axe_violations(page: Page) -> list[str]:
    source = package_files("axe_playwright_python").joinpath("axe.min.js").read_text("utf-8")
    page.add_script_tag(content=source)
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in result]


def test_a_whole_cycle_is_quiet_in_the_console_on_every_page(notices, site, browser):
    pages = []
    for lang, kind in (("fi", "page"), ("sv", "page"), ("en", "page"), ("fi", "cookies")):
        tab = browser.new_page()
        problems: list[str] = []
        tab.on(
            "console",
            lambda m, p=problems: p.append(m.text) if m.type in ("error", "warning") else None,
        )
        tab.on("pageerror", lambda e, p=problems: p.append(str(e)))
        open_page(tab, site, lang, kind)
        pages.append((tab, problems))
    time.sleep(1.5)  # before: checks with nothing to show
    evacuate(notices)
    for tab, _ in pages:
        expect(tab.get_by_role("alert")).to_be_visible(timeout=5000)
    assert notices("resume", "--yes").exit_code == 0
    for tab, _ in pages:
        expect(tab.locator("#notices-banner")).to_have_count(0, timeout=5000)
        expect(tab.locator("#notices-compact")).to_have_count(0)
    time.sleep(1.5)  # after: more checks
    for tab, problems in pages:
        assert problems == [], tab.url
        tab.close()


def test_an_unreadable_status_keeps_the_last_state_only_until_it_expires(site, page):
    static, name = site
    status = static.root / name / "status.json"
    soon = (datetime.now(UTC) + timedelta(seconds=4)).replace(microsecond=0)
    stamp = soon.isoformat(timespec="seconds").replace("+00:00", "Z")
    status.write_text(
        json.dumps(
            {
                "mode": "evacuate",
                "active": True,
                "started": "2026-01-01T00:00:00Z",
                "expected_return": stamp,
                "expires": stamp,
                "title": {"fi": "Poikkeustilanne"},
                "html": {"fi": "<p>Palohälytys.</p>"},
            }
        )
    )
    open_page(page, site, "fi")
    expect(page.get_by_role("alert")).to_be_visible()
    static.failing[f"/{name}/status.json"] = 503
    time.sleep(1.5)
    expect(page.get_by_role("alert")).to_be_visible()  # unreadable: the last state stands
    # ... until its own expires, though the file still cannot be read.
    expect(page.locator("#notices-banner")).to_have_count(0, timeout=8000)
    assert datetime.now(UTC) >= soon


def test_an_inactive_status_hides_the_banner(notices, site, page):
    evacuate(notices)
    open_page(page, site, "fi")
    expect(page.get_by_role("alert")).to_be_visible()
    static, name = site
    (static.root / name / "status.json").write_text('{"mode": "normal", "active": false}')
    expect(page.locator("#notices-banner")).to_have_count(0, timeout=5000)


def test_on_a_phone_the_banner_is_short_and_read_more_opens_the_rest(notices, site, browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    open_page(page, site, "fi")
    evacuate(notices)
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("Toimipiste tilapäisesti suljettu", timeout=5000)
    shot(page, "phone-closed")
    height = banner.bounding_box()["height"]
    print(f"banner height at 375x667: {height:.0f} px ({height / 667:.0%} of the viewport)")
    assert height <= 0.25 * 667, height
    expect(banner.locator(".notices-back")).to_be_visible()  # the expected return
    more = banner.get_by_role("button", name="Lue lisää")
    expect(more).to_have_attribute("aria-expanded", "false")
    more.click()
    expect(banner.get_by_role("button", name="Näytä vähemmän")).to_have_attribute(
        "aria-expanded", "true"
    )
    opened = banner.bounding_box()["height"]
    assert opened > height + 40, (height, opened)
    # The whole text, in place: its last sentence is now on screen.
    expect(banner.get_by_text("asiakaspalvelu@esimerkki.fi", exact=False)).to_be_visible()
    shot(page, "phone-open")
    context.close()


@pytest.mark.parametrize("lang,more", [("sv", "Läs mer"), ("en", "Read more")], ids=["sv", "en"])
def test_read_more_in_the_page_language(notices, site, browser, lang, more):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    evacuate(notices)
    open_page(page, site, lang)
    expect(page.get_by_role("alert").get_by_role("button", name=more)).to_be_visible()
    assert page.get_by_role("alert").bounding_box()["height"] <= 0.25 * 667
    context.close()


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, PHONE], ids=["desktop", "phone"]
)
def test_a_reader_scrolled_down_sees_the_compact_notice_and_its_link_works(
    notices, site, browser, viewport
):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    open_page(page, site, "fi")
    page.locator("#hours").scroll_into_view_if_needed()
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight / 2)")
    evacuate(notices)
    mini = page.locator("#notices-compact")
    expect(mini).to_be_visible(timeout=5000)
    expect(mini).to_be_in_viewport()
    expect(mini).to_contain_text("Toimipiste tilapäisesti suljettu")
    # Announced once: the banner is the one alert; the compact notice is no live region.
    expect(page.get_by_role("alert")).to_have_count(1)
    assert mini.get_attribute("role") is None and mini.get_attribute("aria-live") is None
    # It covers none of the site's controls: the sticky header's button, and at the end of
    # the page the footer's link, are still what a click reaches.
    assert hits(page, "#menu", "#menu")
    shot(page, f"scrolled-{viewport['width']}")
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    expect(mini).to_be_visible()
    assert hits(page, "#footer-link", "#footer-link")
    # Its link brings the reader to the full banner; the compact notice then goes.
    mini.get_by_role("link").click()
    expect(page.get_by_role("alert")).to_be_in_viewport()
    expect(mini).to_be_hidden()
    context.close()


def test_the_compact_notice_closes_and_traps_no_focus(notices, site, page):
    open_page(page, site, "fi")
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight / 2)")
    evacuate(notices)
    mini = page.locator("#notices-compact")
    expect(mini).to_be_visible(timeout=5000)
    mini.get_by_role("button", name="Sulje ilmoitus").focus()
    page.keyboard.press("Tab")  # on past the notice, out of the page's content: not held
    inside = page.evaluate(
        "() => !!document.activeElement.closest('#notices-compact, #notices-banner')"
    )
    assert inside is False
    mini.get_by_role("button", name="Sulje ilmoitus").click()
    expect(page.locator("#notices-compact")).to_have_count(0)
    expect(page.locator("#notices-banner")).to_have_count(0)


def test_above_a_cookie_dimmer_and_no_axe_violations(notices, site, page: Page):
    evacuate(notices)
    open_page(page, site, "fi", "cookies")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#cookie-dimmer")).to_be_visible()
    assert hits(page, "#notices-banner strong", "#notices-banner")
    assert page.get_by_role("alert").get_by_role("button", name="Sulje ilmoitus").is_enabled()
    shot(page, "cookies-desktop")
    assert axe_violations(page) == []
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight / 2)")
    expect(page.locator("#notices-compact")).to_be_visible()
    assert hits(page, "#notices-compact a", "#notices-compact")
    assert axe_violations(page) == []
    page.locator("#cookie-ok").click()  # the site's own dialog still answers
    expect(page.locator("#cookie-dimmer")).to_have_count(0)


def test_no_axe_violations_during_the_incident_on_a_phone(notices, site, browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    evacuate(notices)
    open_page(page, site, "sv", "cookies")
    expect(page.get_by_role("alert")).to_be_visible()
    shot(page, "cookies-phone")
    assert axe_violations(page) == []
    context.close()
