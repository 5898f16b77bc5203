"""Release gates against a committed baseline, and the targets shown PASS/MISSED."""

from pathlib import Path

import pytest

from evals.gates import baseline_of, load_baseline, regressions, target_status, write_baseline
from evals.runner import RunResult
from rag.errors import RagError


def _run(**metrics: float) -> RunResult:
    return RunResult(
        name="hybrid", suite="seeds (test split)", settings={}, metrics=metrics, rows=[]
    )


def test_a_drop_beyond_the_tolerance_fails_and_names_the_metric(tmp_path: Path) -> None:
    write_baseline(_run(**{"hit@5": 0.9, "false_abstention_rate": 0.1}), tmp_path / "b.json")
    baseline = load_baseline(tmp_path / "b.json")
    # Tolerance 0.02: hit@5 0.885 is 0.015 worse (allowed), 0.87 is 0.03 worse (fails);
    # false abstention is lower-is-better, 0.13 is 0.03 worse.
    assert regressions(_run(**{"hit@5": 0.885, "false_abstention_rate": 0.1}), baseline) == []
    failures = regressions(_run(**{"hit@5": 0.87, "false_abstention_rate": 0.13}), baseline)
    assert [f.split(" = ")[0] for f in failures] == ["hit@5", "false_abstention_rate"]


def test_a_metric_missing_from_the_run_fails_and_latency_is_not_gated() -> None:
    baseline = baseline_of(_run(**{"hit@5": 0.9, "latency_p95_ms": 10.0, "verified": float("nan")}))
    assert baseline.metrics == {"hit@5": 0.9}
    assert regressions(_run(), baseline) == ["hit@5 = nan, baseline 0.900 (tolerance 0.02)"]


def test_a_baseline_of_another_suite_is_refused(tmp_path: Path) -> None:
    other = baseline_of(_run(**{"hit@5": 0.9})).model_copy(update={"suite": "squad"})
    assert "the baseline is of 'squad'" in regressions(_run(**{"hit@5": 0.9}), other)[0]
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(RagError, match="is not a baseline file"):
        load_baseline(tmp_path / "bad.json")


def test_targets_show_missed_ones() -> None:
    status = target_status(_run(**{"hit@5": 0.96, "answer_recall": 0.84}))
    assert [(name, s) for name, _, _, s in status] == [
        ("hit@5", "PASS"), ("answer_recall", "MISSED"), ("abstention_f1", "MISSED")
    ]  # fmt: skip
