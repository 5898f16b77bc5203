"""The product's targets, and floors a run must reach.

The targets are printed PASS or MISSED under every report and do not fail a run;
they are on the strict metrics (the first answer sentence, not any of three). A
floor (``--fail-under``, or the CI gate's limits in evals/ci-baseline.json) fails it.
"""

import math

from evals.runner import RunResult
from rag.errors import RagError

# The product's goals (see the README); a missed target is shown, not hidden.
TARGETS = {"hit@5": 0.95, "answer_recall_first": 0.85, "abstention_f1": 0.85}


def target_status(run: RunResult) -> list[tuple[str, float, float, str]]:
    """(metric, value, target, PASS or MISSED) for each target."""
    status = []
    for name, target in TARGETS.items():
        value = run.metrics.get(name, math.nan)
        status.append((name, value, target, "PASS" if value >= target else "MISSED"))
    return status


def parse_limits(limits: list[str], option: str = "--fail-under") -> dict[str, float]:
    """``["hit@5=0.9", ...]`` as ``{"hit@5": 0.9}``, with a clear error when malformed."""
    parsed = {}
    for limit in limits:
        name, _, value = limit.partition("=")
        try:
            parsed[name.strip()] = float(value)
        except ValueError:
            raise RagError(f"{option} takes METRIC=VALUE, not {limit!r}") from None
    return parsed


def failed_limits(
    result: RunResult, floors: dict[str, float], ceilings: dict[str, float] | None = None
) -> list[str]:
    """A message for each floor ``result`` is below and each ceiling it is above
    (a metric the run lacks, or NaN, fails too)."""
    failures = []
    for bound, limits, passes in (
        ("below", floors, lambda value, limit: value >= limit),
        ("above", ceilings or {}, lambda value, limit: value <= limit),
    ):
        for name, limit in limits.items():
            if name not in result.metrics:
                failures.append(f"{name}: no such metric (known: {', '.join(result.metrics)})")
            elif not passes(result.metrics[name], limit):
                failures.append(f"{name} = {result.metrics[name]:.3f} is {bound} {limit}")
    return failures
