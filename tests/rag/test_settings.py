"""Settings come from arguments, RAG_* variables and rag.toml, in that order."""

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from cli.main import app
from harness.servers import BIN
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


def _rag(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Any:
    """The installed `rag` command (its real entry point, main()), in a clean environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return subprocess.run(
        [str(BIN / "rag"), *args],
        env={**clean, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


SECRETS = {
    "RAG_API_TOKENS": "tok-alpha,tok-beta",
    "RAG_AUTH": '["alice:pw-wonder"]',
    "RAG_LLM_API_KEY": "sk-hidden",
    "RAG_SECRET_KEY": "signing-hidden",
}


def test_secrets_are_secret_str_and_masked_by_rag_config(tmp_path: Path) -> None:
    result = _rag("config", "--json", env=SECRETS, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["api_tokens"]["value"] == ["****", "****"]
    assert printed["auth"]["value"] == ["****"]
    assert printed["llm_api_key"]["value"] == "****"
    assert printed["secret_key"]["value"] == "****"
    table = _rag("config", env=SECRETS, cwd=tmp_path)
    for secret in ("tok-alpha", "tok-beta", "pw-wonder", "sk-hidden", "signing-hidden"):
        assert secret not in result.stdout + result.stderr
        assert secret not in table.stdout + table.stderr


def test_secret_values_stay_usable_but_hidden_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert [t.get_secret_value() for t in settings.api_tokens] == ["tok-alpha", "tok-beta"]
    assert settings.llm_api_key.get_secret_value() == "sk-hidden"
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() == "signing-hidden"
    copied = settings.model_copy(update={"api_tokens": ["tok-gamma"]})
    assert copied.api_tokens[0].get_secret_value() == "tok-gamma"
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert "hidden" not in text and "tok-" not in text and "pw-wonder" not in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://intranet.example", ["https://intranet.example"]),
        ("https://a.example, https://b.example", ["https://a.example", "https://b.example"]),
        ('["https://a.example","https://b.example"]', ["https://a.example", "https://b.example"]),
        ("", []),
    ],
)
def test_lists_from_the_environment_take_json_or_commas(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv("RAG_ALLOWED_ORIGINS", value)
    monkeypatch.setenv("RAG_TRUSTED_PROXIES", value)
    settings = Settings()
    assert settings.allowed_origins == expected
    assert settings.trusted_proxies == expected


@pytest.mark.parametrize(
    ("args", "env", "toml", "named"),
    [
        (["config"], {"RAG_K": "-1"}, None, "RAG_K=-1"),
        (["config"], {"RAG_RETRIEVER": "magic"}, None, "RAG_RETRIEVER=magic"),
        (["config"], {"RAG_RATE_LIMIT": "lots"}, None, "RAG_RATE_LIMIT=lots"),
        (["config"], {}, "k = 0\n", "rag.toml: k=0"),
        (["config"], {}, "k = [unclosed\n", "rag.toml"),
        (["ask", "--k", "-1", "anything"], {}, None, "--k=-1"),
        (["ingest"], {"RAG_CHUNK_SIZE": "tiny"}, None, "RAG_CHUNK_SIZE=tiny"),
        (["eval", "x.jsonl"], {"RAG_K": "0"}, None, "RAG_K=0"),
        (["serve", "--port", "1"], {"RAG_MAX_PENDING": "0"}, None, "RAG_MAX_PENDING=0"),
    ],
)
def test_invalid_settings_are_one_line_and_exit_2(
    tmp_path: Path, args: list[str], env: dict[str, str], toml: str | None, named: str
) -> None:
    if toml is not None:
        (tmp_path / "rag.toml").write_text(toml)
    result = _rag(*args, env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert named in lines[0]
    assert "Traceback" not in result.stderr


def test_a_bad_secret_is_named_but_not_echoed(tmp_path: Path) -> None:
    result = _rag("config", env={"RAG_API_TOKENS": '[{"x": "leaky-token"}]'}, cwd=tmp_path)
    assert result.returncode == 2
    assert "RAG_API_TOKENS" in result.stderr and "leaky-token" not in result.stderr
