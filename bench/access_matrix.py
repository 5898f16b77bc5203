"""Every route that answers or shows text, called as every kind of caller (issue 23).

Builds two collections with tests/corpora: ``hr`` (the default; its handbook and a
PDF) and ``engineering``, under these access rules (engineering has none)::

    [collections.hr]
    groups = ["hr"]
    tokens = ["hr-bot"]
    origins = ["https://hr.intranet.example"]

    [groups]
    hr = ["alice"]

(behind single sign-on, without the ``tokens`` line: there are no API tokens to name).
Then serves them with ``rag serve`` twice, one after the other: with API tokens
(``ops``, ``hr-bot``), a UI login (``alice``) and the widget for the HR page; then
behind a real nginx ``auth_request`` with groups (``alice`` in hr, ``bob`` in
engineering: harness/sign_on.py). Calls each route as each kind of caller and prints
a Markdown table of what each got, then every cell that is not what the rules want
(exit status 1 if any).

    python -m bench.access_matrix
"""

import base64
import html
import os
import secrets
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from harness.corpora import ENGINEERING_QUESTION, HR_QUESTION, build_deployment
from harness.documents import write_pdf
from harness.gradio_events import (
    Outcome,
    api_index,
    call,
    fn_index,
    load_index,
    login,
)
from harness.servers import BIN, free_port, nginx_with, running
from harness.sign_on import GROUP_LOCATIONS, sign_on_service, signed_in
from rag.schema import source_id

REPO = Path(__file__).resolve().parent.parent

HR_PAGE = "https://hr.intranet.example"
RULES = f"""[collections.hr]
groups = ["hr"]
tokens = ["hr-bot"]
origins = ["{HR_PAGE}"]

[groups]
hr = ["alice"]
"""
# Behind single sign-on there are no API tokens to name.
SSO_RULES = RULES.replace('tokens = ["hr-bot"]\n', "")
CLOSED = '[collections.hr]\ngroups = ["hr-leads"]\n'  # the change: hr for another group only
# What the rules give each kind of caller: the specification each cell is checked against.
READABLE: dict[str, list[str] | None] = {
    "anonymous": None,  # credentials are configured: refused before any rule
    "token": ["engineering"],
    "scoped token": ["hr"],
    "login": ["engineering", "hr"],
    "SSO user": ["engineering", "hr"],
    "SSO user, other group": ["engineering"],
    "widget": ["hr"],
}
PEOPLE = ("login", "SSO user", "SSO user, other group")  # who Gradio's sign-in lets in


@dataclass
class Caller:
    """One kind of caller and how it reaches the server."""

    column: str
    url: str  # the app, or nginx in front of it
    direct: str  # the app itself
    api: dict[str, str]  # headers on the JSON API
    gradio: httpx.Client  # Gradio's routes, and a browser following a link
    link: str | None = None  # the source link signed for it


@dataclass
class Cell:
    """What a caller got: shown as ``text``; ``content`` when text of the collection
    came back, ``refused`` when a 401, 403 or 404 did."""

    text: str
    content: bool = False
    refused: bool = False


@dataclass
class World:
    """The corpus: the PDF's id and engineering's folder."""

    pdf_id: str
    engineering: Path
    rules: Path
    hr_secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    ops_secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))


def refusal(status: int) -> Cell:
    return Cell(str(status), refused=status in (401, 403, 404))


def answered(response: httpx.Response, marker: str) -> Cell:
    if response.status_code != 200:
        return refusal(response.status_code)
    return Cell("200", content=marker in response.text)


def ask(collection: str | None) -> Callable[[Caller, World], Cell]:
    def probe(caller: Caller, world: World) -> Cell:
        question = ENGINEERING_QUESTION if collection == "engineering" else HR_QUESTION
        body = {"question": question, **({"collection": collection} if collection else {})}
        response = httpx.post(f"{caller.url}/api/ask", json=body, headers=caller.api, timeout=120)
        return answered(response, "Tuesday" if collection == "engineering" else "thirty days")

    return probe


def stream(caller: Caller, world: World) -> Cell:
    body = {"question": HR_QUESTION, "collection": "hr"}
    url = f"{caller.url}/api/ask/stream"
    return answered(httpx.post(url, json=body, headers=caller.api, timeout=120), "thirty days")


def listing(caller: Caller, world: World) -> Cell:
    response = httpx.get(f"{caller.url}/api/collections", headers=caller.api, timeout=60)
    if response.status_code != 200:
        return refusal(response.status_code)
    names = [c["name"] for c in response.json()]
    return Cell(f"200: {', '.join(names) or 'none'}", content=names == READABLE[caller.column])


def source_link(caller: Caller, world: World) -> Cell:
    body = {"source_id": world.pdf_id, "start": 0, "end": 10, "collection": "hr"}
    url = f"{caller.url}/api/source-link"
    response = httpx.post(url, json=body, headers=caller.api, timeout=60)
    if response.status_code != 200:
        return refusal(response.status_code)
    caller.link = "/" + response.json()["url"]
    return Cell("200", content=True)


def source_view(caller: Caller, world: World) -> Cell:
    url = f"{caller.url}/source/{world.pdf_id}?collection=hr"
    return answered(httpx.get(url, headers=caller.api, timeout=60), "sixteen weeks")


def original(caller: Caller, world: World) -> Cell:
    url = f"{caller.url}/file/{world.pdf_id}?collection=hr"
    return answered(httpx.get(url, headers=caller.api, timeout=60), "%PDF-")


def follow(caller: Caller, world: World) -> Cell:
    """The caller's link, with what a browser sends: cookies and sign-on, no Authorization."""
    if caller.link is None:
        return Cell("no link", refused=True)
    return answered(caller.gradio.get(caller.link), "sixteen weeks")


def event(outcome: Outcome, marker: str) -> Cell:
    """A Gradio event's end: refused over HTTP, an error shown, or an answer."""
    if outcome.status != 200:
        return refusal(outcome.status)
    shown = html.unescape(outcome.error or str(outcome.output))
    if "no collection 'hr'" in shown:
        return Cell("error: no collection 'hr'", refused=True)
    if "not open to you" in shown:
        return Cell("error: not open to you", refused=True)
    return Cell("answer", content=marker in shown and outcome.error is None)


def gradio_ask(caller: Caller, world: World) -> Cell:
    client = caller.gradio
    fn = api_index(client, "ask") if caller.column in PEOPLE else 0
    return event(call(client, fn, [HR_QUESTION, [], "hr", []]), "thirty days")


def gradio_chat(caller: Caller, world: World) -> Cell:
    client = caller.gradio
    fn = fn_index(client, "question") if caller.column in PEOPLE else 0
    return event(call(client, fn, [HR_QUESTION, [], "Answer", None, None]), "thirty days")


def selector(caller: Caller, world: World) -> Cell:
    client = caller.gradio
    if caller.column not in PEOPLE:  # Gradio refuses them before any event: any number does
        return refusal(call(client, 0, []).status)
    outcome = call(client, load_index(client, "collection"), [])
    lists = [o["choices"] for o in outcome.output if isinstance(o, dict) and "choices" in o]
    names = [value for _, value in lists[0]] if lists else []
    return Cell(f"{', '.join(names) or 'none'}", content=names == READABLE[caller.column])


def filtered(caller: Caller, world: World) -> Cell:
    sources = [str(world.engineering / "deploy.md")]
    body = {"question": ENGINEERING_QUESTION, "collection": "hr", "sources": sources}
    response = httpx.post(f"{caller.url}/api/ask", json=body, headers=caller.api, timeout=120)
    return answered(response, "Tuesday")


def forged(caller: Caller, world: World) -> Cell:
    headers = {**caller.api, "X-Forwarded-User": "alice", "X-Forwarded-Groups": "hr"}
    body = {"question": HR_QUESTION, "collection": "hr"}
    response = httpx.post(f"{caller.direct}/api/ask", json=body, headers=headers, timeout=120)
    return answered(response, "thirty days")


def reads(collection: str, people: bool = False) -> Callable[[str], bool]:
    """Whether a column may read ``collection`` (and is a person, when ``people``)."""
    return lambda column: (
        collection in (READABLE[column] or []) and (not people or column in PEOPLE)
    )


# The forged headers are ignored without single sign-on, and refused (401) with it.
NOT_SSO = ("scoped token", "login", "widget")


ROWS: list[tuple[str, Callable[[Caller, World], Cell], Callable[[str], bool]]] = [
    ("`POST /api/ask` hr", ask("hr"), reads("hr")),
    ("`POST /api/ask` engineering", ask("engineering"), reads("engineering")),
    ("`POST /api/ask`, no collection (the default: hr)", ask(None), reads("hr")),
    ("`POST /api/ask/stream` hr", stream, reads("hr")),
    ("`GET /api/collections` (what is listed)", listing, lambda c: READABLE[c] is not None),
    ("`POST /api/source-link` (hr's PDF)", source_link, reads("hr")),
    ("`GET /source/{id}?collection=hr`", source_view, reads("hr")),
    ("`GET /file/{id}?collection=hr` (the PDF)", original, reads("hr")),
    ("the caller's signed link, followed as a browser does", follow, reads("hr")),
    ("the same link after the rules change (hr: group hr-leads only)", follow, lambda c: False),
    ("Gradio `ask` API, hr", gradio_ask, reads("hr", people=True)),
    ("Gradio chat, page not loaded (asks the default: hr)", gradio_chat, reads("hr", people=True)),
    ("Gradio page load: the selector's collections", selector, lambda c: c in PEOPLE),
    ("`POST /api/ask` hr, `sources`: engineering's file by path", filtered, lambda c: False),
    (
        "`POST /api/ask` hr + forged `X-Forwarded-User`/`-Groups` straight to the app",
        forged,
        lambda c: c in NOT_SSO,
    ),
]
AFTER_CHANGE = 9  # the row run once the rules have changed


@contextmanager
def served(folder: Path, env: dict[str, str], name: str) -> Iterator[str]:
    """``rag serve`` over ``folder``'s data with ``env``; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(BIN / "rag"), "serve", "--port", str(port)]
    full = {**os.environ, "RAG_DATA_DIR": str(folder / "data"), "RAG_COLLECTION": "hr", **env}
    with running(command, f"{url}/healthz", folder / f"{name}.log", cwd=folder, env=full):
        yield url


def tokens_and_logins(folder: Path, world: World) -> Iterator[list[Caller]]:
    """The server with API tokens, a UI login and the widget; its callers."""
    env = {
        "RAG_API_TOKENS": f"hr-bot:{world.hr_secret},ops:{world.ops_secret}",
        "RAG_AUTH": f"alice:{world.password}",
        "RAG_ALLOWED_ORIGINS": HR_PAGE,
        "RAG_ACCESS": str(world.rules),
        "RAG_RATE_LIMIT": "10000/minute",
    }
    with served(folder, env, "tokens") as url, ExitStack() as stack:

        def client(headers: dict[str, str] | None = None) -> httpx.Client:
            made = httpx.Client(base_url=url, headers=headers or {}, timeout=120)
            return stack.enter_context(made)

        issued = httpx.post(f"{url}/api/widget-token", headers={"Origin": HR_PAGE}).json()
        widget = {"Authorization": f"Bearer {issued['token']}", "Origin": HR_PAGE}
        alice = client()
        login(alice, "alice", world.password)
        pair = base64.b64encode(f"alice:{world.password}".encode()).decode()
        yield [
            Caller("anonymous", url, url, {}, client()),
            Caller("token", url, url, bearer(world.ops_secret), client()),
            Caller("scoped token", url, url, bearer(world.hr_secret), client()),
            Caller("login", url, url, {"Authorization": f"Basic {pair}"}, alice),
            Caller("widget", url, url, widget, client()),
        ]


def single_sign_on(folder: Path, world: World) -> Iterator[list[Caller]]:
    """The server behind nginx auth_request with groups; its callers."""
    env = {
        "RAG_TRUSTED_USER_HEADER": "X-Forwarded-User",
        "RAG_TRUSTED_GROUPS_HEADER": "X-Forwarded-Groups",
        "RAG_TRUSTED_PROXIES": '["127.0.0.2"]',
        "RAG_ACCESS": str(world.rules),
        "RAG_RATE_LIMIT": "10000/minute",
    }
    with served(folder, env, "sso") as direct, ExitStack() as stack:
        port = int(direct.rsplit(":", 1)[1])
        sign_on = stack.enter_context(sign_on_service())
        locations = GROUP_LOCATIONS.format(upstream=port, sign_on=sign_on, bind="127.0.0.2")
        proxy = stack.enter_context(nginx_with(folder / "nginx", locations))
        callers = []
        for column, user in (("SSO user", "alice"), ("SSO user, other group", "bob")):
            made = httpx.Client(base_url=proxy, headers=signed_in(user), timeout=120)
            callers.append(
                Caller(column, proxy, direct, signed_in(user), stack.enter_context(made))
            )
        yield callers


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def run(folder: Path, world: World) -> dict[str, list[Cell]]:
    """Every row for every caller of both servers, by column."""
    cells: dict[str, list[Cell]] = {}
    for setup, rules in ((tokens_and_logins, RULES), (single_sign_on, SSO_RULES)):
        world.rules.write_text(rules)
        for callers in setup(folder, world):
            for number, (_, probe, _) in enumerate(ROWS):
                if number == AFTER_CHANGE:
                    world.rules.write_text(CLOSED)
                for caller in callers:
                    cells.setdefault(caller.column, []).append(probe(caller, world))
                if number == AFTER_CHANGE:
                    world.rules.write_text(rules)
    return cells


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="access-matrix-"))
    (folder / "hr").mkdir()
    pdf = write_pdf(folder / "hr" / "parental-leave.pdf", ["Parental leave lasts sixteen weeks."])
    build_deployment(folder)
    world = World(
        pdf_id=source_id(str(pdf)), engineering=folder / "eng", rules=folder / "access.toml"
    )
    cells = run(folder, world)
    columns = list(READABLE)
    print("| route | " + " | ".join(columns) + " |")
    print("| --- " * (len(columns) + 1) + "|")
    wrong = []
    for number, (route, _, wanted) in enumerate(ROWS):
        row = []
        for column in columns:
            cell = cells[column][number]
            ok = cell.content if wanted(column) else cell.refused and not cell.content
            row.append(cell.text + ("" if ok else " ✗"))
            if not ok:
                wrong.append(f"{route} as {column}: {cell.text}")
        print(f"| {route} | " + " | ".join(row) + " |")
    print()
    total = len(ROWS) * len(columns)
    print(f"{total - len(wrong)} of {total} cells as the rules want")
    for line in wrong:
        print(f"- not as wanted: {line}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
