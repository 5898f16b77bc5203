"""`--split final` reports the whole split and appends every report to the record."""

import copy
import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from evals.squad import build_squad
from tests.evals.test_eval_cli import SQUAD

pytestmark = pytest.mark.slow
runner = CliRunner()


def _four_articles(tmp_path: Path) -> Path:
    """The mini SQuAD with two more articles: 2 tune, 1 dev, 1 final."""
    data = copy.deepcopy(SQUAD)
    for title in ("Sourdough", "Glacier"):
        article = copy.deepcopy(data["data"][0])
        article["title"] = title
        for qa in article["paragraphs"][0]["qas"]:
            qa["id"] = f"{title}-{qa['id']}"
        data["data"].append(article)
    path = tmp_path / "mini-squad.json"
    path.write_text(json.dumps(data))
    return path


def test_a_final_run_is_appended_with_commit_settings_and_hashes(tmp_path: Path) -> None:
    source = _four_articles(tmp_path)
    _, rows = build_squad(source, tmp_path / "cache")
    final = [row for row in rows if row.split == "final"]
    assert final and len({row.source for row in final}) == 1
    log = tmp_path / "docs" / "final-runs.md"
    first = runner.invoke(app, ["eval", "squad", str(source), "--split", "final"])
    assert first.exit_code == 0, first.output
    recorded = log.read_text()
    assert recorded.startswith("# Final-split runs")
    assert f"- questions: {len(final)}, membership sha256 " in recorded
    assert "- commit: " in recorded and "- settings of hybrid: " in recorded
    assert f"`mini-squad.json` sha256 {hashlib.sha256(source.read_bytes()).hexdigest()}" in recorded
    assert "| hit@1 | " in recorded
    second = runner.invoke(app, ["eval", "squad", str(source), "--split", "final"])
    assert second.exit_code == 0, second.output
    again = log.read_text()
    assert again.startswith(recorded) and again.count("## ") == 2  # appended, never rewritten


def test_the_final_split_is_not_sampled_and_other_splits_leave_no_record(tmp_path: Path) -> None:
    source = _four_articles(tmp_path)
    sampled = runner.invoke(app, ["eval", "squad", str(source), "--split", "final", "--limit", "1"])
    assert sampled.exit_code == 1 and "the final split is reported whole" in sampled.stderr
    dev = runner.invoke(app, ["eval", "squad", str(source), "--split", "dev"])
    assert dev.exit_code == 0, dev.output
    assert not (tmp_path / "docs").exists()
    assert "targets: hybrid" in dev.stdout  # held out: the targets are judged
    tune = runner.invoke(app, ["eval", "squad", str(source), "--split", "tune"])
    assert tune.exit_code == 0 and "targets:" not in tune.stdout  # chosen on: not judged
