"""The `rag` command, driven in-process: summaries, JSON and exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

pytestmark = pytest.mark.slow
runner = CliRunner()


def test_ingest_then_ask(corpus: Path) -> None:
    first = runner.invoke(app, ["ingest"])  # default: ./seeds
    assert first.exit_code == 0, first.output
    assert "Ingested 1 file:" in first.stdout and "0 removed, 0 unchanged" in first.stdout
    again = runner.invoke(app, ["ingest", str(corpus), "--json"])
    report = json.loads(again.stdout)
    assert (report["added"], report["removed"]) == (0, 0) and report["unchanged"] > 0

    answer = runner.invoke(app, ["ask", "Which film used AI tools to de-age characters?", "--json"])
    payload = json.loads(answer.stdout)
    assert "Happy Gilmore 2" in payload["answer"] and not payload["abstained"]
    assert payload["citations"][0]["source"] == "seeds/netflix-generative-ai.txt"

    human = runner.invoke(app, ["ask", "What is the capital of Argentina?"])
    assert human.exit_code == 0
    assert "I could not find this in the documents." in human.stdout
    assert "[1]" not in human.stdout


def test_ingest_of_nothing_usable_fails(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "empty.txt").write_bytes(b"")
    result = runner.invoke(app, ["ingest", "docs"])
    assert result.exit_code == 1
    assert "docs/empty.txt: empty file" in result.stderr
    assert "nothing could be ingested" in result.stderr


def test_asking_an_empty_index_says_what_to_do() -> None:
    result = runner.invoke(app, ["ask", "Anything?"])
    assert result.exit_code == 1
    assert "run `rag ingest` first" in result.stderr


def test_ingest_reset_rebuilds_the_index_from_nothing(corpus: Path) -> None:
    first = runner.invoke(app, ["ingest", str(corpus), "--json"])
    assert first.exit_code == 0, first.output
    chunks = json.loads(first.stdout)["added"]
    again = runner.invoke(app, ["ingest", str(corpus), "--reset", "--json"])
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    # Everything was dropped first, so nothing is "unchanged": every chunk is new again.
    assert (report["added"], report["removed"], report["unchanged"]) == (chunks, 0, 0)


def test_ingest_reset_replaces_an_index_built_by_another_embedder(corpus: Path) -> None:
    from rag.retrieve.index import ChunkIndex, open_client
    from rag.settings import Settings

    settings = Settings()
    ChunkIndex(open_client(settings), settings.collection, "another-model/fp32")
    refused = runner.invoke(app, ["ingest", str(corpus)])
    assert refused.exit_code == 1 and "rag ingest --reset" in refused.stderr
    rebuilt = runner.invoke(app, ["ingest", str(corpus), "--reset", "--json"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert json.loads(rebuilt.stdout)["added"] > 0


def test_importing_the_cli_and_chain_loads_no_heavy_library() -> None:
    # `rag --help` and `rag config` stay fast; commands import what they use.
    heavy = ("torch", "sentence_transformers", "chromadb", "langchain_core", "gradio")
    code = f"import sys, cli.main, rag.chain; print([m for m in {heavy!r} if m in sys.modules])"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip() == "[]"


def test_ingest_leaves_the_bm25_state_saved_for_the_server(corpus: Path) -> None:
    from rag.retrieve.lexical import Bm25, cache_path
    from rag.settings import Settings

    assert runner.invoke(app, ["ingest"]).exit_code == 0
    saved = Bm25.load(cache_path(Settings()))
    assert set(saved.files) == {str((corpus / "netflix-generative-ai.txt").resolve())}
    assert len(saved.ids) > 5
