"""Feedback lines survive concurrent writers intact."""

import json
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from rag.settings import Settings
from ui.feedback import FEEDBACK_SETTINGS, record_feedback

ANSWER = {"question": "q", "answer": "a " * 2000, "citations": [{"n": 1}]}


def _write_many(path: str, worker: int) -> None:
    for number in range(50):
        record_feedback(
            Path(path), number % 2 == 0, {**ANSWER, "question": f"{worker}-{number}"}, Settings(k=5)
        )


def test_concurrent_threads_and_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    with ProcessPoolExecutor(2) as processes, ThreadPoolExecutor(4) as threads:
        jobs = [processes.submit(_write_many, str(path), w) for w in range(2)]
        jobs += [threads.submit(_write_many, str(path), w) for w in range(2, 6)]
        for job in jobs:
            job.result()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(records) == 300
    assert {r["question"] for r in records} == {f"{w}-{n}" for w in range(6) for n in range(50)}
    assert all(r["answer"] == ANSWER["answer"] and r["settings"]["k"] == 5 for r in records)


def test_feedback_is_private_and_holds_no_secret(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        api_tokens=["tok-hidden"],
        auth=["alice:pw-hidden"],
        llm_api_key="sk-hidden",
        secret_key="signing-hidden",
        llm="openai",
        k=7,
    )
    path = tmp_path / "feedback.jsonl"
    record_feedback(path, False, ANSWER, settings)
    assert path.stat().st_mode & 0o777 == 0o600
    text = path.read_text()
    assert "hidden" not in text
    recorded = json.loads(text)["settings"]
    assert set(recorded) == set(FEEDBACK_SETTINGS)  # an explicit allow-list, nothing else
    assert recorded["k"] == 7 and recorded["llm"] == "openai"
    assert recorded["embedding_model"] == "all-MiniLM-L6-v2"
    assert not set(recorded) & {"api_tokens", "auth", "llm_api_key", "secret_key"}
