"""A collection ingested while the app runs, asked from the widget and from the chat."""

import subprocess

import pytest
from playwright.sync_api import Browser, Page, expect

from harness.corpora import write_files
from harness.servers import BIN
from tests.ui.conftest import App, ask, open_visit
from tests.ui.test_widget_browser import widget_ask

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]
FAQ = {
    "faq/cafeteria.md": "# Cafeteria\n\nThe staff cafeteria opens at half past seven in the "
    "morning. It serves a vegetarian lunch every Friday.\n"
}
QUESTION = "When does the staff cafeteria open?"


@pytest.fixture(scope="module")
def faq(app: App) -> str:
    """The collection ``faq``, ingested by `rag ingest` beside the running app."""
    write_files(app.folder, FAQ)
    subprocess.run(
        [str(BIN / "rag"), "ingest", "--collection", "faq", "faq"],
        cwd=app.folder,
        env=app.env,
        check=True,
        capture_output=True,
    )
    return "faq"


def intranet_page(browser: Browser, app: App, collection: str) -> Page:
    """A page on the app's own origin embedding the widget with ``data-collection``."""
    page = browser.new_context().new_page()
    url = f"{app.url}/intranet/{collection}.html"
    html = (
        "<!doctype html><title>Intranet</title><h1>Canteen</h1>"
        f'<script src="{app.url}/widget.js" data-collection="{collection}" defer></script>'
    )
    page.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(url)
    return page


def test_the_widget_asks_the_collection_of_its_script_tag(
    browser: Browser, app: App, faq: str
) -> None:
    page = intranet_page(browser, app, faq)
    widget_ask(page, QUESTION)
    citation = page.locator(".panel details.citation").first
    expect(citation.locator("summary")).to_contain_text("[1] faq/cafeteria.md", timeout=60_000)
    expect(page.locator(".panel .a").first).to_contain_text("half past seven")
    page.context.close()


def test_the_widget_says_when_its_collection_does_not_exist(browser: Browser, app: App) -> None:
    page = intranet_page(browser, app, "retired")
    widget_ask(page, QUESTION)
    expect(page.locator(".panel .a.error")).to_contain_text("no collection 'retired'")
    page.context.close()


def test_the_chat_asks_the_collection_chosen_in_the_selector(
    browser: Browser, app: App, faq: str
) -> None:
    visit = open_visit(browser, app.url)
    page = visit.page
    try:
        page.get_by_label("Collection").click()
        page.get_by_role("option", name="faq (1 file)").click()
        ask(visit, QUESTION)
        expect(page.locator("#sources")).to_contain_text("faq/cafeteria.md")
        expect(page.locator("#chat")).to_contain_text("half past seven")
    finally:
        page.context.close()
