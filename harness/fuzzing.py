"""The requests the API fuzzing sends, in tests/ui/test_fuzz.py and bench/fuzz_api.py:
the operations schemathesis generates requests for, and hand-made hostile ones."""

import json
from collections.abc import Iterator
from typing import Any

from schemathesis.generation import GenerationMode

QUESTION = "Which film used AI tools to de-age characters?"


def assert_well_formed(status: int, content_type: str, body: bytes) -> None:
    """No server error; an error response is JSON with a detail."""
    assert status < 500, body[:500]
    if status >= 400:
        assert content_type.startswith("application/json"), (status, content_type, body[:200])
        assert "detail" in json.loads(body)


POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
# Negative (invalid) data only where there is input to get wrong: the ask bodies.
OPERATIONS = [
    ("POST", "/api/ask", POSITIVE),
    ("POST", "/api/ask", NEGATIVE),
    ("POST", "/api/ask/stream", POSITIVE),
    ("POST", "/api/ask/stream", NEGATIVE),
    ("POST", "/api/widget-token", POSITIVE),
    ("POST", "/api/source-link", POSITIVE),
    ("POST", "/api/source-link", NEGATIVE),
    ("GET", "/source/{source_id}", POSITIVE),
    ("GET", "/file/{source_id}", POSITIVE),
    ("GET", "/healthz", POSITIVE),
    ("GET", "/readyz", POSITIVE),
]


def chunked(total: int, size: int = 65536) -> Iterator[bytes]:
    """A JSON ask body of a ``total``-byte question, sent in pieces of ``size`` (no
    Content-Length)."""
    yield b'{"question": "'
    sent = 0
    while sent < total:
        yield b"x" * size
        sent += size
    yield b'"}'


HOSTILE: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/api/ask", {"content": b'{"question": "' + b"y" * 2_000_000 + b'"}'}),
    ("POST", "/api/ask/stream", {"content": b'{"question": "' + b"y" * 2_000_000 + b'"}'}),
    ("POST", "/api/ask", {"content": b"\x00" * 1000}),
    ("POST", "/api/ask", {"json": {"question": "a\x00b"}}),
    ("POST", "/api/ask", {"json": {"question": "\x00"}}),
    ("POST", "/api/ask", {"content": b'{"question": "\\ud800\\udc00\\ud800"}'}),
    ("POST", "/api/ask", {"json": {"question": "ok?", "history": ["h"] * 10_000}}),
    ("POST", "/api/ask", {"json": {"question": "ok?", "history": ["h"] * 21}}),
    ("POST", "/api/ask", {"json": {"question": "ok?", "history": "not a list"}}),
    ("POST", "/api/ask", {"json": {"question": 42}}),
    ("POST", "/api/ask", {"json": {"question": None}}),
    ("POST", "/api/ask", {"json": {"question": {"$ne": ""}}}),
    ("POST", "/api/ask", {"json": ["question"]}),
    ("POST", "/api/ask", {"json": "question"}),
    ("POST", "/api/ask", {"json": {"question": QUESTION, "k": 0}}),
    ("POST", "/api/ask", {"json": {"question": QUESTION, "k": -1}}),
    ("POST", "/api/ask", {"json": {"question": QUESTION, "k": 10**9}}),
    ("POST", "/api/ask", {"json": {"question": QUESTION, "k": 10**400}}),
    ("POST", "/api/ask", {"json": {"question": QUESTION, "k": "5"}}),
    ("POST", "/api/ask", {"json": {"question": QUESTION, "k": 2.5}}),
    ("POST", "/api/ask/stream", {"json": {"question": QUESTION, "k": 10**9}}),
    ("POST", "/api/ask", {"content": b'{"question": "x", "k": NaN}'}),
    ("POST", "/api/ask", {"content": b"[" * 100_000 + b"]" * 100_000}),
    ("POST", "/api/ask", {"content": b'{"question": "ok?"', "headers": {"X": "truncated"}}),
    ("POST", "/api/ask", {"content": b"question=ok", "ctype": "application/x-www-form-urlencoded"}),
    ("POST", "/api/ask", {"content": b'{"question": "ok?"}', "ctype": "text/plain"}),
    ("POST", "/api/widget-token", {"content": b"\xff" * 100}),
    ("GET", "/api/ask", {}),
    ("PUT", "/api/ask", {"json": {"question": QUESTION}}),
    ("DELETE", "/api/ask/stream", {}),
    ("PATCH", "/api/widget-token", {}),
    ("POST", "/readyz", {}),
    ("GET", "/api/../api/ask", {}),
    ("GET", "/api/..%2f..%2fetc/passwd", {}),
    ("GET", "/api/nothing-here", {}),
    ("POST", "/api/nothing-here", {"json": {}}),
]


def request_of(options: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of an httpx ``request`` for one of ``HOSTILE``'s options:
    its body (``content`` bytes or ``json``) and headers, the content type its
    ``ctype`` names (JSON for raw content without one)."""
    headers = dict(options.get("headers", {}))
    if "ctype" in options:
        headers["Content-Type"] = str(options["ctype"])
    elif "content" in options:
        headers["Content-Type"] = "application/json"
    return {"content": options.get("content"), "json": options.get("json"), "headers": headers}
