"""Feedback lines survive concurrent writers intact."""

import json
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from ui.feedback import record_feedback

ANSWER = {"question": "q", "answer": "a " * 2000, "citations": [{"n": 1}]}


def _write_many(path: str, worker: int) -> None:
    for number in range(50):
        record_feedback(
            Path(path), number % 2 == 0, {**ANSWER, "question": f"{worker}-{number}"}, {"k": 5}
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
    assert all(r["answer"] == ANSWER["answer"] and r["settings"] == {"k": 5} for r in records)
