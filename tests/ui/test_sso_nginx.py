"""Single sign-on behind a real nginx: ``auth_request`` to a sign-on service sets the user.

nginx connects to the app from 127.0.0.2 (``proxy_bind``), the only trusted proxy;
a client reaching the app directly from 127.0.0.1 is not trusted, whatever it claims.
"""

import http.client
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, expect

from harness.servers import BIN, SSO_LOCATIONS
from harness.sign_on import behind_nginx, signed_in
from tests.conftest import SEEDS
from tests.ui.conftest import Visit, ask

pytestmark = [pytest.mark.server, pytest.mark.slow]
QUESTION = {"question": "How much revenue did Netflix report?"}


@dataclass
class Site:
    """nginx in front, the app behind it, and the app's folder."""

    proxy: str
    direct: str
    folder: Path


def request(
    url: str, method: str = "POST", headers: dict[str, str] | None = None
) -> tuple[int, dict]:
    """Send QUESTION (POST) or nothing (GET) from 127.0.0.1; status and JSON body."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(str(parts.hostname), parts.port, timeout=60)
    try:
        body = json.dumps(QUESTION) if method == "POST" else None
        connection.request(
            method,
            parts.path,
            body=body,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = connection.getresponse()
        assert response.getheader("Content-Type", "").startswith("application/json")
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("sso")
    shutil.copytree(SEEDS, folder / "seeds")
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(folder / "data"),
        "RAG_TRUSTED_USER_HEADER": "X-Forwarded-User",
        "RAG_TRUSTED_PROXIES": '["127.0.0.2"]',
        "RAG_RATE_LIMIT": "2/minute",
    }
    subprocess.run(
        [str(BIN / "rag"), "ingest", "seeds"], cwd=folder, env=env, check=True, capture_output=True
    )
    with behind_nginx(folder, env, SSO_LOCATIONS) as (proxy, direct):
        yield Site(proxy=proxy, direct=direct, folder=folder)


def test_signed_in_users_get_answers(site: Site) -> None:
    status, body = request(f"{site.proxy}/api/ask", headers=signed_in("carol"))
    assert status == 200 and "$11.5 billion" in body["answer"]


def test_without_sign_on_the_proxy_answers_401(site: Site) -> None:
    assert request(f"{site.proxy}/api/ask")[0] == 401
    assert request(f"{site.proxy}/api/ask", headers=signed_in("mallory"))[0] == 401
    # A user header from the client is replaced by nginx, never passed on.
    forged = {"X-Forwarded-User": "alice"}
    assert request(f"{site.proxy}/api/ask", headers=forged)[0] == 401


def test_the_app_refuses_a_forged_user_from_an_untrusted_peer(site: Site) -> None:
    forged = {"X-Forwarded-User": "alice", "X-Forwarded-For": "127.0.0.2"}
    status, body = request(f"{site.direct}/api/ask", headers=forged)
    assert status == 401 and "detail" in body
    assert request(f"{site.direct}/config", "GET", forged)[0] == 401
    assert request(f"{site.direct}/api/widget-token", headers=forged)[0] == 401
    assert request(f"{site.direct}/healthz", "GET")[0] == 200  # health probes stay public


def test_each_user_has_a_rate_limit_bucket(site: Site) -> None:
    url = f"{site.proxy}/api/ask"
    codes = [request(url, headers=signed_in("alice"))[0] for _ in range(3)]
    assert codes == [200, 200, 429]  # alice and bob come from one address: keyed by user
    assert request(url, headers=signed_in("bob"))[0] == 200


@pytest.mark.browser
def test_feedback_records_the_signed_in_user(browser: Browser, site: Site) -> None:
    context = browser.new_context(extra_http_headers=signed_in("dave"))
    visit = Visit(page=context.new_page(), requests=[], dialogs=[])
    visit.page.goto(f"{site.proxy}/")
    visit.page.get_by_label("Your question").wait_for()
    question = "Who is the CEO of Netflix?"
    ask(visit, question)
    visit.page.locator("#chat").get_by_role("button", name="Like").last.click()
    expect(visit.page.get_by_text("Thanks for the feedback.")).to_be_visible()
    lines = (site.folder / "data" / "feedback.jsonl").read_text().splitlines()
    mine = [record for record in map(json.loads, lines) if record["question"] == question]
    assert mine and mine[-1]["user"] == "dave"
    context.close()
