"""Who can ask what (issue 10), in-process over a real index: tokens, logins, widget, SSO."""

import base64
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from harness.servers import BIN, free_port, running
from rag.chain import Chain
from rag.errors import RagError
from ui.server import build_server

pytestmark = pytest.mark.slow
QUESTION = {"question": "Which film used AI tools to de-age characters?"}
INTRANET = "https://intranet.example"
SSO = "X-Forwarded-User"

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(seeded_chain: Chain) -> MakeClient:
    """A TestClient (optionally from another client address) with some settings changed."""

    def make(address: str = "testclient", **changes: object) -> TestClient:
        settings = seeded_chain.settings.model_copy(update={"secret_key": "k" * 32, **changes})
        chain = Chain(settings, retriever=seeded_chain.retriever)
        return TestClient(build_server(chain), client=(address, 50000))

    return make


def basic(user: str, password: str) -> dict[str, str]:
    """An ``Authorization: Basic`` header."""
    pair = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def assert_json_error(response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert isinstance(response.json()["detail"], str)


# --- API tokens and widget tokens -------------------------------------------------


def test_with_api_tokens_the_server_origin_gets_no_widget_token(make_client: MakeClient) -> None:
    client = make_client(api_tokens=["s3cret"], allowed_origins=[INTRANET])
    # The server's own Host is not an allow-listed origin: any client can claim it.
    same_host = client.post("/api/widget-token", headers={"Origin": "http://testserver"})
    assert_json_error(same_host, 403)
    assert client.post("/api/widget-token", headers={"Origin": INTRANET}).status_code == 200


def test_widget_off_disables_widget_tokens(make_client: MakeClient) -> None:
    client = make_client(api_tokens=["s3cret"], allowed_origins=[INTRANET], widget=False)
    assert_json_error(client.post("/api/widget-token", headers={"Origin": INTRANET}), 404)
    assert_json_error(client.post("/api/ask", json=QUESTION, headers={"Origin": INTRANET}), 401)


def test_basic_auth_is_ignored_when_no_credentials_are_configured(
    make_client: MakeClient,
) -> None:
    response = make_client().post("/api/ask", json=QUESTION, headers=basic("joe", "x"))
    assert response.status_code == 200
    assert "Happy Gilmore 2" in response.json()["answer"]


# --- UI logins protect the API too --------------------------------------------------


def test_ui_logins_protect_the_api(make_client: MakeClient) -> None:
    client = make_client(auth=["alice:wonderland"])
    assert_json_error(client.post("/api/ask", json=QUESTION), 401)
    assert_json_error(client.post("/api/ask/stream", json=QUESTION), 401)
    wrong = client.post("/api/ask", json=QUESTION, headers=basic("alice", "nope"))
    assert_json_error(wrong, 401)
    right = client.post("/api/ask", json=QUESTION, headers=basic("alice", "wonderland"))
    assert right.status_code == 200
    # The UI's session cookie (Gradio's login) is good for the API too.
    assert client.post("/login", data={"username": "alice", "password": "wonderland"}).is_success
    assert client.post("/api/ask", json=QUESTION).status_code == 200


def test_ui_logins_issue_widget_tokens_to_listed_origins_only(make_client: MakeClient) -> None:
    client = make_client(auth=["alice:wonderland"], allowed_origins=[INTRANET])
    assert_json_error(
        client.post("/api/widget-token", headers={"Origin": "http://testserver"}), 403
    )
    assert client.post("/api/widget-token", headers={"Origin": INTRANET}).status_code == 200


@pytest.mark.parametrize("pair", ["nocolon", ":nouser", "nopassword:"])
def test_a_malformed_login_refuses_to_build(seeded_chain: Chain, pair: str) -> None:
    settings = seeded_chain.settings.model_copy(update={"auth": ["ok:fine", pair]})
    with pytest.raises(RagError, match=r"auth entry 2 .*user:password"):
        build_server(Chain(settings, retriever=seeded_chain.retriever))


@pytest.mark.server
def test_rag_serve_refuses_a_malformed_login(tmp_path: Path) -> None:
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "data"), "RAG_AUTH": '["nocolon"]'}
    command = [str(BIN / "rag"), "serve", "--host", "127.0.0.1", "--port", str(free_port())]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "user:password" in lines[0], result.stderr
    assert "nocolon" not in result.stderr  # a mistyped password is never echoed


# --- Rate-limit keys ----------------------------------------------------------------


def test_api_tokens_with_a_common_prefix_have_their_own_buckets(make_client: MakeClient) -> None:
    first, second = "team-token-0000000000-first", "team-token-0000000000-second"
    client = make_client(api_tokens=[first, second], rate_limit="2/minute")
    codes = [
        client.post(
            "/api/ask", json=QUESTION, headers={"Authorization": f"Bearer {first}"}
        ).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    other = client.post("/api/ask", json=QUESTION, headers={"Authorization": f"Bearer {second}"})
    assert other.status_code == 200


def test_widget_clients_are_limited_per_origin_and_address(make_client: MakeClient) -> None:
    settings = {"api_tokens": ["s3cret"], "allowed_origins": [INTRANET], "rate_limit": "2/minute"}
    first = make_client("10.0.0.1", **settings)
    second = TestClient(first.app, client=("10.0.0.2", 50000))  # same server, other address

    def ask(client: TestClient) -> int:
        issued = client.post("/api/widget-token", headers={"Origin": INTRANET})
        assert issued.status_code == 200
        bearer = {"Authorization": f"Bearer {issued.json()['token']}", "Origin": INTRANET}
        return client.post("/api/ask", json=QUESTION, headers=bearer).status_code

    assert [ask(first), ask(first)] == [200, 200]
    assert first.post("/api/widget-token", headers={"Origin": INTRANET}).status_code == 429
    assert ask(second) == 200  # another visitor of the same page is not starved


# --- Single sign-on through a trusted reverse proxy ---------------------------------


def test_sso_requires_the_user_header_from_a_trusted_peer(make_client: MakeClient) -> None:
    client = make_client(trusted_user_header=SSO, trusted_proxies=["testclient"])
    alice = {SSO: "alice"}
    assert client.post("/api/ask", json=QUESTION, headers=alice).status_code == 200
    assert client.get("/config", headers=alice).status_code == 200
    for method, path in [("POST", "/api/ask"), ("GET", "/"), ("GET", "/config")]:
        assert_json_error(client.request(method, path, json=QUESTION), 401)
    for public in ["/widget.js", "/docs", "/openapi.json", "/healthz"]:
        assert client.get(public).status_code == 200, public


def test_sso_ignores_the_user_header_from_other_peers(make_client: MakeClient) -> None:
    client = make_client(trusted_user_header=SSO)  # trusts 127.0.0.1 only
    forged = {SSO: "alice"}
    assert_json_error(client.post("/api/ask", json=QUESTION, headers=forged), 401)
    assert_json_error(client.get("/config", headers=forged), 401)


def test_sso_users_have_their_own_buckets(make_client: MakeClient) -> None:
    client = make_client(
        trusted_user_header=SSO, trusted_proxies=["testclient"], rate_limit="2/minute"
    )
    codes = [client.post("/api/ask", json=QUESTION, headers={SSO: "alice"}).status_code]
    codes += [client.post("/api/ask", json=QUESTION, headers={SSO: "alice"}).status_code]
    codes += [client.post("/api/ask", json=QUESTION, headers={SSO: "alice"}).status_code]
    assert codes == [200, 200, 429]
    assert client.post("/api/ask", json=QUESTION, headers={SSO: "bob"}).status_code == 200


# --- The start-up warning -----------------------------------------------------------


@pytest.mark.server
@pytest.mark.parametrize(("host", "warned"), [("0.0.0.0", True), ("127.0.0.1", False)])
def test_an_open_server_on_the_network_warns_at_start(
    tmp_path: Path, corpus: Path, host: str, warned: bool
) -> None:
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "data")}
    subprocess.run(
        [str(BIN / "rag"), "ingest", str(corpus)], env=env, check=True, capture_output=True
    )
    port = free_port()
    command = [str(BIN / "rag"), "serve", "--host", host, "--port", str(port)]
    log = tmp_path / "serve.log"
    with running(command, f"http://127.0.0.1:{port}/healthz", log, env=env):
        pass
    output = log.read_text()
    assert ("anyone who can reach" in output) is warned, output
