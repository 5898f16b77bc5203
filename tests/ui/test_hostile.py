"""Hostile clients against a real `rag serve`: slots come back however a client leaves."""

import json
import shutil
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import SEEDS
from tests.ui.conftest import App, serve

pytestmark = [pytest.mark.server, pytest.mark.slow]
QUESTION = {"question": "Which film used AI tools to de-age characters?"}


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """A real server with room for two answers at once and a generous rate limit."""
    folder = tmp_path_factory.mktemp("hostile")
    shutil.copytree(SEEDS, folder / "seeds")
    env = {"RAG_MAX_PENDING": "2", "RAG_RATE_LIMIT": "1000/minute"}
    with serve(folder, env) as app:
        yield app


def _raw_request(url: str, path: str, body: bytes, read_first: bool) -> None:
    """Send a POST over a bare socket, then hang up (at once, or after the first bytes)."""
    address = urlparse(url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body)
        if read_first:
            received = b""
            while b"event:" not in received:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                received += chunk
        # closing here, while the server is still answering, is the hostile part


def _ask(url: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        f"{url}/api/ask",
        data=json.dumps(QUESTION).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _answered_within(url: str, seconds: float) -> tuple[int, dict[str, object]]:
    """Ask until a 200 or ``seconds`` have passed; the last status and body."""
    deadline = time.monotonic() + seconds
    status, body = _ask(url)
    while status != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
        status, body = _ask(url)
    return status, body


@pytest.mark.parametrize(
    ("path", "read_first"),
    [("/api/ask/stream", False), ("/api/ask/stream", True), ("/api/ask", False)],
    ids=["stream-close-at-once", "stream-close-after-first-event", "ask-close-at-once"],
)
def test_clients_that_hang_up_give_their_slot_back(
    small_server: App, path: str, read_first: bool
) -> None:
    body = json.dumps(QUESTION).encode()
    for _ in range(8):  # four times as many as there are slots
        _raw_request(small_server.url, path, body, read_first)
    status, answer = _answered_within(small_server.url, 30)
    assert status == 200, answer
    assert "Happy Gilmore 2" in str(answer["answer"])


def test_the_server_log_has_no_traceback(small_server: App) -> None:
    log = (Path(small_server.folder) / "server.log").read_text()
    assert "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize("method", ["TRACE", "FOO", "BREW"])
def test_any_method_the_server_does_not_serve_gets_a_json_405(
    small_server: App, method: str
) -> None:
    address = urlparse(small_server.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        head = f"{method} /api/ask HTTP/1.1\r\nHost: {address.netloc}\r\nConnection: close"
        sock.sendall(f"{head}\r\n\r\n".encode())
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    status_line, _, body = received.partition(b"\r\n\r\n")
    assert status_line.split(b" ")[1] == b"405", received
    assert b"application/json" in status_line.lower()
    assert json.loads(body)["detail"]
