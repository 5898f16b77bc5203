"""Targets shown PASS/MISSED on the strict metrics, and limits that fail a run."""

import pytest

from evals.gates import failed_limits, parse_limits, target_status
from evals.runner import RunResult
from rag.errors import RagError


def _run(**metrics: float) -> RunResult:
    return RunResult(name="hybrid", suite="s", settings={}, metrics=metrics, rows=[])


def test_targets_are_on_the_first_sentence_and_show_missed_ones() -> None:
    # The whole answer holds the gold (0.9) but its first sentence does not often enough.
    run = _run(**{"hit@5": 0.96, "answer_recall": 0.9, "answer_recall_first": 0.84})
    assert [(name, s) for name, _, _, s in target_status(run)] == [
        ("hit@5", "PASS"), ("answer_recall_first", "MISSED"), ("abstention_f1", "MISSED")
    ]  # fmt: skip


def test_floors_and_ceilings_name_each_metric_outside() -> None:
    run = _run(**{"hit@5": 0.87, "false_abstention_rate": 0.13, "hit@1": 0.5})
    failures = failed_limits(run, {"hit@5": 0.9, "hit@1": 0.5}, {"false_abstention_rate": 0.1})
    assert failures == [
        "hit@5 = 0.870 is below 0.9", "false_abstention_rate = 0.130 is above 0.1"
    ]  # fmt: skip
    assert failed_limits(run, {"mrr@10": 0.1})[0].startswith("mrr@10: no such metric")
    assert failed_limits(_run(**{"hit@5": float("nan")}), {"hit@5": 0.0}) != []


def test_limits_parse_or_say_why_not() -> None:
    assert parse_limits(["hit@5=0.9", " mrr@10 = 0.5"]) == {"hit@5": 0.9, "mrr@10": 0.5}
    with pytest.raises(RagError, match="--fail-under takes METRIC=VALUE, not 'hit@5'"):
        parse_limits(["hit@5"])
