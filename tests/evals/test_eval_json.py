"""`rag eval --json` writes strict JSON: a metric that does not apply is null, not NaN."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.cli import app
from tests.evals.test_eval_cli import SQUAD

pytestmark = pytest.mark.slow
runner = CliRunner()


def _strict(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def test_results_are_strict_json_and_read_back(tmp_path: Path) -> None:
    source = tmp_path / "mini-squad.json"
    source.write_text(json.dumps(SQUAD))
    result = runner.invoke(app, ["eval", "squad", str(source), "--json", "out.json"])
    assert result.exit_code == 0, result.output
    run = json.loads(Path("out.json").read_text(), parse_constant=_strict)[0]
    missing = [name for name, value in run["metrics"].items() if value is None]
    assert missing, "the mini suite has metrics that do not apply (no generated sentences)"
    compared = runner.invoke(app, ["eval", "--compare", "out.json", "out.json"])
    assert compared.exit_code == 0, compared.output
    assert "answer_recall" in compared.stdout
