"""bench/realdocs.py end to end on two small documentation pages written here."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = {
    "library/venv.html": "<h1>venv</h1><p>To create a virtual environment, run the venv module "
    "as a script with the directory path.</p><p>Activate it before installing packages.</p>",
    "library/gc.html": "<h1>gc</h1><p>Automatic collection can be disabled by calling "
    "gc.disable() when the program creates no cycles.</p>",
}
VENV = "run the venv module as a script"
ROWS = [
    {"id": "q1", "question": "How do I create a virtual environment?", "answerable": True,
     "answers": [VENV], "evidence": [VENV], "source": "library/venv.html",
     "pages": ["library/venv.html"], "key": VENV, "split": "final"},
    {"id": "q2", "question": "How do I switch off automatic garbage collection?",
     "answerable": True, "answers": ["calling gc.disable()"], "evidence": ["calling gc.disable()"],
     "source": "library/gc.html", "pages": ["library/gc.html"], "key": "calling gc.disable()",
     "split": "final"},
    {"id": "q3", "question": "What is the capital of Peru?", "answerable": False, "answers": [],
     "evidence": [], "pages": [], "key": None, "split": "final"},
]  # fmt: skip


def run(*args: object, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bench.realdocs", *map(str, args)],
        capture_output=True, text=True, env=env, timeout=600, check=False, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
@pytest.mark.server
def test_ingest_latency_answers_and_score(tmp_path: Path) -> None:
    docs = tmp_path / "html"
    for name, body in PAGES.items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(f"<html><body><div role='main'>{body}</div></body></html>")
    suite = tmp_path / "docs.jsonl"
    suite.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    data = tmp_path / "data"

    ingested = run("ingest", "--data", data, docs)
    assert "all: 2 chunks" in ingested and "embedder alone on 2 of these chunks" in ingested
    assert "embed sentences" in ingested

    timed = run("latency", "--data", data, suite)
    assert "0 errors alone, 0 with 8 clients" in timed
    assert "| cold, server | 2 |" in timed and "| warm, server | 2 |" in timed

    env = {**os.environ, "RAG_DATA_DIR": str(data), "PYTHONPATH": str(REPO)}
    out = tmp_path / "answers.jsonl"
    run("answers", suite, "--split", "final", "--out", out, env=env)
    scored = run("score", out, "--before", out)
    assert "| useful first | 1.000 |" in scored and "| found@1 | 1.000 |" in scored
    assert "| declined | 1.000 |" in scored
    assert "+0.000 [+0.000, +0.000]" in scored  # a file against itself: no difference

    # The venv question again, keyed on the page's second sentence: held by the passages
    # shown, but not the best candidate (the first sentence answers better).
    second = {**ROWS[0], "id": "q4", "key": "Activate it before installing packages"}
    ceiling_suite = tmp_path / "ceiling.jsonl"
    ceiling_suite.write_text("".join(json.dumps(r) + "\n" for r in [*ROWS, second]))
    ceiled = run("ceiling", ceiling_suite, env=env)
    assert "3 answerable questions" in ceiled
    assert "| held by the first 5 passages | 1.000 |" in ceiled
    assert "| held by the first 20 passages | 1.000 |" in ceiled
    assert "| the best candidate | 0.667 |" in ceiled
    assert "| among the best 3 candidates | 1.000 |" in ceiled
