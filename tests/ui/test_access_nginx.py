"""Who may read which collection behind a real nginx ``auth_request`` (issue 23): the
sign-on service names the user and their groups, nginx passes both on, and each route
that answers or shows text lets a user of the right group in and keeps the others out.

nginx connects to the app from 127.0.0.2, its only trusted proxy (as in
tests/ui/test_sso_nginx.py); a request sent straight to the app from 127.0.0.1 is not
trusted, whatever headers it carries. The users (harness/sign_on.py): alice in group
hr, bob in engineering, carol in none.
"""

import http.client
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, expect

from harness.corpora import ENGINEERING_QUESTION, HR_QUESTION, build_deployment
from harness.documents import write_pdf
from harness.gradio_events import api_index, call, fn_index, load_index
from harness.sign_on import GROUP_LOCATIONS, behind_nginx, signed_in

pytestmark = [pytest.mark.server, pytest.mark.slow]
RULES = '[collections.hr]\ngroups = ["hr"]\n\n[collections.engineering]\ngroups = ["engineering"]\n'
PDF_QUESTION = "How long does parental leave last?"


@dataclass
class Site:
    proxy: str
    direct: str
    folder: Path

    @property
    def rules(self) -> Path:
        return self.folder / "access.toml"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """hr (the default, with a PDF) and engineering, each readable by its group."""
    folder = tmp_path_factory.mktemp("access-nginx")
    (folder / "hr").mkdir()
    write_pdf(folder / "hr" / "parental-leave.pdf", ["Parental leave lasts sixteen weeks."])
    build_deployment(folder)
    (folder / "access.toml").write_text(RULES)
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(folder / "data"),
        "RAG_COLLECTION": "hr",
        "RAG_TRUSTED_USER_HEADER": "X-Forwarded-User",
        "RAG_TRUSTED_GROUPS_HEADER": "X-Forwarded-Groups",
        "RAG_TRUSTED_PROXIES": '["127.0.0.2"]',
        "RAG_ACCESS": str(folder / "access.toml"),
        "RAG_RATE_LIMIT": "1000/minute",
    }
    with behind_nginx(folder, env, GROUP_LOCATIONS) as (proxy, direct):
        yield Site(proxy=proxy, direct=direct, folder=folder)


@dataclass
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def send(
    url: str,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    source: str | None = None,
) -> Reply:
    """POST ``body`` (GET without one) to ``url``, from ``source`` (an address) if given."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(
        str(parts.hostname), parts.port, timeout=60, source_address=(source, 0) if source else None
    )
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.putrequest("POST" if body is not None else "GET", target)
        data = json.dumps(body).encode() if body is not None else b""
        pairs = headers.items() if isinstance(headers, dict) else headers or []
        for name, value in [("Content-Type", "application/json"), *pairs]:
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(data)))
        connection.endheaders(data)
        response = connection.getresponse()
        return Reply(response.status, response.read())
    finally:
        connection.close()


def ask(site: Site, user: str, collection: str | None = None, **more: Any) -> Reply:
    question = ENGINEERING_QUESTION if collection == "engineering" else HR_QUESTION
    body = {"question": question, **({"collection": collection} if collection else {}), **more}
    return send(f"{site.proxy}/api/ask", body, signed_in(user))


def assert_as_missing(refused: Reply, missing: Reply, name: str) -> None:
    assert refused.status == missing.status == 404, (refused.body, missing.body)
    assert refused.json() == json.loads(missing.body.decode().replace("nope", name))


def assert_refused(reply: Reply) -> None:
    """The 403 of a default collection the caller may not read: names none."""
    assert reply.status == 403, reply.body
    detail = reply.json()["detail"]
    assert "hr" not in detail and "engineering" not in detail


# --- The JSON API ----------------------------------------------------------------------


def test_each_user_asks_the_collections_of_their_groups(site: Site) -> None:
    alice = ask(site, "alice")
    assert alice.status == 200 and "thirty days" in alice.json()["answer"]
    bob = ask(site, "bob", "engineering")
    assert bob.status == 200 and "Tuesday and Thursday" in bob.json()["answer"]
    assert_refused(ask(site, "bob"))
    assert_as_missing(ask(site, "bob", "hr"), ask(site, "bob", "nope"), "hr")
    assert_as_missing(ask(site, "alice", "engineering"), ask(site, "alice", "nope"), "engineering")
    assert_refused(ask(site, "carol"))


def test_the_stream_follows_the_rules(site: Site) -> None:
    url = f"{site.proxy}/api/ask/stream"
    allowed = send(url, {"question": HR_QUESTION}, signed_in("alice"))
    assert allowed.status == 200 and b"thirty days" in allowed.body
    assert_refused(send(url, {"question": HR_QUESTION}, signed_in("bob")))
    named = send(url, {"question": HR_QUESTION, "collection": "hr"}, signed_in("bob"))
    missing = send(url, {"question": HR_QUESTION, "collection": "nope"}, signed_in("bob"))
    assert_as_missing(named, missing, "hr")


@pytest.mark.parametrize(
    ("user", "expected"), [("alice", ["hr"]), ("bob", ["engineering"]), ("carol", [])]
)
def test_each_user_lists_only_the_collections_they_may_read(
    site: Site, user: str, expected: list[str]
) -> None:
    listed = send(f"{site.proxy}/api/collections", headers=signed_in(user))
    assert listed.status == 200 and [c["name"] for c in listed.json()] == expected


# --- The source view, original files and signed links --------------------------------


def pdf_link(site: Site, user: str = "alice") -> tuple[dict[str, Any], str]:
    """The PDF's citation, and the signed source-view link ``user`` gets for it."""
    body = {"question": PDF_QUESTION}
    answer = send(f"{site.proxy}/api/ask", body, signed_in(user)).json()
    citation = next(c for c in answer["citations"] if c["source"].endswith(".pdf"))
    span = {key: citation[key] for key in ("source_id", "start", "end")}
    reply = send(f"{site.proxy}/api/source-link", span, signed_in(user))
    assert reply.status == 200, reply.body
    return citation, "/" + reply.json()["url"]


def test_the_source_view_and_the_pdf_open_for_their_group_only(site: Site) -> None:
    citation, link = pdf_link(site)
    file_id = citation["source_id"]
    assert send(f"{site.proxy}{link}", headers=signed_in("alice")).status == 200
    pdf = send(f"{site.proxy}/file/{file_id}", headers=signed_in("alice"))
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF-")
    for path in (link, f"/file/{file_id}", f"/source/{file_id}"):
        assert_refused(send(f"{site.proxy}{path}", headers=signed_in("bob")))
    for route in ("source", "file"):
        named = send(f"{site.proxy}/{route}/{file_id}?collection=hr", headers=signed_in("bob"))
        missing = send(f"{site.proxy}/{route}/{file_id}?collection=nope", headers=signed_in("bob"))
        assert_as_missing(named, missing, "hr")
    span = {key: citation[key] for key in ("source_id", "start", "end")}
    assert_refused(send(f"{site.proxy}/api/source-link", span, signed_in("bob")))


def test_a_signed_link_reused_after_the_rules_change_is_refused(site: Site) -> None:
    _, link = pdf_link(site)
    assert send(f"{site.proxy}{link}", headers=signed_in("alice")).status == 200
    try:
        site.rules.write_text(RULES.replace('groups = ["hr"]', 'groups = ["hr-leads"]'))
        os.utime(site.rules, ns=(site.rules.stat().st_mtime_ns + 10**9,) * 2)
        assert_refused(send(f"{site.proxy}{link}", headers=signed_in("alice")))
        assert_refused(
            send(f"{site.proxy}{link.replace('/source/', '/file/')}", headers=signed_in("alice"))
        )
    finally:
        site.rules.write_text(RULES)
        os.utime(site.rules, ns=(site.rules.stat().st_mtime_ns + 2 * 10**9,) * 2)
    assert send(f"{site.proxy}{link}", headers=signed_in("alice")).status == 200


def test_a_filter_naming_another_collections_path_returns_nothing(site: Site) -> None:
    for sources in ([str(site.folder / "eng" / "deploy.md")], ["eng/"]):
        reply = ask(site, "alice", "hr", sources=sources)
        assert reply.status == 404 and "citations" not in reply.json(), reply.body
        assert b"Tuesday" not in reply.body
    reply = ask(site, "bob", "engineering", sources=[str(site.folder / "hr")])
    assert reply.status == 404 and b"thirty days" not in reply.body


# --- Forged groups ----------------------------------------------------------------------


def test_a_forged_groups_header_is_refused(site: Site) -> None:
    forged = {"X-Forwarded-User": "carol", "X-Forwarded-Groups": "hr"}
    # Straight to the app, from an address that is not the trusted proxy.
    straight = send(f"{site.direct}/api/ask", {"question": HR_QUESTION}, forged)
    assert straight.status == 401
    # Through nginx, the client's groups header is replaced by the sign-on's (none).
    through = send(
        f"{site.proxy}/api/ask", {"question": HR_QUESTION}, {**signed_in("carol"), **forged}
    )
    assert_refused(through)
    # From the trusted proxy's own address, a groups header sent twice is refused.
    twice = [
        ("X-Forwarded-User", "carol"),
        ("X-Forwarded-Groups", "x"),
        ("X-Forwarded-Groups", "hr"),
    ]
    repeated = send(f"{site.direct}/api/ask", {"question": HR_QUESTION}, twice, "127.0.0.2")
    assert repeated.status == 401
    once = send(
        f"{site.direct}/api/ask", {"question": HR_QUESTION}, twice[:1] + twice[2:], "127.0.0.2"
    )
    assert once.status == 200  # the same header once, from the proxy: believed


# --- The Gradio chat, its ask API and the selector ------------------------------------


def gradio(site: Site, user: str) -> httpx.Client:
    return httpx.Client(base_url=site.proxy, headers=signed_in(user), timeout=120)


def test_the_gradio_ask_api_follows_the_rules(site: Site) -> None:
    with gradio(site, "bob") as bob:
        fn = api_index(bob, "ask")
        allowed = call(bob, fn, [ENGINEERING_QUESTION, [], "engineering", []])
        assert allowed.error is None and "Tuesday and Thursday" in str(allowed.output)
        refused = call(bob, fn, [HR_QUESTION, [], "hr", []])
        assert refused.error is not None and refused.error.startswith("no collection 'hr'")
        assert "thirty days" not in str(refused.message)


def test_the_chat_and_selector_follow_the_rules(site: Site) -> None:
    with gradio(site, "bob") as bob:
        loaded = call(bob, load_index(bob, "collection"), [], "bob-page")
        choices = [o["choices"] for o in loaded.output if isinstance(o, dict) and "choices" in o]
        assert [[value for _, value in c] for c in choices] == [["engineering"]]
        asked = call(
            bob,
            fn_index(bob, "question"),
            [ENGINEERING_QUESTION, [], "Answer", None, None],
            "bob-page",
        )
        assert "Tuesday and Thursday" in str(asked.output[0][-1]["content"])
        # A page session that never loaded asks the default collection (hr): refused.
        other = call(bob, fn_index(bob, "question"), [HR_QUESTION, [], "Answer", None, None])
        message = str(other.output[0][-1]["content"])
        assert "Error:" in message and "thirty days" not in message


@pytest.mark.browser
def test_a_user_who_may_read_nothing_gets_a_clear_page(browser: Browser, site: Site) -> None:
    context = browser.new_context(extra_http_headers=signed_in("carol"))
    page = context.new_page()
    page.goto(f"{site.proxy}/")
    expect(page.locator("#no-access")).to_contain_text(
        "No collection on this server is open to you"
    )
    expect(page.get_by_label("Your question")).to_be_hidden()
    context.close()


def test_decisions_are_in_the_server_log(site: Site) -> None:
    ask(site, "bob", "hr")
    lines = (site.folder / "server.log").read_text().splitlines()
    decisions = [line for line in lines if re.search(r"\bsso:bob\b.*\bhr\b.*refused", line)]
    assert decisions, lines[-20:]
