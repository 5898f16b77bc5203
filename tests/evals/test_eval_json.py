"""`rag eval --json` writes strict JSON: a metric that does not apply is null, not NaN."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.evals.test_eval_cli import SQUAD

pytestmark = pytest.mark.slow
runner = CliRunner()


def _strict(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def test_results_are_strict_json_and_read_back(tmp_path: Path) -> None:
    source = tmp_path / "mini-squad.json"
    source.write_text(json.dumps(SQUAD))
    result = runner.invoke(app, ["eval", "squad", str(source), "--json-out", "out.json"])
    assert result.exit_code == 0, result.output
    run = json.loads(Path("out.json").read_text(), parse_constant=_strict)[0]
    missing = [name for name, value in run["metrics"].items() if value is None]
    assert missing, "the mini suite has metrics that do not apply (no generated sentences)"
    compared = runner.invoke(app, ["eval", "--compare", "out.json", "out.json"])
    assert compared.exit_code == 0, compared.output
    assert "answer_recall" in compared.stdout


def test_json_prints_one_document_on_stdout_in_run_and_compare(tmp_path: Path) -> None:
    # `--json` means what it means in every other command: JSON on stdout, no tables;
    # `rag eval SUITE` and `rag eval run SUITE` are one command.
    source = tmp_path / "mini-squad.json"
    source.write_text(json.dumps(SQUAD))
    printed = runner.invoke(app, ["eval", "run", "squad", str(source), "--json"])
    assert printed.exit_code == 0, printed.output
    runs = json.loads(printed.stdout, parse_constant=_strict)
    assert [run["name"] for run in runs] == ["hybrid"] and len(runs[0]["rows"]) == 3
    Path("a.json").write_text(printed.stdout)
    compared = runner.invoke(app, ["eval", "compare", "a.json", "a.json", "--json"])
    assert compared.exit_code == 0, compared.output
    paired = json.loads(compared.stdout, parse_constant=_strict)
    assert paired["paired"] == 3 and paired["before"] == paired["after"] == "hybrid"
    recall = next(m for m in paired["metrics"] if m["metric"] == "answer_recall")
    assert recall["delta"] == 0.0 and recall["before"] == recall["after"]


def test_the_former_json_path_form_is_refused_in_one_line(tmp_path: Path) -> None:
    # `--json PATH` wrote a file before `--json` meant stdout: the PATH is now an
    # argument too many, refused before anything runs, not written over silently.
    source = tmp_path / "mini-squad.json"
    source.write_text(json.dumps(SQUAD))
    result = runner.invoke(app, ["eval", "squad", str(source), "--json", "out.json"])
    assert result.exit_code == 2 and not Path("out.json").exists()
