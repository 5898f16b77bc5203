"""Intervals and paired comparisons on hand-made runs whose answers are known."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from evals.bootstrap import Ratio, draws, intervals, paired, paired_mean
from evals.compare import compare_runs, load_run, verdict
from evals.runner import RowResult, RunResult, aggregate, dump_runs, ratios, result_of
from rag.errors import RagError


def _row(n: int, hit: bool, group: str | None = None, answerable: bool = True) -> RowResult:
    metrics = {"hit@1": float(hit), "citations": 1.0, "valid_citations": 1.0}
    return RowResult(
        id=f"q{n}",
        question="q?",
        answerable=answerable,
        group=group,
        answer="a",
        abstained=not answerable,
        citations=[],
        first_relevant_rank=1 if hit else None,
        latency_ms=float(n),
        metrics=metrics,
    )


def _run(hits: list[bool], groups: list[str] | None = None, name: str = "r") -> RunResult:
    rows = [_row(n, h, groups[n] if groups else None) for n, h in enumerate(hits)]
    return result_of(name, "suite", {}, rows)


def test_the_interval_of_a_proportion_is_near_the_normal_one_and_reproducible() -> None:
    # 80 hits of 100: the normal approximation gives 0.8 +- 1.96 * 0.04 = [0.722, 0.878].
    run = _run([True] * 80 + [False] * 20)
    interval = run.intervals["hit@1"]
    assert run.metrics["hit@1"] == 0.8 and interval.questions == interval.groups == 100
    assert 0.70 <= interval.low <= 0.74 and 0.86 <= interval.high <= 0.90
    assert _run([True] * 80 + [False] * 20).intervals["hit@1"] == interval  # fixed seed


def test_constant_values_have_a_zero_width_interval() -> None:
    interval = _run([True] * 30).intervals["hit@1"]
    assert (interval.low, interval.high) == (1.0, 1.0)
    validity = _run([True] * 30).intervals["citation_validity"]
    assert (validity.low, validity.high, validity.questions) == (1.0, 1.0, 30)


def test_groups_are_resampled_whole_and_widen_the_interval() -> None:
    # 10 paragraphs of 10 questions, 8 paragraphs all hits, 2 all misses: the same
    # 80 % as above, but only 10 independent draws.
    hits = [p < 8 for p in range(10) for _ in range(10)]
    groups = [f"p{p}" for p in range(10) for _ in range(10)]
    grouped = _run(hits, groups).intervals["hit@1"]
    alone = _run(hits).intervals["hit@1"]
    assert grouped.groups == 10 and grouped.questions == 100
    assert grouped.high - grouped.low > 2 * (alone.high - alone.low)


def test_a_metric_that_applies_to_no_question_has_no_interval() -> None:
    run = _run([True, False])
    assert math.isnan(run.metrics["abstention_f1"])  # no unanswerable question
    assert math.isnan(run.intervals["abstention_f1"].low)
    parsed = json.loads(dump_runs([run]))[0]
    assert parsed["intervals"]["abstention_f1"]["low"] is None  # strict JSON, read back
    assert math.isnan(result_of("r", "s", {}, run.rows).intervals["abstention_f1"].high)


def test_ratios_reproduce_every_aggregate_metric() -> None:
    rows = [_row(0, True), _row(1, False), _row(2, False, answerable=False)]
    values = aggregate(rows)
    for name, ratio in ratios(rows).items():
        assert ratio.value() == pytest.approx(values[name], nan_ok=True), name


def test_draws_resample_every_group_count_times() -> None:
    weights = draws(7, resamples=50)
    assert weights.shape == (50, 7) and (weights.sum(axis=1) == 7).all()


def _ratio(values: list[float]) -> Ratio:
    return Ratio(np.array(values), np.ones(len(values)))


def test_a_paired_difference_cancels_what_the_questions_share() -> None:
    # 200 questions of very different difficulty; B gets 12 more right than A and
    # none wrong that A had: unpaired, the two 95 % intervals overlap; paired, every
    # resample shows B ahead.
    before = [float(n % 2 == 0) for n in range(200)]
    after = [1.0 if n % 2 == 0 or n < 24 else 0.0 for n in range(200)]
    [difference] = paired(
        {"hit@1": _ratio(before)}, {"hit@1": _ratio(after)}, list(map(str, range(200)))
    )
    assert difference.delta == pytest.approx(0.06)
    assert difference.significant and difference.low > 0 and difference.p_value < 0.01
    one = intervals({"hit@1": _ratio(before)}, list(map(str, range(200))), [1.0])["hit@1"]
    two = intervals({"hit@1": _ratio(after)}, list(map(str, range(200))), [1.0])["hit@1"]
    assert two.low < one.high  # the unpaired intervals overlap


def test_one_question_changed_is_no_significant_difference() -> None:
    before = [float(n % 2 == 0) for n in range(200)]
    after = [*before[:-1], 1.0]
    [difference] = paired({"m": _ratio(before)}, {"m": _ratio(after)}, list(map(str, range(200))))
    assert not difference.significant and difference.p_value > 0.05
    assert verdict(difference) == "no significant difference"


def _of_set(values: list[float], start: int, total: int) -> Ratio:
    """A ratio over ``values`` placed at ``start`` of ``total`` questions, zero elsewhere."""
    numerator, denominator = np.zeros(total), np.zeros(total)
    numerator[start : start + len(values)] = values
    denominator[start : start + len(values)] = 1
    return Ratio(numerator, denominator)


def test_the_mean_over_sets_counts_each_set_alike_and_skips_one_without_questions() -> None:
    # Set a: 20 questions, 10 more right after (0.25 -> 0.75); set b: 200 unchanged
    # (0.5). The mean of the two sets moves by +0.25 (pooled, it would move by 10/220).
    # A third set applies to no question: NaN, it takes no part in the mean.
    a_before = [float(n < 5) for n in range(20)]
    a_after = [float(n < 15) for n in range(20)]
    b = [float(n % 2 == 0) for n in range(200)]
    empty = Ratio(np.zeros(220), np.zeros(220))
    before = [_of_set(a_before, 0, 220), _of_set(b, 20, 220), empty]
    after = [_of_set(a_after, 0, 220), _of_set(b, 20, 220), empty]
    difference = paired_mean(before, after, list(map(str, range(220))))
    assert (difference.before, difference.after) == (pytest.approx(0.375), pytest.approx(0.625))
    assert difference.better and difference.questions == 220
    worse = paired_mean(after, before, list(map(str, range(220))))
    assert worse.significant and not worse.better
    assert not paired_mean(before, before, list(map(str, range(220)))).significant


def test_compare_pairs_rows_by_id_and_reads_named_runs(tmp_path: Path) -> None:
    a = _run([n % 2 == 0 for n in range(100)], name="a")
    b = _run([n % 2 == 0 or n < 40 for n in range(100)], name="b")
    shuffled = b.model_copy(update={"rows": list(reversed(b.rows))})  # order must not matter
    (tmp_path / "runs.json").write_text(dump_runs([a, shuffled]))
    differences, count = compare_runs(
        load_run(f"{tmp_path}/runs.json:a"), load_run(f"{tmp_path}/runs.json:b")
    )
    hit = next(d for d in differences if d.metric == "hit@1")
    assert count == 100 and hit.delta == pytest.approx(0.2) and verdict(hit) == "better"
    assert verdict(next(d for d in differences if d.metric == "citation_validity")) == (
        "no significant difference"
    )
    with pytest.raises(RagError, match="no run named 'c'"):
        load_run(f"{tmp_path}/runs.json:c")
    other = _run([True]).model_copy(update={"rows": [_row(999, True)]})
    with pytest.raises(RagError, match="share no question"):
        compare_runs(a, other)


def test_lower_is_better_for_false_abstention() -> None:
    answered = [_row(n, True) for n in range(100)]
    declined = [r.model_copy(update={"abstained": n < 30}) for n, r in enumerate(answered)]
    differences, _ = compare_runs(
        result_of("a", "s", {}, answered), result_of("b", "s", {}, declined)
    )
    false = next(d for d in differences if d.metric == "false_abstention_rate")
    assert false.delta == pytest.approx(0.3) and verdict(false) == "worse"
