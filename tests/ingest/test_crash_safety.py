"""Crash safety: `rag ingest` killed with SIGKILL is completed, never duplicated, by the
next run; `rag ask` and /readyz say when the last ingest did not finish.

The procedure is bench/reliability.py's (one definition); `--kills 20` there, 3 here.
"""

import json
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bench import reliability
from rag.retrieve.index import open_index
from rag.settings import Settings
from tests.conftest import SEEDS
from tests.ui.conftest import serve

KILLS = 3
SEEDS_QUESTION = "Which film used AI tools to de-age characters?"


def _leave_unfinished(data_dir: Path) -> None:
    """The mark a killed ingest leaves behind: begun, never ended."""
    open_index(Settings(data_dir=data_dir)).begin_ingest()


def _readyz(url: str) -> dict[str, object]:
    """/readyz's JSON once the server is warm (503 until then), within 3 minutes."""
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=30) as response:
                return dict(json.loads(response.read()))
        except urllib.error.HTTPError as error:
            if error.code != 503 or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.mark.slow
def test_ask_notes_an_unfinished_ingest_and_still_answers(corpus: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert reliability.run_rag(["ingest", "seeds"], data, tmp_path).returncode == 0
    clean = reliability.run_rag(["ask", SEEDS_QUESTION], data, tmp_path, 300)
    assert clean.returncode == 0 and "note:" not in clean.stderr

    _leave_unfinished(data)
    human = reliability.run_rag(["ask", SEEDS_QUESTION], data, tmp_path, 300)
    assert human.returncode == 0, human.stderr
    assert "Happy Gilmore 2" in human.stdout
    note = " ".join(human.stderr.split())
    assert note.startswith("note: the ingest started at") and "did not finish" in note
    assert "Traceback" not in human.stderr

    as_json = reliability.run_rag(["ask", SEEDS_QUESTION, "--json"], data, tmp_path, 300)
    assert as_json.returncode == 0
    assert json.loads(as_json.stdout)["citations"]  # stdout stays one JSON object
    assert "did not finish" in as_json.stderr


@pytest.mark.server
def test_readyz_says_whether_the_last_ingest_finished(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    with serve(tmp_path, {}) as app:
        ready = _readyz(app.url)
        assert ready["ingest"] == "complete" and "warning" not in ready

        _leave_unfinished(tmp_path / "data")
        ready = _readyz(app.url)
        assert ready["ready"] is True and ready["ingest"] == "unfinished"
        assert "did not finish" in str(ready["warning"])

        open_index(Settings(data_dir=tmp_path / "data")).end_ingest()
        assert _readyz(app.url)["ingest"] == "complete"


@pytest.mark.slow
def test_ingest_killed_at_random_moments_is_completed_exactly(tmp_path: Path) -> None:
    result = reliability.crash_run(tmp_path, KILLS, seed=1)

    assert result.problems == []
    assert result.killed + result.finished_before_kill == KILLS
    assert result.reference is not None and result.final is not None
    assert result.final.ids == result.reference.ids
    assert result.final.chunks == result.reference.chunks == len(result.reference.ids)
    assert result.final.duplicates == 0
    assert result.final.manifest == result.reference.manifest
    assert len(result.final.manifest) == reliability.CORPUS_FILES
    assert "did not finish" in result.ask_after_kill


@pytest.mark.slow
def test_ask_during_an_ingest_answers_or_says_why_in_one_line(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    reliability.write_corpus(corpus)
    data = tmp_path / "data"
    index = open_index(Settings(data_dir=data))
    ingesting = reliability.start_ingest(corpus, data, tmp_path)
    try:
        deadline = time.monotonic() + reliability.INGEST_TIMEOUT
        while not index.unfinished_ingest() and ingesting.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        asked = reliability.run_rag(["ask", reliability.QUESTION], data, tmp_path, 300)
    finally:
        reliability.kill(ingesting)
    assert reliability.check_ask(asked, corpus) == []
    if asked.returncode != 0:  # nothing written yet: the empty index says what to do
        assert "rag ingest" in asked.stderr
