"""Who may read which collection (issue 23), in-process over two real collections: rules
by login, group, API token and widget origin, enforced on every route that answers or
shows text. Single sign-on behind a real nginx: tests/ui/test_access_nginx.py."""

import base64
import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response  # what Starlette's TestClient answers with

from harness.corpora import ENGINEERING_QUESTION, HR_QUESTION, Deployment
from harness.gradio_events import api_index, call, fn_index, load_index, login
from rag.chain import Chain
from rag.settings import Settings, SettingsInvalid
from tests.ui.conftest import through_gate
from tests.ui.test_readme_examples import example
from ui.access import Access, Caller
from ui.server import build_server

pytestmark = pytest.mark.slow
HR_PAGE = "https://hr.intranet.example"
WIKI_PAGE = "https://wiki.intranet.example"
HR_BOT_SECRET, OPS_SECRET, UNNAMED_SECRET = "hr-bot-0001-secret", "ops-0002-secret", "plain-0003"
TOKENS = [f"hr-bot:{HR_BOT_SECRET}", f"ops:{OPS_SECRET}", UNNAMED_SECRET]
LOGINS = {"alice": "a-pw", "bob": "b-pw", "carol": "c-pw"}
# hr (the default collection) is HR's; engineering has no rule: everyone may read it.
RULES: dict[str, Any] = {
    "collections": {"hr": {"groups": ["hr"], "tokens": ["hr-bot"], "origins": [HR_PAGE]}},
    "groups": {"hr": ["alice"], "engineering": ["bob"]},
}
# Both collections ruled: carol, in no group, may read none.
BOTH_RULED: dict[str, Any] = {
    "collections": {**RULES["collections"], "engineering": {"groups": ["engineering"]}},
    "groups": RULES["groups"],
}
NO_ACCESS = "No collection on this server is open to you"
MISSING = "no collection 'nope': "

MakeClient = Callable[..., TestClient]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def basic(user: str) -> dict[str, str]:
    pair = base64.b64encode(f"{user}:{LOGINS[user]}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


HR_BOT, OPS, UNNAMED = bearer(HR_BOT_SECRET), bearer(OPS_SECRET), bearer(UNNAMED_SECRET)
ALICE, BOB, CAROL = basic("alice"), basic("bob"), basic("carol")


@pytest.fixture(scope="module")
def make_client(deployment: Deployment) -> Iterator[MakeClient]:
    """A client of the whole server over hr (the default) and engineering, with API
    tokens, UI logins, two widget origins and ``RULES``, some settings changed."""
    clients: list[TestClient] = []

    def make(address: str = "testclient", **changes: object) -> TestClient:
        settings = deployment.settings.model_copy(
            update={
                "secret_key": "k" * 32,
                "rate_limit": "1000/minute",
                "api_tokens": TOKENS,
                "auth": [f"{user}:{password}" for user, password in LOGINS.items()],
                "allowed_origins": [HR_PAGE, WIKI_PAGE],
                "access": RULES,
                **changes,
            }
        )
        client = TestClient(build_server(Chain(settings)), client=(address, 50000)).__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def client(make_client: MakeClient) -> TestClient:
    return make_client()


def ask(
    client: TestClient, headers: dict[str, str], collection: str | None = None, **more: object
) -> Response:
    question = ENGINEERING_QUESTION if collection == "engineering" else HR_QUESTION
    body = {"question": question, **({"collection": collection} if collection else {}), **more}
    return client.post("/api/ask", json=body, headers=headers)


def widget(client: TestClient, origin: str) -> dict[str, str]:
    issued = client.post("/api/widget-token", headers={"Origin": origin})
    assert issued.status_code == 200, issued.text
    return {"Authorization": f"Bearer {issued.json()['token']}", "Origin": origin}


def listed(client: TestClient, headers: dict[str, str]) -> list[str]:
    response = client.get("/api/collections", headers=headers)
    assert response.status_code == 200, response.text
    return [c["name"] for c in response.json()]


def assert_refused_as_missing(refused: Response, missing: Response, name: str = "hr") -> None:
    """``refused`` (for collection ``name``) is exactly what a missing collection gets."""
    assert refused.status_code == missing.status_code == 404, (refused.text, missing.text)
    assert missing.json()["detail"].startswith(MISSING)
    assert refused.json() == json.loads(missing.text.replace("nope", name))


def assert_refused_default(response: Response) -> None:
    """A 403 with a one-line reason that names no collection."""
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/json")
    detail = response.json()["detail"]
    assert "\n" not in detail and "hr" not in detail and "engineering" not in detail


# --- Who may read what --------------------------------------------------------------


def test_without_rules_every_caller_reads_every_collection(make_client: MakeClient) -> None:
    client = make_client(access=None)
    for headers in (UNNAMED, HR_BOT, CAROL):
        assert ask(client, headers, "engineering").status_code == 200
        assert ask(client, headers).status_code == 200
        assert listed(client, headers) == ["engineering", "hr"]


def test_a_login_reads_its_groups_collections_and_those_without_a_rule(
    client: TestClient,
) -> None:
    asked = ask(client, ALICE)
    assert asked.status_code == 200 and "thirty days" in asked.json()["answer"]
    assert ask(client, ALICE, "engineering").status_code == 200
    assert ask(client, BOB, "engineering").status_code == 200
    assert_refused_as_missing(ask(client, BOB, "hr"), ask(client, BOB, "nope"))
    assert_refused_default(ask(client, BOB))


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
def test_an_unreadable_collection_is_answered_as_a_missing_one(
    client: TestClient, path: str
) -> None:
    def post(collection: str | None) -> Response:
        body = {"question": HR_QUESTION, **({"collection": collection} if collection else {})}
        return client.post(path, json=body, headers=CAROL)

    assert_refused_as_missing(post("hr"), post("nope"))
    assert_refused_default(post(None))


def test_a_scoped_token_reads_its_collection_alone(client: TestClient) -> None:
    assert ask(client, HR_BOT).status_code == 200
    assert ask(client, HR_BOT, "hr").status_code == 200
    # engineering has no rule, but hr-bot is bound to the collections naming it.
    assert_refused_as_missing(
        ask(client, HR_BOT, "engineering"), ask(client, HR_BOT, "nope"), "engineering"
    )
    assert listed(client, HR_BOT) == ["hr"]


@pytest.mark.parametrize("token", [OPS, UNNAMED], ids=["named", "unnamed"])
def test_a_token_no_rule_names_reads_only_collections_without_a_rule(
    client: TestClient, token: dict[str, str]
) -> None:
    assert ask(client, token, "engineering").status_code == 200
    assert_refused_as_missing(ask(client, token, "hr"), ask(client, token, "nope"))
    assert_refused_default(ask(client, token))
    assert listed(client, token) == ["engineering"]


@pytest.mark.parametrize(
    ("rules", "headers", "expected"),
    [
        (RULES, ALICE, ["engineering", "hr"]),
        (RULES, BOB, ["engineering"]),
        (RULES, HR_BOT, ["hr"]),
        (BOTH_RULED, BOB, ["engineering"]),
        (BOTH_RULED, CAROL, []),
        (BOTH_RULED, OPS, []),
    ],
)
def test_the_collection_list_shows_only_readable_collections(
    make_client: MakeClient, rules: dict, headers: dict[str, str], expected: list[str]
) -> None:
    assert listed(make_client(access=rules), headers) == expected


def test_a_widget_token_has_the_scope_of_its_origin(client: TestClient) -> None:
    hr_page, wiki = widget(client, HR_PAGE), widget(client, WIKI_PAGE)
    assert ask(client, hr_page).status_code == 200
    assert ask(client, hr_page, "hr").status_code == 200
    assert_refused_as_missing(
        ask(client, hr_page, "engineering"), ask(client, hr_page, "nope"), "engineering"
    )
    assert ask(client, wiki, "engineering").status_code == 200  # no rule: anyone may
    assert_refused_as_missing(ask(client, wiki, "hr"), ask(client, wiki, "nope"))
    assert_refused_default(ask(client, wiki))


# --- The source view, original files and signed links --------------------------------


def hr_citation(client: TestClient, headers: dict[str, str] = ALICE) -> dict[str, Any]:
    response = ask(client, headers)
    assert response.status_code == 200, response.text
    return response.json()["citations"][0]


def source_link(
    client: TestClient, citation: dict[str, Any], headers: dict[str, str], **more: object
) -> Response:
    body = {key: citation[key] for key in ("source_id", "start", "end")}
    return client.post("/api/source-link", json={**body, **more}, headers=headers)


def test_the_source_view_and_files_follow_the_rules(client: TestClient) -> None:
    file_id = hr_citation(client)["source_id"]
    assert client.get(f"/source/{file_id}", headers=ALICE).status_code == 200
    assert_refused_default(client.get(f"/source/{file_id}", headers=BOB))
    assert_refused_default(client.get(f"/file/{file_id}", headers=BOB))
    for route in ("source", "file"):
        refused = client.get(f"/{route}/{file_id}?collection=hr", headers=BOB)
        missing = client.get(f"/{route}/{file_id}?collection=nope", headers=BOB)
        assert_refused_as_missing(refused, missing)
    # Allowed, /file/ goes on to look at the file: a Markdown file is not served raw.
    allowed = client.get(f"/file/{file_id}", headers=ALICE)
    assert allowed.status_code == 404 and "only PDF" in allowed.json()["detail"]


def test_a_source_link_is_signed_only_for_a_caller_who_may_read(client: TestClient) -> None:
    citation = hr_citation(client)
    assert source_link(client, citation, ALICE).status_code == 200
    assert_refused_default(source_link(client, citation, BOB))
    refused = source_link(client, citation, BOB, collection="hr")
    assert_refused_as_missing(refused, source_link(client, citation, BOB, collection="nope"))


def test_a_link_signed_for_one_caller_does_not_open_for_another(client: TestClient) -> None:
    url = "/" + source_link(client, hr_citation(client), ALICE).json()["url"]
    assert client.get(url).status_code == 200  # no credentials: the link's own caller counts
    assert client.get(url, headers=ALICE).status_code == 200
    assert_refused_default(client.get(url, headers=BOB))  # bob's own credentials count


def test_a_signed_link_is_checked_when_used_not_only_when_signed(
    make_client: MakeClient, tmp_path: Path
) -> None:
    rules = tmp_path / "access.toml"
    rules.write_text('[collections.hr]\ngroups = ["hr"]\ntokens = ["hr-bot"]\n')
    client = make_client(access=str(rules))
    url = "/" + source_link(client, hr_citation(client, HR_BOT), HR_BOT).json()["url"]
    assert client.get(url).status_code == 200
    # The rule changes: hr-bot no longer reads hr. The file is read again when it changes.
    rules.write_text('[collections.hr]\ngroups = ["hr"]\n')
    os.utime(rules, ns=(rules.stat().st_mtime_ns + 10**9,) * 2)
    assert_refused_default(client.get(url))
    assert_refused_default(client.get(url.replace("/source/", "/file/")))


def test_a_source_filter_never_widens_access(client: TestClient, deployment: Deployment) -> None:
    elsewhere = str(deployment.root / "eng" / "deploy.md")  # engineering's file, by path
    for sources in ([elsewhere], ["eng/"], [str(deployment.root / "eng")]):
        response = ask(client, ALICE, "hr", sources=sources)
        assert response.status_code == 404, response.text
        assert "citations" not in response.json()
    assert_refused_default(ask(client, BOB, sources=["hr/"]))
    filtered = ask(client, BOB, "engineering", sources=["hr/"])
    assert filtered.status_code == 404 and "citations" not in filtered.json()


# --- The Gradio chat, its ask API and the selector ------------------------------------


def signed_in(client: TestClient, user: str) -> TestClient:
    """A client of the same server with its own UI session as ``user``."""
    session = TestClient(client.app, client=("testclient", 50000)).__enter__()
    login(session, user, LOGINS[user])
    return session


def gradio_ask(session: TestClient, collection: str | None) -> tuple[str | None, str]:
    """The ask API's error, and its answer, for the engineering question."""
    data: list[Any] = [ENGINEERING_QUESTION, [], collection, []]
    outcome = call(session, api_index(session, "ask"), data)
    assert outcome.status == 200
    return outcome.error, json.dumps(outcome.output)


def test_the_gradio_ask_api_follows_the_rules(make_client: MakeClient) -> None:
    client = make_client(access=BOTH_RULED)
    bob = signed_in(client, "bob")
    error, answer = gradio_ask(bob, "engineering")
    assert error is None and "Tuesday and Thursday" in answer
    refused, nothing = gradio_ask(bob, "hr")
    assert refused is not None and refused.startswith("no collection 'hr'")
    assert "thirty days" not in nothing
    default, _ = gradio_ask(bob, None)
    assert default is not None and "hr" not in default


def chat(session: TestClient, page: str, question: str) -> str:
    """The last chat message after asking ``question`` in the page session ``page``."""
    outcome = call(
        session, fn_index(session, "question"), [question, [], "Answer", None, None], page
    )
    assert outcome.status == 200 and outcome.error is None, outcome
    return str(outcome.output[0][-1]["content"])


def test_the_chat_follows_the_rules(make_client: MakeClient) -> None:
    client = make_client(access=BOTH_RULED)
    bob, page = signed_in(client, "bob"), "bob-page"
    # Loading the page chooses engineering for bob: the default collection is not his.
    loaded = call(bob, load_index(bob, "collection"), [], page)
    assert loaded.status == 200 and loaded.error is None, loaded
    message = chat(bob, page, ENGINEERING_QUESTION)
    assert "Tuesday and Thursday" in message
    # A page that never loaded asks the default collection: refused, as a visible error.
    refused = chat(bob, "another-page", HR_QUESTION)
    assert "Error:" in refused and "thirty days" not in refused


def test_the_selector_shows_only_readable_collections(make_client: MakeClient) -> None:
    client = make_client(access=BOTH_RULED)
    for user, expected in (("alice", ["hr"]), ("bob", ["engineering"])):
        session = signed_in(client, user)
        loaded = call(session, load_index(session, "collection"), [])
        updates = [o for o in loaded.output if isinstance(o, dict) and "choices" in o]
        assert [[value for _, value in u["choices"]] for u in updates] == [expected], loaded


def test_a_caller_who_may_read_nothing_gets_a_clear_page(make_client: MakeClient) -> None:
    client = make_client(access=BOTH_RULED)
    carol = signed_in(client, "carol")
    loaded = call(carol, load_index(carol, "collection"), [])
    shown = [o for o in loaded.output if isinstance(o, dict) and o.get("visible") is True]
    assert any(NO_ACCESS in str(o.get("value")) for o in shown), loaded.output
    hidden = [o for o in loaded.output if isinstance(o, dict) and o.get("visible") is False]
    assert hidden, "the chat stays on the page"


# --- Logged, and configured once ------------------------------------------------------


def test_every_decision_is_logged_in_one_line_without_secrets(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="ui.access"):
        ask(client, HR_BOT, "engineering")
        ask(client, ALICE)
        ask(client, UNNAMED, "hr")
    lines = [r.getMessage() for r in caplog.records if r.name == "ui.access"]
    assert len(lines) == 3 and all("\n" not in line for line in lines), lines
    assert "token:hr-bot" in lines[0] and "engineering" in lines[0] and "refused" in lines[0]
    assert "login:alice" in lines[1] and "hr" in lines[1] and "allowed" in lines[1]
    assert "refused" in lines[2]
    for secret in (HR_BOT_SECRET, UNNAMED_SECRET, "a-pw"):
        assert secret not in caplog.text


def test_rules_naming_an_unknown_token_refuse_to_start(deployment: Deployment) -> None:
    # The token's value pasted where its name belongs: the error never repeats it.
    rules = {"collections": {"hr": {"tokens": [HR_BOT_SECRET]}}}
    settings = deployment.settings.model_copy(update={"api_tokens": TOKENS, "access": rules})
    with pytest.raises(SettingsInvalid) as refused:
        build_server(Chain(settings))
    message = str(refused.value)
    assert "\n" not in message and "tokens" in message and HR_BOT_SECRET not in message


@pytest.mark.parametrize(
    "text",
    ['[collections.hr]\ngroup = ["hr"]\n', "[collections.hr\n", '[collections."a.b"]\n'],
    ids=["unknown key", "not TOML", "bad collection name"],
)
def test_a_malformed_rules_file_refuses_to_start(
    deployment: Deployment, tmp_path: Path, text: str
) -> None:
    rules = tmp_path / "access.toml"
    rules.write_text(text)
    settings = deployment.settings.model_copy(update={"access": str(rules)})
    with pytest.raises(SettingsInvalid) as refused:
        build_server(Chain(settings))
    assert "\n" not in str(refused.value) and str(rules) in str(refused.value)


def test_a_rules_file_gone_bad_while_serving_closes_every_collection(
    make_client: MakeClient, tmp_path: Path
) -> None:
    rules = tmp_path / "access.json"
    rules.write_text(json.dumps(RULES))
    client = make_client(access=str(rules))
    assert ask(client, ALICE).status_code == 200
    rules.write_text('{"collections": {"hr": {"group": ["hr"]}}}')  # a typo: fail closed
    for response in (ask(client, ALICE), ask(client, BOB, "engineering")):
        assert response.status_code == 503, response.text
        detail = response.json()["detail"]
        assert "\n" not in detail and str(rules) in detail and "closed" in detail
    assert client.get("/api/collections", headers=ALICE).status_code == 503
    rules.write_text(json.dumps(RULES))
    os.utime(rules, ns=(rules.stat().st_mtime_ns + 10**9,) * 2)
    assert ask(client, ALICE).status_code == 200


def test_the_readme_rules_example_reads_as_documented(
    deployment: Deployment, tmp_path: Path
) -> None:
    rules = tmp_path / "access.toml"
    rules.write_text(example("access-rules"))
    settings = deployment.settings.model_copy(update={"access": str(rules)})
    access = Access(settings, ["alice", "bob", "dana"], ["hr-bot"])

    def reads(caller: Caller) -> list[str]:
        return [c for c in ("hr", "engineering", "documents") if access.allows(caller, c, "t")]

    assert reads(Caller("login", "alice")) == ["hr", "documents"]  # [groups] hr
    assert reads(Caller("login", "bob")) == ["engineering", "documents"]
    assert reads(Caller("sso", "erin", frozenset({"people-ops"}))) == ["hr", "documents"]
    assert reads(Caller("sso", "dana")) == ["hr", "documents"]  # named as a user
    assert reads(Caller("sso", "frank")) == ["documents"]  # no rule: anyone who may ask
    assert reads(Caller("token", "hr-bot")) == ["hr"]  # bound to the collections naming it
    assert reads(Caller("token", "")) == ["documents"]
    assert reads(Caller("widget", "https://hr.intranet.example")) == ["hr"]
    assert reads(Caller("widget", "https://wiki.intranet.example")) == ["documents"]


# --- Groups from single sign-on --------------------------------------------------------

SSO = {"trusted_user_header": "X-Forwarded-User", "trusted_groups_header": "X-Forwarded-Groups"}


def test_groups_come_from_the_trusted_proxy_only(make_client: MakeClient) -> None:
    proxy = make_client(auth=[], trusted_proxies=["testclient"], **SSO)
    in_hr = {"X-Forwarded-User": "dave", "X-Forwarded-Groups": "payroll, hr"}
    assert ask(proxy, in_hr).status_code == 200
    assert_refused_default(ask(proxy, {"X-Forwarded-User": "dave"}))
    straight = make_client("10.9.9.9", auth=[], trusted_proxies=["testclient"], **SSO)
    assert ask(straight, in_hr).status_code == 401


def test_a_repeated_groups_header_is_refused_before_any_route() -> None:
    settings = Settings(trusted_proxies=["127.0.0.1"], **SSO)
    user = [(b"x-forwarded-user", b"dave")]
    twice, once = [
        user + [(b"x-forwarded-groups", g) for g in groups] for groups in ([b"hr", b"x"], [b"hr"])
    ]
    assert through_gate(settings, [twice, once]) == [401, None]


def test_a_groups_header_needs_single_sign_on(deployment: Deployment) -> None:
    settings = deployment.settings.model_copy(
        update={"trusted_groups_header": "X-Forwarded-Groups"}
    )
    with pytest.raises(SettingsInvalid, match="trusted_user_header"):
        build_server(Chain(settings))
