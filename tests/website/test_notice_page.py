"""The notice page (notice.html) in Chromium: a visible heading, label and links per
language, the return time and the last update; axe-core finds nothing to fix."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.support.website import StaticSite

pytestmark = pytest.mark.integration

CONTACTS = {
    "fi": ("+358 9 123 4567", "asiakaspalvelu@esimerkki.fi", "tel:+35891234567"),
    "sv": ("+358 9 123 4568", "kundtjanst@esimerkki.fi", "tel:+35891234568"),
    "en": ("+358 9 123 4569", "service@esimerkki.fi", "tel:+35891234569"),
}
LABELS = {"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}
TITLES = {
    "fi": "Toimipiste tilapäisesti suljettu",
    "sv": "Tillfälligt stängt",
    "en": "Office temporarily closed",
}
UPDATED = {"fi": "Päivitetty", "sv": "Uppdaterad", "en": "Updated"}
BACK = {
    "fi": "Palvelemme taas arviolta",
    "sv": "Vi räknar med att vara tillbaka",
    "en": "We expect to be back on",
}


@pytest.fixture(params=["fi", "sv", "en"])
def published(notices, home: Path, static_site: StaticSite, request) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The page with `request.param` first: the page's own language (html lang)."""
    first = request.param
    languages = [first, *(lang for lang in CONTACTS if lang != first)]
    name = request.node.name.replace("[", "_").replace("]", "")
    folder = static_site.folder(name)
    contacts = "\n".join(
        f'[organisation.alternative_contact.{lang}]\nphone = "{phone}"\nemail = "{email}"\n'
        f'web = "esimerkki.fi/{lang}"'
        for lang, (phone, email, _) in CONTACTS.items()
    )
    home.mkdir(parents=True, exist_ok=True)
    (home / "notices.toml").write_text(
        f"""
languages = {languages!r}
[organisation]
name = "Esimerkki Oy"
{contacts}
[channels.website]
kind = "banner"
public_url = "{static_site.url(name)}/"
[channels.website.publisher]
type = "folder"
path = "{folder}"
""",
        "utf-8",
    )
    run = notices("evacuate", "--for", "3h", "--reason", "fi:Palohälytys", "--yes")
    assert run.exit_code == 0, run.stdout + run.stderr
    yield static_site.url(f"{name}/notice.html")


@pytest.fixture
def page(browser) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 420, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def test_notice_page_has_a_labelled_section_per_language_and_passes_axe(published, page, tmp_path):
    page.goto(published)
    first = page.locator("section").first.get_attribute("lang")
    expect(page.locator("html")).to_have_attribute("lang", str(first))
    for lang, (phone, email, tel) in CONTACTS.items():
        section = page.locator(f'section[lang="{lang}"]')
        expect(section).to_have_count(1)
        expect(section.get_by_text(LABELS[lang], exact=True)).to_be_visible()
        expect(section.get_by_role("heading", level=1)).to_have_text(TITLES[lang])
        expect(section).to_contain_text(BACK[lang])
        expect(section).to_contain_text(UPDATED[lang])
        call = section.get_by_role("link", name=phone)
        expect(call).to_have_attribute("href", tel)
        write = section.get_by_role("link", name=email)
        expect(write).to_have_attribute("href", f"mailto:{email}")
        for link in (call, write):
            link.click(no_wait_after=True)  # a protocol handler: the page itself stays
            expect(section.get_by_role("heading", level=1)).to_be_visible()
        other = [p for other, (p, _, _) in CONTACTS.items() if other != lang]
        for number in other:
            expect(section).not_to_contain_text(number)
    expect(page.locator('section[lang="fi"]')).to_contain_text("Palohälytys")
    expect(page.locator('section[lang="sv"]')).not_to_contain_text("Palohälytys")
    shot = Path(os.environ.get("NOTICES_SCREENSHOTS", tmp_path)) / f"notice-{first}.png"
    page.screenshot(path=str(shot), full_page=True)

    results = Axe().run(page)
    violations = results.response["violations"]
    assert violations == [], results.generate_report()
    assert results.response["passes"], "axe-core ran no checks"
