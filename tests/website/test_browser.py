"""The banner in a real browser: Debian's headless Chromium, driven by Playwright, opens a
sample page that includes the snippet `notices embed` prints."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from tests.support.website import open_page

pytestmark = pytest.mark.integration


def test_banner_appears_in_the_page_language_and_goes_on_resume(notices, site, page, browser):
    static, name = site
    status = static.root / name / "status.json"
    # `embed --publish` wrote an inactive state: pages never ask for a missing file.
    assert json.loads(status.read_text()) == {"mode": "normal", "active": False}
    open_page(page, site, "fi")
    swedish = browser.new_page()
    open_page(swedish, site, "sv")
    expect(page.get_by_role("alert")).to_have_count(0)

    run = notices(
        "evacuate", "--for", "2h", "--reason", "fi:Palohälytys", "--reason", "sv:Brandlarm", "--yes"
    )
    assert run.exit_code == 0, run.stdout + run.stderr
    published = time.monotonic()

    # Pages already open show it at their next check, without a reload.
    banner = page.get_by_role("alert")
    expect(banner).to_be_visible(timeout=5000)
    seconds = time.monotonic() - published
    print(f"banner visible {seconds:.2f} s after evacuate returned (data-interval=1)")
    expect(banner).to_contain_text("Toimipiste tilapäisesti suljettu")
    expect(banner).to_contain_text("Palohälytys")
    expect(banner).to_have_attribute("lang", "fi")
    expect(swedish.get_by_role("alert")).to_contain_text("Tillfälligt stängt", timeout=5000)
    expect(swedish.get_by_role("alert")).to_contain_text("Brandlarm")
    expect(swedish.get_by_role("alert")).not_to_contain_text("Palohälytys")

    done = notices("resume", "--yes")
    assert done.exit_code == 0, done.stdout + done.stderr
    expect(page.get_by_role("alert")).to_have_count(0, timeout=5000)
    expect(swedish.get_by_role("alert")).to_have_count(0, timeout=5000)
    # `resume` put back an inactive state, not a missing file.
    assert json.loads(status.read_text()) == {"mode": "normal", "active": False}
    assert page.js_errors == []  # type: ignore[attr-defined]
    swedish.close()


def test_page_without_lang_falls_back_to_finnish(notices, site, page):
    static, name = site
    folder = static.root / name
    html = (folder / "page-fi.html").read_text().replace('<html lang="fi">', "<html>")
    (folder / "page-none.html").write_text(html)
    assert notices("evacuate", "--yes").exit_code == 0
    page.goto(static.url(f"{name}/page-none.html"))
    expect(page.get_by_role("alert")).to_contain_text("Toimipiste tilapäisesti suljettu")


def test_banner_is_readable_keeps_content_visible_and_is_dismissed_by_keyboard(notices, site, page):
    assert notices("evacuate", "--yes").exit_code == 0
    open_page(page, site, "en")
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("Office temporarily closed")

    # The site's own CSS (grey paragraphs, yellow divs) does not reach the banner.
    colours = page.evaluate(
        """() => { const b = document.getElementById('notices-banner');
        const p = b.querySelector('p') || b;
        return [getComputedStyle(b).backgroundColor, getComputedStyle(b).color, getComputedStyle(p).color]; }"""
    )
    assert colours == ["rgb(176, 0, 32)", "rgb(255, 255, 255)", "rgb(255, 255, 255)"]

    # In the flow above the page, not over it: the heading is below the banner, still visible.
    box = banner.bounding_box()
    heading = page.locator("#heading").bounding_box()
    assert box and heading and heading["y"] >= box["y"] + box["height"] - 1
    expect(page.locator("#heading")).to_be_in_viewport()

    # Keyboard: Tab reaches the close button first, Enter closes it.
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert focused == "Close notice"
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_count(0)
    time.sleep(1.5)  # at least one more check: it stays closed
    expect(page.get_by_role("alert")).to_have_count(0)
    # ... for the session: a reload does not bring it back.
    page.reload()
    expect(page.locator("#content")).to_be_visible()
    time.sleep(1.2)
    expect(page.get_by_role("alert")).to_have_count(0)
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_escape_closes_the_banner(notices, site, page):
    assert notices("evacuate", "--yes").exit_code == 0
    open_page(page, site, "fi")
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_role("alert").get_by_role("button").focus()
    page.keyboard.press("Escape")
    expect(page.get_by_role("alert")).to_have_count(0)


@pytest.mark.parametrize("problem", ["deleted", "500", "garbage", "wrong-shape"])
def test_a_missing_or_broken_state_file_never_breaks_the_page(notices, site, page, problem):
    static, name = site
    status = static.root / name / "status.json"
    if problem == "500":
        assert notices("evacuate", "--yes").exit_code == 0
        static.failing[f"/{name}/status.json"] = 500
    elif problem == "garbage":
        status.write_text("<html>not json{")
    elif problem == "wrong-shape":
        status.write_text('{"active": true, "html": "not an object", "mode": 3}')
    else:
        status.unlink()
    open_page(page, site, "fi")
    time.sleep(2.2)  # the first check and two periodic ones
    expect(page.get_by_role("alert")).to_have_count(0)
    page.locator("#counter").click()
    expect(page.locator("#counter")).to_have_text("1")
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_an_unreachable_state_file_leaves_a_shown_banner_in_place(notices, site, page):
    static, name = site
    assert notices("evacuate", "--yes").exit_code == 0
    open_page(page, site, "fi")
    expect(page.get_by_role("alert")).to_be_visible()
    static.failing[f"/{name}/status.json"] = 503
    time.sleep(2.2)
    expect(page.get_by_role("alert")).to_be_visible()
    static.failing.clear()
    (static.root / name / "status.json").unlink()
    expect(page.get_by_role("alert")).to_have_count(0, timeout=5000)
    assert page.js_errors == []  # type: ignore[attr-defined]
