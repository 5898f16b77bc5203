"""The widget shows a mid-stream failure as an error and a `notice` as a notice.

The real widget.js, in headless Chromium, talking to a tiny server that speaks the
API's wire format: a token, then a stream that fails after one delta, or a `done`
event carrying a notice (what an LLM failure with the extractive fallback sends).
"""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WIDGET = (REPO / "ui" / "embed" / "widget.js").read_bytes()
PARTIAL = "Happy Gilmore 2 used AI tools to"
FAILURE = "the LLM server did not answer: connection reset"
NOTICE = "The LLM could not be reached; this is the extractive answer."
ANSWER = "Happy Gilmore 2 used AI tools to de-age characters. [1]"


def _sse(event: str, payload: object) -> bytes:
    return f"event: {event}\ndata: {json.dumps(payload)}\n\n".encode()


def _done(notice: str | None) -> dict[str, object]:
    citation = {
        "n": 1,
        "source": "seeds/netflix.txt",
        "section": "Production",
        "start": 0,
        "end": 10,
        "quote": "Happy Gilmore 2",
        "score": 0.8,
    }
    done: dict[str, object] = {
        "question": "q",
        "answer": ANSWER,
        "abstained": False,
        "citations": [citation],
        "timings_ms": {},
    }
    if notice:
        done["notice"] = notice
    return done


class Handler(BaseHTTPRequestHandler):
    """/<scenario>/page.html, /<scenario>/widget.js and the two API calls it makes."""

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        scenario, _, name = self.path.strip("/").partition("/")
        if name == "widget.js":
            self._send(200, "text/javascript", WIDGET)
        elif name == "page.html":
            page = f"<!doctype html><title>{scenario}</title><p>Intranet page</p>"
            page += f'<script src="/{scenario}/widget.js" data-title="Ask" defer></script>'
            self._send(200, "text/html", page.encode())
        else:
            self._send(404, "application/json", b'{"detail": "Not Found"}')

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        scenario, _, name = self.path.strip("/").partition("/")
        if name == "api/widget-token":
            self._send(200, "application/json", b'{"token": "t", "expires_in": 600}')
            return
        if scenario == "error":
            body = _sse("delta", {"text": PARTIAL}) + _sse("error", {"detail": FAILURE})
        else:
            body = _sse("delta", {"text": ANSWER}) + _sse("citations", [])
            body += _sse("done", _done(NOTICE))
        self._send(200, "text/event-stream", body)


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _ask(browser: Browser, url: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(url)
    page.locator(".launcher").click()
    page.locator(".panel input").fill("Which film used AI tools to de-age characters?")
    page.locator(".panel input").press("Enter")
    return page


def test_a_mid_stream_failure_is_shown_as_an_error(browser: Browser, site: str) -> None:
    page = _ask(browser, f"{site}/error/page.html")
    answer = page.locator(".panel .a")
    expect(answer).to_have_class("a error", timeout=10_000)
    expect(answer).to_contain_text(FAILURE)
    assert PARTIAL not in answer.inner_text()  # the partial text is not passed off as an answer
    page.context.close()


def test_a_notice_is_shown_above_the_answer(browser: Browser, site: str) -> None:
    page = _ask(browser, f"{site}/notice/page.html")
    notice = page.locator(".panel .notice")
    expect(notice).to_have_text(NOTICE, timeout=10_000)
    expect(notice).to_be_visible()
    expect(page.locator(".panel .a")).to_have_text(ANSWER)
    above = notice.evaluate(
        "n => !!(n.compareDocumentPosition(n.parentNode.querySelector('.a')) & 4)"
    )
    assert above  # the answer follows the notice
    expect(page.locator(".panel details.citation")).to_have_count(1)
    page.context.close()
