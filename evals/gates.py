"""Release gates: a committed baseline of test-split figures, and the targets.

``rag eval SUITE --split test --baseline evals/baseline-seeds.json`` fails (exit 1)
when a metric is worse than the baseline by more than its tolerance; the
targets are printed PASS or MISSED in every report, and do not fail a run.
"""

import json
import math
from pathlib import Path

from pydantic import BaseModel, ValidationError

from evals.runner import RunResult
from rag.errors import RagError

# The product's goals (see the README); a missed target is shown, not hidden.
TARGETS = {"hit@5": 0.95, "answer_recall": 0.85, "abstention_f1": 0.85}
LOWER_IS_BETTER = ("false_abstention_rate", "latency_p50_ms", "latency_p95_ms")
TOLERANCE = 0.02
# Latency depends on the machine, not on the code under test: never gated.
UNGATED = ("latency_p50_ms", "latency_p95_ms")


class Baseline(BaseModel):
    """Figures a release must not fall below, and the run that measured them."""

    suite: str
    run: str
    tolerance: float = TOLERANCE
    metrics: dict[str, float]


def baseline_of(run: RunResult, tolerance: float = TOLERANCE) -> Baseline:
    """The gated metrics of ``run`` (those that apply: no NaN)."""
    gated = {
        name: round(value, 4)
        for name, value in run.metrics.items()
        if name not in UNGATED and not math.isnan(value)
    }
    return Baseline(suite=run.suite, run=run.name, tolerance=tolerance, metrics=gated)


def write_baseline(run: RunResult, path: Path) -> None:
    """Commit-able JSON of ``run``'s figures."""
    path.write_text(baseline_of(run).model_dump_json(indent=1) + "\n")


def load_baseline(path: Path) -> Baseline:
    """A baseline file, with one clear error when it is not one."""
    try:
        return Baseline.model_validate(json.loads(path.read_text()))
    except (OSError, ValueError, ValidationError) as error:
        raise RagError(f"{path} is not a baseline file: {str(error).splitlines()[0]}") from None


def regressions(run: RunResult, baseline: Baseline) -> list[str]:
    """A message per metric worse than the baseline by more than its tolerance."""
    if run.suite != baseline.suite:
        return [f"the baseline is of {baseline.suite!r}, this run of {run.suite!r}"]
    failures = []
    for name, expected in baseline.metrics.items():
        value = run.metrics.get(name, math.nan)
        worse = value - expected if name in LOWER_IS_BETTER else expected - value
        if math.isnan(value) or worse > baseline.tolerance:
            failures.append(
                f"{name} = {value:.3f}, baseline {expected:.3f} (tolerance {baseline.tolerance})"
            )
    return failures


def target_status(run: RunResult) -> list[tuple[str, float, float, str]]:
    """(metric, value, target, PASS or MISSED) for each target."""
    status = []
    for name, target in TARGETS.items():
        value = run.metrics.get(name, math.nan)
        status.append((name, value, target, "PASS" if value >= target else "MISSED"))
    return status
