"""Settings come from arguments, RAG_* variables and rag.toml, in that order."""

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from rag.cli import app
from rag.settings import Settings, setting_origins


def test_precedence_and_origins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "rag.toml").write_text('k = 9\nretriever = "bm25"\nchunk_size = 500\n')
    monkeypatch.setenv("RAG_K", "7")
    settings = Settings(chunk_size=300)
    assert (settings.k, settings.retriever, settings.chunk_size) == (7, "bm25", 300)
    origins = setting_origins(settings)
    assert origins["k"] == "env RAG_K"
    assert origins["retriever"] == "rag.toml"
    assert origins["chunk_size"] == "argument"
    assert origins["rrf_k"] == "default"


def test_rag_config_file_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "custom.toml").write_text("k = 11\n")
    monkeypatch.setenv("RAG_CONFIG", str(tmp_path / "custom.toml"))
    assert Settings().k == 11


def test_invalid_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_RETRIEVER", "magic")
    with pytest.raises(ValidationError):
        Settings()


def test_rag_config_prints_values_and_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_CHUNK_OVERLAP", "99")
    result = CliRunner().invoke(app, ["config", "--json"])
    assert result.exit_code == 0
    printed = json.loads(result.stdout)
    assert printed["chunk_overlap"] == {"value": 99, "from": "env RAG_CHUNK_OVERLAP"}
    assert printed["data_dir"] == {"value": "data", "from": "default"}
