"""A real app server over a real index, and headless Chromium driven by Playwright."""

import asyncio
import os
import shutil
import subprocess
from collections.abc import Coroutine, Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright

from harness.servers import BIN, free_port, running
from rag.settings import Settings
from tests.conftest import SEEDS

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium tries to reach Google at start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
XSS_DOCUMENT = """# The llama handbook

Llamas hum softly when they are content <script>window.__xss = 'script'</script> and calm.

The handbook image <img src=x onerror="window.__xss = 'img'"> shows a llama grooming station.

Read the [grooming guide](javascript:window.__xss='link') before brushing a llama.
"""


@dataclass
class App:
    """A running `rag serve` and the folder it works in."""

    url: str
    folder: Path
    env: dict[str, str] = field(default_factory=dict)


@contextmanager
def serve(folder: Path, extra_env: dict[str, str]) -> Iterator[App]:
    """Ingest ./seeds (plus anything else there) in ``folder``, then serve it."""
    env = {**os.environ, "RAG_DATA_DIR": str(folder / "data"), **extra_env}
    subprocess.run(
        [str(BIN / "rag"), "ingest", "seeds"], cwd=folder, env=env, check=True, capture_output=True
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(BIN / "rag"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, f"{url}/", folder / "server.log", cwd=folder, env=env):
        yield App(url=url, folder=folder, env=env)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The UI over the seeds and the XSS document."""
    folder = tmp_path_factory.mktemp("app")
    corpus = Path(shutil.copytree(SEEDS, folder / "seeds"))
    (corpus / "llama-handbook.md").write_text(XSS_DOCUMENT)
    with serve(folder, {}) as running_app:
        yield running_app


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Visit:
    """A page plus what it requested and any dialog it tried to open."""

    page: Page
    requests: list[str]
    dialogs: list[str]

    def screenshot(self, name: str) -> None:
        """Save a screenshot under tests/artifacts/ (git-ignored)."""
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def open_visit(browser: Browser, url: str) -> Visit:
    """A fresh browser context (its own session) on ``url``."""
    page = browser.new_context().new_page()
    visit = Visit(page=page, requests=[], dialogs=[])
    page.on("request", lambda request: visit.requests.append(request.url))

    def dismiss(dialog: Dialog) -> None:
        visit.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.goto(url)
    page.get_by_label("Your question").wait_for()
    return visit


@pytest.fixture
def visit(browser: Browser, app: App) -> Iterator[Visit]:
    """The app in a new browser session."""
    opened = open_visit(browser, app.url)
    yield opened
    opened.page.context.close()


ANSWERED = "#chat .cite, #chat .abstention, #chat .retrieved"


def ask(visit: Visit, question: str) -> None:
    """Type a question, press Enter and wait until the answer is complete."""
    page = visit.page
    answered = page.locator(ANSWERED).count()
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        f"n => document.querySelectorAll({ANSWERED!r}).length > n", arg=answered, timeout=60_000
    )


def quote_in_view(page: Page, text: str) -> None:
    """``page`` is the source view with ``text`` marked, and the mark is on screen: the
    page opened scrolled to it (its bounding box lies inside the viewport)."""
    mark = page.locator("mark#quote")
    expect(mark).to_contain_text(text)
    page.wait_for_function(
        "() => { const r = document.querySelector('mark#quote').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }",
        timeout=10_000,
    )
    box, viewport = mark.bounding_box(), page.viewport_size
    assert box is not None and viewport is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]
    assert page.evaluate("window.scrollY") > 0, "the quote was on screen without scrolling"


def run_async(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coroutine`` to its end in a thread of its own: once a browser test has run,
    Playwright's sync API keeps an event loop running in the main thread, where
    ``asyncio.run`` refuses to start another."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def through_gate(settings: Settings, requests: list[list[tuple[bytes, bytes]]]) -> list[int | None]:
    """Send each request's header lines (repeated lines kept, as uvicorn passes them; a
    test client joins them into one) through ui.security.AccessGate to ``GET /config``:
    for each, the status the gate answered, or None when it passed the request on."""
    from ui.security import AccessGate

    passed: list[bool] = []

    async def app(scope: dict, receive: object, send: object) -> None:
        passed.append(True)

    gate = AccessGate(app, settings)  # type: ignore[arg-type]

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    statuses: list[int | None] = []
    for headers in requests:
        sent.clear()
        passed.clear()
        scope = {
            "type": "http", "method": "GET", "path": "/config", "headers": headers,
            "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80), "scheme": "http",
            "query_string": b"", "root_path": "",
        }  # fmt: skip
        run_async(gate(scope, receive, send))
        starts = [m["status"] for m in sent if m["type"] == "http.response.start"]
        statuses.append(None if passed else starts[0])
    return statuses
