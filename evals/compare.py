"""`rag eval compare A.json B.json`: is B better than A, or is the difference noise?

Runs are paired question by question (by id, over the questions both answered),
and every metric's difference gets a paired bootstrap interval and p-value
(evals/bootstrap.py), in the shape of ranx's ``compare``: one row per metric, a
verdict per row.
"""

import json
import math
from pathlib import Path

from rich.table import Table

from evals.bootstrap import Difference, paired
from evals.runner import RunResult, ratios
from rag.errors import RagError

LOWER_IS_BETTER = ("false_abstention_rate",)


def load_run(spec: str) -> RunResult:
    """The run ``FILE`` (its first) or ``FILE:NAME`` (the run of that name, e.g.
    ``squad.json:txtai``) of a results file of ``rag eval run --json-out`` (or ``--json``)."""
    path, name = Path(spec), None
    if not path.is_file() and ":" in spec:
        file, _, name = spec.rpartition(":")
        path = Path(file)
    try:
        runs = [RunResult.model_validate(run) for run in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError) as error:
        raise RagError(
            f"{path} is not a results file of `rag eval run --json-out`: {error}"
        ) from None
    chosen = [run for run in runs if name is None or run.name == name][:1]
    if not chosen:
        known = ", ".join(run.name for run in runs) or "none"
        raise RagError(f"{path} has no run named {name!r} (it has: {known})")
    return chosen[0]


def compare_runs(before: RunResult, after: RunResult) -> tuple[list[Difference], int]:
    """Every metric's paired difference ``after - before`` over the questions both
    runs answered, and how many those are."""
    later = {row.id: row for row in after.rows}
    first = [row for row in before.rows if row.id in later]
    if not first:
        raise RagError(f"{before.name} and {after.name} share no question: nothing to pair")
    second = [later[row.id] for row in first]
    groups = [row.group or row.id for row in first]
    return paired(ratios(first), ratios(second), groups), len(first)


def verdict(difference: Difference) -> str:
    """``better`` / ``worse`` (for the second run), or ``no significant difference``."""
    if math.isnan(difference.low):
        return "–"
    if not difference.significant:
        return "no significant difference"
    gained = difference.delta > 0
    if difference.metric in LOWER_IS_BETTER:
        gained = not gained
    return "better" if gained else "worse"


def _number(value: float, sign: bool = False) -> str:
    return "–" if math.isnan(value) else f"{value:+.3f}" if sign else f"{value:.3f}"


def p_text(p_value: float, resamples: int) -> str:
    """The p-value, ``< 1/resamples`` when no resample crossed 0."""
    if math.isnan(p_value):
        return "–"
    return f"< {1 / resamples:.4f}" if p_value == 0 else f"{p_value:.4f}"


def compare_table(
    before: RunResult, after: RunResult, differences: list[Difference], paired_count: int
) -> Table:
    """One row per metric: both values, the difference with its 95 % interval, the
    p-value and the verdict for ``after``."""
    from evals.bootstrap import RESAMPLES

    title = (
        f"{after.name} vs {before.name}: paired bootstrap over {paired_count} questions "
        f"({len(before.rows)} in the first run, {len(after.rows)} in the second)"
    )
    table = Table(title=title)
    table.add_column("metric", no_wrap=True)
    for header in ("n", before.name, after.name, "difference [95 %]", "p"):
        table.add_column(header)
    table.add_column("verdict", no_wrap=True)
    for d in differences:
        interval = f"[{_number(d.low, True)}, {_number(d.high, True)}]"
        table.add_row(
            d.metric,
            str(d.questions),
            _number(d.before),
            _number(d.after),
            f"{_number(d.delta, True)} {interval}",
            p_text(d.p_value, RESAMPLES),
            verdict(d),
        )
    return table
