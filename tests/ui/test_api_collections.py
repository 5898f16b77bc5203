"""The API's `collection` and `sources` fields and `GET /api/collections`, in-process."""

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from harness.corpora import (
    ENGINEERING,
    ENGINEERING_QUESTION,
    REMOTE_QUESTION,
    Deployment,
    write_files,
)
from ingest.pipeline import ingest
from rag.chain import Chain
from rag.models.embeddings import load_embeddings
from rag.retrieve.index import open_index
from rag.settings import Settings
from ui.server import build_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(deployment: Deployment) -> Iterator[TestClient]:
    """The server over the two collections (default: hr)."""
    with TestClient(build_server(deployment.chain)) as test_client:
        yield test_client


def _sources(body: dict[str, object]) -> set[str]:
    citations = body["citations"]
    assert isinstance(citations, list)
    return {c["source"] for c in citations}


def test_a_request_names_its_collection_and_is_answered_from_it_alone(
    client: TestClient,
) -> None:
    asked = client.post(
        "/api/ask", json={"question": ENGINEERING_QUESTION, "collection": "engineering"}
    )
    assert asked.status_code == 200
    body = asked.json()
    assert "Tuesday and Thursday" in body["answer"] and _sources(body) == {"eng/deploy.md"}
    default = client.post("/api/ask", json={"question": ENGINEERING_QUESTION}).json()
    assert not any(source.startswith("eng/") for source in _sources(default))


def test_the_stream_asks_the_named_collection(client: TestClient) -> None:
    request = {"question": ENGINEERING_QUESTION, "collection": "engineering"}
    with client.stream("POST", "/api/ask/stream", json=request) as response:
        assert response.status_code == 200
        raw = "".join(response.iter_text())
    done = json.loads(raw.strip().split("\n\n")[-1].split("data: ", 1)[1])
    assert _sources(done) == {"eng/deploy.md"}


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
def test_a_collection_that_does_not_exist_is_a_404(client: TestClient, path: str) -> None:
    response = client.post(path, json={"question": "Anything?", "collection": "nope"})
    assert response.status_code == 404
    assert response.json()["detail"].startswith("no collection 'nope'")


def test_a_collection_name_with_path_characters_is_refused(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": "Anything?", "collection": "../hr"})
    assert response.status_code == 422
    assert "../hr" not in response.text  # never echoed back


def test_sources_restrict_the_answer_and_a_filter_matching_nothing_is_a_404(
    client: TestClient,
) -> None:
    within = client.post("/api/ask", json={"question": REMOTE_QUESTION, "sources": ["hr/guides/"]})
    assert within.status_code == 200
    cited = _sources(within.json())
    assert cited and all(source.startswith("hr/guides/") for source in cited)
    nothing = client.post("/api/ask", json={"question": REMOTE_QUESTION, "sources": ["eng/"]})
    assert nothing.status_code == 404
    assert nothing.json() == {"detail": "no documents under eng in collection 'hr'"}
    too_many = client.post("/api/ask", json={"question": "x", "sources": ["a/"] * 21})
    assert too_many.status_code == 422


def test_collections_are_listed_with_their_sizes(client: TestClient) -> None:
    listed = client.get("/api/collections")
    assert listed.status_code == 200
    assert [(c["name"], c["files"], c["default"]) for c in listed.json()] == [
        ("engineering", 2, False),
        ("hr", 7, True),
    ]
    assert client.post("/api/collections").status_code == 405


def test_a_server_is_ready_when_only_named_collections_hold_documents(tmp_path: Path) -> None:
    write_files(tmp_path, ENGINEERING)
    settings = Settings(data_dir=tmp_path / "data")  # the default collection stays empty
    named = settings.model_copy(update={"collection": "engineering"})
    with contextlib.chdir(tmp_path):
        ingest([tmp_path / "eng"], named, open_index(named, create=True), load_embeddings(named))
    with TestClient(build_server(Chain(settings))) as client:
        assert client.get("/readyz").status_code == 200
        asked = client.post(
            "/api/ask", json={"question": ENGINEERING_QUESTION, "collection": "engineering"}
        )
        assert _sources(asked.json()) == {"eng/deploy.md"}
