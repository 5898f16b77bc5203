"""Concurrent clients against a real `rag serve`: with raised limits every question is
answered; with a small pending cap the surplus gets a 429 JSON error, nothing hangs or
fails with 500. The clients are bench/concurrent_load.py's (one definition)."""

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from bench.concurrent_load import LOAD_ENV, ClientResult, run_client
from bench.squad_corpus import seeds_questions
from tests.conftest import SEEDS
from tests.ui.conftest import serve

pytestmark = pytest.mark.server
REQUEST_TIMEOUT = 120.0


def _load(url: str, clients: int, questions: int) -> list[ClientResult]:
    """``clients`` threads, each asking ``questions`` seeds questions on its own connection."""
    port = int(url.rsplit(":", 1)[1])
    asked = seeds_questions()
    results = [ClientResult() for _ in range(clients)]
    deadline = time.monotonic() + 600
    threads = [
        threading.Thread(
            target=run_client,
            args=(
                port,
                [asked[(i + j) % len(asked)] for j in range(questions)],
                REQUEST_TIMEOUT,
                deadline,
                results[i],
            ),
        )
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=700)
    assert not any(t.is_alive() for t in threads), "a client hung"
    return results


def test_ten_clients_with_raised_limits_are_all_answered(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    with serve(tmp_path, LOAD_ENV) as app:
        results = _load(app.url, clients=10, questions=3)
    statuses = [s for r in results for s in r.statuses]
    assert statuses == [200] * 30, [e for r in results for e in r.errors][:3]
    assert all(max(r.seconds) < REQUEST_TIMEOUT for r in results)


def test_past_the_pending_cap_clients_get_429_json_and_nothing_hangs(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    limits = {"RAG_RATE_LIMIT": "100000/minute", "RAG_MAX_PENDING": "2"}
    with serve(tmp_path, limits) as app:
        results = _load(app.url, clients=12, questions=2)
    statuses = [s for r in results for s in r.statuses]
    assert len(statuses) == 24  # every request completed, within its timeout
    assert set(statuses) <= {200, 429}, [e for r in results for e in r.errors][:3]
    assert statuses.count(200) >= 2 and statuses.count(429) >= 1
    for body in (b for r in results for b in r.bodies):
        assert json.loads(body) == {"detail": "the server is busy; try again in a moment"}
