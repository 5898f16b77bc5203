"""A full queue under real load: while a real LLM server is still generating one answer,
the next request gets the JSON 429 at once, and busy refusals cost no rate budget."""

import json
import shutil
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from harness.servers import llm_server
from tests.conftest import SEEDS
from tests.ui.conftest import serve

pytestmark = [pytest.mark.server, pytest.mark.slow]
BUSY = {"detail": "the server is busy; try again in a moment"}
# Strict citations: the gate of the extractive answerer lets this one through to the
# LLM, which then streams a long answer (up to RAG_LLM_MAX_TOKENS)...
SLOW = {"question": "Describe in detail how Netflix uses generative AI in production."}
# ...and answers this one at once, without the LLM (an abstention).
QUICK = {"question": "What is the capital of Argentina?"}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`rag serve` over the seeds, answering with a real LLM server, one answer at a time."""
    folder = tmp_path_factory.mktemp("busy")
    shutil.copytree(SEEDS, folder / "seeds")
    with llm_server(folder / "llm") as llm:
        env = {
            "RAG_LLM": "openai",
            "RAG_LLM_BASE_URL": llm,
            "RAG_LLM_TIMEOUT": "300",
            "RAG_LLM_MAX_TOKENS": "256",
            "RAG_STRICT_CITATIONS": "1",
            "RAG_MAX_PENDING": "1",
            "RAG_RATE_LIMIT": "3/minute",
        }
        with serve(folder, env) as app:
            yield app.url


def test_a_request_past_the_pending_cap_gets_429_json_while_an_answer_streams(
    app_url: str,
) -> None:
    events: list[str] = []
    streaming = threading.Event()

    def slow_answer() -> None:
        with (
            httpx.Client(base_url=app_url, timeout=300) as client,
            client.stream("POST", "/api/ask/stream", json=SLOW) as response,
        ):
            assert response.status_code == 200
            for line in response.iter_lines():
                if line.startswith("event: "):
                    events.append(line.removeprefix("event: "))
                    streaming.set()

    answering = threading.Thread(target=slow_answer)
    answering.start()
    try:
        assert streaming.wait(240), "the slow answer never started streaming"
        with httpx.Client(base_url=app_url, timeout=30) as client:
            began = time.monotonic()
            busy = [client.post("/api/ask", json=QUICK) for _ in range(4)]
            busy.append(client.post("/api/ask/stream", json=QUICK))
            refused_in = time.monotonic() - began
            seen_while_busy = len(events)
    finally:
        answering.join(timeout=300)
    assert not answering.is_alive(), "the slow answer hung"
    for response in busy:
        assert response.status_code == 429
        assert response.headers["content-type"] == "application/json"
        assert json.loads(response.content) == BUSY
    assert refused_in < 5.0  # refused at once, not queued behind the answer
    # The refusals came while the answer was still streaming: more of it followed.
    assert events[-1] == "done" and len(events) > seen_while_busy
    # The slot is free again; the busy refusals used none of the 3-a-minute budget
    # (the slow answer used one).
    with httpx.Client(base_url=app_url, timeout=60) as client:
        codes = [client.post("/api/ask", json=QUICK).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
