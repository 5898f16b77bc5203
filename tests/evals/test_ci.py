"""The CI gate's limits, derived from intervals, and its refusals (no answering here)."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from evals.ci import CEILED, FLOORED, failures, limits_of, load_baseline, write_baseline
from evals.runner import RowResult, RunResult, result_of
from rag.errors import RagError


def _row(n: int, hit: bool, answerable: bool = True) -> RowResult:
    metrics = {f"hit@{k}": float(hit) for k in (1, 3, 5, 10)} | {"mrr@10": float(hit)}
    metrics |= {"citations": 1.0, "valid_citations": 1.0, "relevant_citations": float(hit)}
    metrics |= {"cites_relevant": float(hit)}
    return RowResult(
        id=f"q{n}", question="q", answerable=answerable, answer="a", abstained=False,
        citations=[], first_relevant_rank=1 if hit else None, latency_ms=1.0, metrics=metrics,
    )  # fmt: skip


def _pubmedqa(hits: int, total: int) -> RunResult:
    return result_of("hybrid", "PubMedQA", {}, [_row(n, n < hits) for n in range(total)])


def test_floors_are_the_lower_ends_of_the_intervals(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text("{}")
    run = _pubmedqa(90, 100)
    limits = limits_of("pubmedqa", data, run)
    # 90 of 100: the interval is about [0.84, 0.96]; the floor its lower end, rounded down.
    assert set(limits.floors) == set(FLOORED["pubmedqa"]) and set(limits.ceilings) == set(CEILED)
    assert limits.floors["hit@1"] == int(run.intervals["hit@1"].low * 1000) / 1000
    assert 0.83 <= limits.floors["hit@1"] <= 0.86
    # Validity 1.000 for every question: the floor is the reference, no slack.
    assert limits.floors["citation_validity"] == 1.0
    # No false abstention in 100 questions (an interval of width 0): the rule of three.
    assert limits.ceilings["false_abstention_rate"] == 0.03


def test_a_perfect_metric_gets_the_rule_of_three_not_a_floor_of_one(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text("{}")
    limits = limits_of("pubmedqa", data, _pubmedqa(150, 150))
    assert limits.floors["hit@5"] == 0.98  # 1 - 3/150
    worse = _pubmedqa(149, 150)  # one question lost: within what 150 could show
    baseline = write_baseline(
        {"pubmedqa": _pubmedqa(150, 150)}, {"pubmedqa": data}, "c", tmp_path / "b.json"
    )
    assert not [f for f in failures({"pubmedqa": worse}, baseline) if "hit@5" in f]
    lost = [f for f in failures({"pubmedqa": _pubmedqa(140, 150)}, baseline) if "hit@5" in f]
    assert lost == ["pubmedqa: hit@5 = 0.933 is below 0.98"]


def test_a_baseline_file_is_read_back_or_refused(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text("{}")
    write_baseline({"pubmedqa": _pubmedqa(90, 100)}, {"pubmedqa": data}, "cmd", tmp_path / "b.json")
    assert load_baseline(tmp_path / "b.json").sets["pubmedqa"].questions == 100
    (tmp_path / "bad.json").write_text(json.dumps({"sets": {}}))
    with pytest.raises(RagError, match="is not a CI baseline"):
        load_baseline(tmp_path / "bad.json")


def test_the_command_needs_one_of_check_or_write(tmp_path: Path) -> None:
    data = tmp_path / "squad.json"
    data.write_text("{}")
    result = CliRunner().invoke(app, ["eval", "ci", "--squad", str(data)])
    assert result.exit_code == 1 and "needs --baseline FILE" in result.stderr


def test_another_sample_is_refused_not_gated(tmp_path: Path) -> None:
    from evals.ci import check_sample
    from rag.settings import Settings
    from tests.evals.test_eval_cli import SQUAD

    data = tmp_path / "squad.json"
    data.write_text(json.dumps(SQUAD))
    # Limits derived on other questions of the same file.
    written = write_baseline(
        {"pubmedqa": _pubmedqa(9, 10)}, {"pubmedqa": data}, "c", tmp_path / "b"
    )
    baseline = written.model_copy(update={"sets": {"squad": written.sets["pubmedqa"]}})
    with pytest.raises(RagError, match="changed since the baseline was written"):
        check_sample(baseline, {"squad": data}, Settings(data_dir=tmp_path / "data"))
