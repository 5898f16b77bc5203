"""The JSON API in-process over a real index: schema, streaming, auth, limits, readiness."""

import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from harness.servers import free_port
from rag.chain import Chain
from rag.settings import Settings
from ui.server import build_server, warm_up

pytestmark = pytest.mark.slow
QUESTION = {"question": "Which film used AI tools to de-age characters?"}
ALLOWED = "http://intranet.example"

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(seeded_chain: Chain) -> MakeClient:
    """A TestClient over the seeded index with some settings changed."""

    def make(raise_server_exceptions: bool = True, **changes: object) -> TestClient:
        settings = seeded_chain.settings.model_copy(update=changes)
        chain = Chain(settings, retriever=seeded_chain.retriever)
        return TestClient(build_server(chain), raise_server_exceptions=raise_server_exceptions)

    return make


def test_ask_returns_the_cli_json(make_client: MakeClient) -> None:
    response = make_client().post("/api/ask", json=QUESTION)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "question",
        "answer",
        "abstained",
        "citations",
        "timings_ms",
        "answerable",  # added for issue 13: the gate's probability
    }
    assert "Happy Gilmore 2" in body["answer"] and body["citations"][0]["n"] == 1


def test_stream_sends_deltas_then_citations_then_done(make_client: MakeClient) -> None:
    with make_client().stream("POST", "/api/ask/stream", json=QUESTION) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = "".join(response.iter_text())
    events = []
    for block in raw.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    names = [name for name, _ in events]
    assert names[-2:] == ["citations", "done"] and set(names[:-2]) == {"delta"}
    assert len(names) > 5
    done = events[-1][1]
    assert "".join(data["text"] for name, data in events if name == "delta") == done["answer"]
    assert events[-2][1] == done["citations"]


def test_tokens_are_required_when_configured(make_client: MakeClient) -> None:
    client = make_client(api_tokens=["s3cret"])
    assert client.post("/api/ask", json=QUESTION).status_code == 401
    wrong = client.post("/api/ask", json=QUESTION, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = client.post("/api/ask", json=QUESTION, headers={"Authorization": "Bearer s3cret"})
    assert right.status_code == 200


def test_widget_tokens_are_bound_to_an_allowed_origin(make_client: MakeClient) -> None:
    client = make_client(api_tokens=["s3cret"], allowed_origins=[ALLOWED], secret_key="k" * 32)
    refused = client.post("/api/widget-token", headers={"Origin": "http://evil.example"})
    assert refused.status_code == 403
    issued = client.post("/api/widget-token", headers={"Origin": ALLOWED})
    assert issued.status_code == 200 and issued.json()["expires_in"] == 600
    bearer = {"Authorization": f"Bearer {issued.json()['token']}"}
    ok = client.post("/api/ask", json=QUESTION, headers={**bearer, "Origin": ALLOWED})
    assert ok.status_code == 200
    foreign = client.post(
        "/api/ask", json=QUESTION, headers={**bearer, "Origin": "http://evil.example"}
    )
    assert foreign.status_code == 401

    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 3600

    expired = URLSafeTimedSerializer("k" * 32, salt="widget-token", signer=PastSigner).dumps(
        {"origin": ALLOWED, "scope": "ask"}
    )
    late = client.post(
        "/api/ask", json=QUESTION, headers={"Authorization": f"Bearer {expired}", "Origin": ALLOWED}
    )
    assert late.status_code == 401


def test_cors_allows_only_listed_origins(make_client: MakeClient) -> None:
    client = make_client(allowed_origins=[ALLOWED])
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    allowed = client.options("/api/ask", headers={"Origin": ALLOWED, **preflight})
    assert allowed.headers.get("access-control-allow-origin") == ALLOWED
    other = client.options("/api/ask", headers={"Origin": "http://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"question": "x" * 2001}, 422),
        ({"question": ""}, 422),
        ({"question": "ok?", "history": ["h"] * 21}, 422),
        ({"question": "y" * 70_000}, 413),
    ],
)
def test_over_limit_input_is_refused(make_client: MakeClient, body: dict, status: int) -> None:
    response = make_client().post("/api/ask", json=body)
    assert response.status_code == status
    assert "detail" in response.json()


def test_rate_limit(make_client: MakeClient) -> None:
    client = make_client(rate_limit="3/minute")
    codes = [client.post("/api/ask", json=QUESTION).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "rate limit" in client.post("/api/ask", json=QUESTION).json()["detail"]


# A full queue (429 while another answer is in progress, at no cost to the rate budget)
# is tested under real load in tests/ui/test_busy.py.


def test_health_readiness_docs_and_widget(make_client: MakeClient, seeded_chain: Chain) -> None:
    client = make_client()
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["chunks"] == seeded_chain.index.count() and ready["sources"] == 1
    assert client.get("/docs").status_code == 200
    assert "/api/ask/stream" in client.get("/openapi.json").json()["paths"]
    widget = client.get("/widget.js")
    assert widget.headers["content-type"].startswith("text/javascript")
    urls = re.findall(r"https?://[^\s\"']+", widget.text)
    assert urls == ["https://bot.example/widget.js"]  # the usage comment: nothing external


def test_ui_login_is_required_when_configured(make_client: MakeClient) -> None:
    client = make_client(auth=["alice:wonderland"])
    assert client.get("/config").status_code == 401
    assert client.post("/login", data={"username": "alice", "password": "nope"}).status_code == 400
    logged_in = client.post("/login", data={"username": "alice", "password": "wonderland"})
    assert logged_in.status_code == 200
    assert client.get("/config").status_code == 200


def test_readiness_waits_for_the_warm_up(seeded_chain: Chain) -> None:
    warmed = threading.Event()
    client = TestClient(build_server(seeded_chain, warmed))
    assert client.get("/readyz").status_code == 503  # listening, models not loaded yet
    assert client.get("/healthz").status_code == 200
    warm_up(seeded_chain, warmed)
    assert warmed.is_set() and client.get("/readyz").status_code == 200


HOSTILE_BODIES = [
    b'{"question": "\\ud800"}',  # a lone surrogate, escaped
    b'{"question": "\xed\xa0\x80"}',  # the same surrogate as raw (invalid UTF-8) bytes
    b'{"question": "ok?", "history": ["\\udfff"]}',
    b'{"question": "ok?", "k": NaN}',
    b'{"question": "ok?", "k": Infinity}',
    b'{"question": "ok?", "k": -Infinity}',
    b'{"question": "ok?", "k": 1e400}',
    b'{"question": "\xff\xfe"}',
    b"\x00\x00\x00",
    b'{"question": ["not", "a", "string"]}',
]


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_hostile_bodies_get_a_json_4xx(make_client: MakeClient, path: str, body: bytes) -> None:
    client = make_client(raise_server_exceptions=False)  # a bug answers 500, not raises
    response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    # 400: not JSON at all (undecodable bytes); 422: JSON that is not a valid question
    assert response.status_code in {400, 422}, response.text
    assert response.headers["content-type"] == "application/json"
    detail = response.json()["detail"]
    assert detail and "input" not in json.dumps(detail)  # the input is not echoed back


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream", "/api/widget-token"])
def test_wrong_methods_get_a_json_405(make_client: MakeClient, method: str, path: str) -> None:
    response = make_client().request(method, path)
    assert response.status_code == 405
    assert response.json()["detail"] == "Method Not Allowed"
    assert response.headers["allow"] == "POST"
    posted = make_client().post("/readyz")
    assert posted.status_code == 405 and posted.headers["allow"] == "GET"


def test_an_unreachable_chroma_is_a_json_503(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", chroma_url=f"http://127.0.0.1:{free_port()}")
    client = TestClient(build_server(Chain(settings)), raise_server_exceptions=False)
    for response in (
        client.post("/api/ask", json=QUESTION),
        client.post("/api/ask/stream", json=QUESTION),
        client.get("/readyz"),
    ):
        assert response.status_code == 503, response.text
        assert "Chroma" in response.json()["detail"]


def test_a_bug_is_a_json_500_logged_under_its_request_id(
    seeded_chain: Chain, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    chain = Chain(seeded_chain.settings, retriever=seeded_chain.retriever)

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug")  # stands in for any programming error

    monkeypatch.setattr(chain, "stream", broken)
    client = TestClient(build_server(chain), raise_server_exceptions=False)
    for path in ("/api/ask", "/api/ask/stream"):
        response = client.post(path, json=QUESTION)
        assert response.status_code == 500
        body = response.json()
        assert body["detail"] == "internal error" and len(body["request_id"]) >= 8
        logged = [r for r in caplog.records if body["request_id"] in r.getMessage()]
        assert logged and logged[0].exc_info and logged[0].exc_info[0] is ZeroDivisionError


def test_k_is_an_integer_not_a_boolean(make_client: MakeClient) -> None:
    response = make_client().post("/api/ask", json={**QUESTION, "k": True})
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "FOO"])
@pytest.mark.parametrize("path", ["/api/ask", "/", "/source/abc"])
def test_unknown_methods_get_a_json_405(make_client: MakeClient, method: str, path: str) -> None:
    response = make_client().request(method, path)
    assert response.status_code == 405, response.text
    assert response.json()["detail"]
