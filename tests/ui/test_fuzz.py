"""Fuzzing the API from its OpenAPI schema (schemathesis), and hand-written hostile input.

Against the real app (ASGI transport) over a real index: no response is a server
error (>= 500), and every error response is JSON with a ``detail``.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

from harness.fuzzing import (
    HOSTILE,
    OPERATIONS,
    QUESTION,
    assert_well_formed,
    chunked,
    request_of,
)
from rag.chain import Chain
from ui.server import build_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api_app(seeded_chain: Chain) -> FastAPI:
    """The whole app; a rate limit high enough that fuzzing reaches the answerer."""
    changed = seeded_chain.settings.model_copy(update={"rate_limit": "100000/minute"})
    return build_server(Chain(changed, retriever=seeded_chain.retriever))


@pytest.fixture(scope="module")
def api_schema(api_app: FastAPI) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api_app)
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    return schema


@pytest.fixture(scope="module")
def client(api_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(api_app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize(("method", "path", "mode"), OPERATIONS)
def test_schema_fuzzing_finds_no_server_error(
    api_schema: schemathesis.BaseSchema, method: str, path: str, mode: GenerationMode
) -> None:
    """Up to 30 generated requests per operation and mode (valid, then invalid data)."""
    operation = api_schema[path][method]
    seen: list[int] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case) -> None:
        response = case.call()
        seen.append(response.status_code)
        assert_well_formed(
            response.status_code,
            response.headers.get("content-type", [""])[0],
            response.content,
        )

    run()
    assert seen  # something was sent


@pytest.mark.parametrize(("method", "path", "options"), HOSTILE)
def test_hostile_requests_get_json_errors(
    client: TestClient, method: str, path: str, options: dict[str, Any]
) -> None:
    response = client.request(method, path, **request_of(options))
    assert_well_formed(
        response.status_code, response.headers.get("content-type", ""), response.content
    )


def test_a_chunked_body_past_the_limit_is_a_json_413(client: TestClient) -> None:
    response = client.post(
        "/api/ask", content=chunked(2_000_000), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "detail" in response.json()


@pytest.mark.parametrize("k", [0, -1, 10**9])
def test_k_out_of_range_is_a_422(client: TestClient, k: int) -> None:
    for path in ("/api/ask", "/api/ask/stream"):
        response = client.post(path, json={"question": QUESTION, "k": k})
        assert response.status_code == 422 and "detail" in response.json()


@pytest.mark.parametrize(
    "path",
    ["/..%2f..%2fetc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/widget.js/..%2f..%2fetc%2fpasswd"],
)
def test_path_traversal_reaches_no_file(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in {400, 403, 404}
    assert b"root:" not in response.content
