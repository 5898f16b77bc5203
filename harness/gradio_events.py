"""Calling the Gradio app's events over HTTP as any client can: the wire protocol, not
the browser, so a test can send what a page never would (another file's path). Works
with a ``TestClient`` (in-process) and an ``httpx.Client`` of a real server alike."""

import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.testclient import TestClient

Client = httpx.Client | TestClient
"""A real server's client, or an in-process one (Starlette's TestClient: its own httpx)."""


@dataclass(frozen=True)
class Outcome:
    """An event's end: refused over HTTP (``status``), or run to an end (``message``)."""

    status: int
    message: dict[str, Any] | None = None

    @property
    def output(self) -> list[Any]:
        """The event's output values (an empty list when it did not complete)."""
        if self.message is None or not self.message.get("success"):
            return []
        return list(self.message["output"]["data"])

    @property
    def error(self) -> str | None:
        """The message of a ``gr.Error`` the handler raised, if any."""
        if self.message is None or self.message.get("success"):
            return None
        return str(self.message.get("output", {}).get("error"))


def file_data(path: str) -> dict[str, Any]:
    """A file as Gradio's client names it: by a path on the server."""
    return {"path": path, "meta": {"_type": "gradio.FileData"}}


def login(client: Client, user: str, password: str) -> None:
    """Sign in to the UI (the session cookie stays with ``client``)."""
    response = client.post("/login", data={"username": user, "password": password})
    assert response.status_code == 200, response.text


def fn_index(client: Client, elem_id: str) -> int:
    """The number of the event triggered by the component with ``elem_id``: what an
    attacker reads off ``/config`` (or guesses: they are small integers)."""
    config = client.get("/config").json()
    ids = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    for number, dependency in enumerate(config["dependencies"]):
        targets = [ids.get(target) for target, _ in dependency["targets"]]
        if elem_id in targets:
            return number
    raise AssertionError(f"no event is triggered by #{elem_id}")


def api_index(client: Client, api_name: str) -> int:
    """The number of the event with ``api_name`` (``gr.api`` endpoints have no trigger)."""
    config = client.get("/config").json()
    for number, dependency in enumerate(config["dependencies"]):
        if dependency.get("api_name") == api_name:
            return number
    raise AssertionError(f"no event is named {api_name}")


def load_index(client: Client, elem_id: str) -> int:
    """The number of the page-load event that updates the component with ``elem_id``."""
    config = client.get("/config").json()
    ids = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    for number, dependency in enumerate(config["dependencies"]):
        loads = any(trigger == "load" for _, trigger in dependency["targets"])
        if loads and elem_id in [ids.get(output) for output in dependency["outputs"]]:
            return number
    raise AssertionError(f"no page-load event updates #{elem_id}")


def call(client: Client, fn: int, data: list[Any], session: str | None = None) -> Outcome:
    """Join the queue for event ``fn`` with ``data`` and wait for its end; events called
    with the same ``session`` share the page's state (a new session when None)."""
    session = session or uuid.uuid4().hex
    joined = client.post(
        "/gradio_api/queue/join", json={"fn_index": fn, "data": data, "session_hash": session}
    )
    if joined.status_code != 200:
        return Outcome(joined.status_code)
    with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as sse:
        for line in sse.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line.removeprefix("data:"))
                if message.get("msg") == "process_completed":
                    return Outcome(200, message)
    raise AssertionError("the event never completed")


def upload(client: Client, name: str, content: bytes) -> tuple[int, list[str]]:
    """Upload one file as the UI's file picker does; the status and the stored paths."""
    response = client.post("/gradio_api/upload", files=[("files", (name, content))])
    return response.status_code, response.json() if response.status_code == 200 else []
