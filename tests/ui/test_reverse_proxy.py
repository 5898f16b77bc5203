"""Behind a real nginx under /bot/: the UI, the API and the widget all work."""

import json
import shutil
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from playwright.sync_api import Browser, expect

from harness.servers import nginx
from tests.conftest import SEEDS
from tests.ui.conftest import ask, open_visit, serve
from tests.ui.test_widget_browser import widget_ask

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]
PREFIX = "/bot"


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("proxy")
    shutil.copytree(SEEDS, folder / "seeds")
    site = folder / "site"
    site.mkdir()
    (site / "page.html").write_text(
        f"<!doctype html><title>Intranet</title><h1>Intranet</h1>"
        f'<script src="{PREFIX}/widget.js" data-title="Ask us" defer></script>'
    )
    with ExitStack() as stack:
        app = stack.enter_context(serve(folder, {"RAG_ROOT_PATH": PREFIX}))
        port = int(app.url.rsplit(":", 1)[1])
        yield stack.enter_context(nginx(folder / "nginx", PREFIX, port, site))


def test_api_answers_under_the_prefix(proxied: str) -> None:
    request = urllib.request.Request(
        f"{proxied}{PREFIX}/api/ask",
        data=json.dumps({"question": "How much revenue did Netflix report?"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.load(response)
    assert "$11.5 billion" in body["answer"]
    with urllib.request.urlopen(f"{proxied}{PREFIX}/openapi.json", timeout=10) as response:
        assert json.load(response)["servers"] == [{"url": PREFIX}]


def test_ui_loads_and_answers_under_the_prefix(browser: Browser, proxied: str) -> None:
    visit = open_visit(browser, f"{proxied}{PREFIX}/")
    ask(visit, "Which film used AI tools to de-age characters?")
    expect(visit.page.locator("#sources #source-1 mark")).to_contain_text("Happy Gilmore 2")
    outside = [u for u in visit.requests if not u.startswith(f"{proxied}{PREFIX}/")]
    assert outside == [], "the UI requested something outside its prefix"
    visit.page.context.close()


def test_widget_works_from_the_prefix(browser: Browser, proxied: str) -> None:
    page = browser.new_context().new_page()
    page.goto(f"{proxied}/intranet/page.html")
    widget_ask(page, "Which film used AI tools to de-age characters?")
    expect(page.locator(".panel details.citation summary").first).to_contain_text(
        "seeds/netflix-generative-ai.txt", timeout=60_000
    )
    page.context.close()
