"""The widget on an intranet page from another origin, in headless Chromium."""

import json
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from harness.servers import free_port, static_site
from tests.conftest import REPO, SEEDS
from tests.ui.conftest import ARTIFACTS, XSS_DOCUMENT, quote_in_view, serve

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]
EXAMPLE = REPO / "ui" / "embed" / "example.html"


def intranet_page(folder: Path, app_url: str) -> None:
    """example.html, pointing at ``app_url`` instead of the documented default."""
    folder.mkdir(parents=True, exist_ok=True)
    text = EXAMPLE.read_text().replace("http://127.0.0.1:7860", app_url)
    (folder / "example.html").write_text(text)


@dataclass
class Intranet:
    """Two intranet origins, one allow-listed, both embedding the widget."""

    allowed: str
    refused: str


@pytest.fixture(scope="module")
def intranet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Intranet]:
    folder = tmp_path_factory.mktemp("widget")
    corpus = Path(shutil.copytree(SEEDS, folder / "seeds"))
    (corpus / "llama-handbook.md").write_text(XSS_DOCUMENT)
    allowed_port, refused_port = free_port(), free_port()
    allowed_origin = f"http://127.0.0.1:{allowed_port}"
    env = {"RAG_ALLOWED_ORIGINS": json.dumps([allowed_origin])}
    with ExitStack() as stack:
        app = stack.enter_context(serve(folder, env))
        intranet_page(folder / "site", app.url)
        allowed = stack.enter_context(static_site(folder / "site", allowed_port))
        refused = stack.enter_context(static_site(folder / "site", refused_port))
        yield Intranet(allowed=f"{allowed}/example.html", refused=f"{refused}/example.html")


def widget_ask(page: Page, question: str) -> None:
    """Open the widget if needed and ask; Playwright's CSS pierces the open shadow root."""
    if not page.locator(".panel.open").count():
        page.locator(".launcher").click()
    asked = page.locator(".panel .turn .q").filter(has_text=question)
    before = asked.count()
    # A click, not Enter: the host page's Gradio iframe can take the focus while it
    # loads, and a key press then goes there (the question stayed in the box). While
    # it loads on a busy machine, a first fill was once lost too (CI: the box empty and
    # no turn shown): asked once more, as its reader would; a question lost twice fails.
    for _ in range(2):
        page.locator(".panel input").fill(question)
        page.locator(".panel button[type=submit]").click()
        try:
            expect(asked).to_have_count(before + 1, timeout=5_000)
            return
        except AssertionError:
            continue
    expect(asked).to_have_count(before + 1)


def open_page(browser: Browser, url: str) -> tuple[Page, list[str]]:
    page = browser.new_context().new_page()
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.goto(url)
    return page, dialogs


def test_an_allowed_origin_gets_cited_answers(browser: Browser, intranet: Intranet) -> None:
    page, _ = open_page(browser, intranet.allowed)
    launcher = page.locator(".launcher")
    expect(launcher).to_have_text("Ask the handbook")
    # The host page's hostile CSS (red buttons, serif) stops at the shadow root.
    assert launcher.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(9, 105, 218)"
    widget_ask(page, "Which film used AI tools to de-age characters?")
    citation = page.locator(".panel details.citation").first
    expect(citation.locator("summary")).to_contain_text(
        "[1] seeds/netflix-generative-ai.txt", timeout=60_000
    )
    citation.locator("summary").click()
    expect(citation.locator("blockquote")).to_contain_text("Happy Gilmore 2")
    expect(page.locator(".panel .a").first).to_contain_text("Happy Gilmore 2")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-answer.png"))
    page.context.close()


def test_a_citation_opens_the_source_view_from_the_widget(
    browser: Browser, intranet: Intranet
) -> None:
    page, _ = open_page(browser, intranet.allowed)
    widget_ask(page, "Which film used AI tools to de-age characters?")
    citation = page.locator(".panel details.citation").first
    expect(citation.locator("summary")).to_contain_text("[1]", timeout=60_000)
    citation.locator("summary").click()
    with page.expect_popup() as opened:
        citation.locator("a.open-source").click()
    view = opened.value
    view.wait_for_url("**/source/**")
    quote_in_view(view, "Happy Gilmore 2")
    page.context.close()


def test_a_refused_origin_sees_a_clear_error(browser: Browser, intranet: Intranet) -> None:
    page, _ = open_page(browser, intranet.refused)
    widget_ask(page, "Which film used AI tools to de-age characters?")
    error = page.locator(".panel .a.error")
    expect(error).to_contain_text("could not answer", timeout=30_000)
    expect(page.locator(".panel details.citation")).to_have_count(0)
    page.context.close()


def test_document_markup_stays_inert_in_the_widget(browser: Browser, intranet: Intranet) -> None:
    page, dialogs = open_page(browser, intranet.allowed)
    widget_ask(page, "What do llamas do when they are content?")
    quote = page.locator(".panel details.citation blockquote").first
    expect(quote).to_contain_text("<script>window.__xss = 'script'</script>", timeout=60_000)
    page.wait_for_timeout(300)
    assert dialogs == [] and page.evaluate("window.__xss") is None
    assert page.locator(".panel script, .panel img").count() == 0
    page.context.close()
