"""Behind a real nginx, clients at different addresses have their own rate-limit buckets."""

import http.client
import json
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest

from harness.servers import nginx
from tests.conftest import SEEDS
from tests.ui.conftest import serve

pytestmark = [pytest.mark.server, pytest.mark.slow]
PREFIX = "/bot"
QUESTION = {"question": "How much revenue did Netflix report?"}


def post(url: str, body: object, source: str, headers: dict[str, str] | None = None) -> int:
    """POST JSON to ``url`` from the loopback address ``source``; the status code."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(
        str(parts.hostname), parts.port, timeout=60, source_address=(source, 0)
    )
    try:
        connection.request(
            "POST",
            parts.path,
            body=json.dumps(body),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = connection.getresponse()
        payload = json.loads(response.read())
        assert "detail" in payload or "answer" in payload
        return response.status
    finally:
        connection.close()


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("proxy-limits")
    shutil.copytree(SEEDS, folder / "seeds")
    (folder / "site").mkdir()
    env = {"RAG_ROOT_PATH": PREFIX, "RAG_RATE_LIMIT": "2/minute"}
    with ExitStack() as stack:
        app = stack.enter_context(serve(folder, env))
        port = int(app.url.rsplit(":", 1)[1])
        yield stack.enter_context(nginx(folder / "nginx", PREFIX, port, folder / "site"))


def test_clients_behind_the_proxy_have_their_own_buckets(proxied: str) -> None:
    url = f"{proxied}{PREFIX}/api/ask"
    # nginx connects from 127.0.0.1, the trusted proxy; clients A and B from elsewhere.
    # A claims other addresses: nginx appends the real one, and that one counts.
    claims: list[dict[str, str]] = [
        {},
        {"X-Forwarded-For": "10.9.9.1"},
        {"X-Forwarded-For": "10.9.9.2"},
    ]
    codes = [post(url, QUESTION, "127.0.0.3", claimed) for claimed in claims]
    assert codes == [200, 200, 429]
    assert post(url, QUESTION, "127.0.0.4") == 200  # client B is not starved by A
