"""The CI gate: a fixed sample of the dev splits of SQuAD and PubMedQA held to limits
derived from the intervals of a reference run (evals/ci-baseline.json).

``make ci-baseline`` (``rag eval ci ... --write-baseline``) runs the sample with the
code of the day and writes, for each gated metric, a floor at the lower end of its
95 % bootstrap interval (a ceiling at the upper end for false abstention): a later
run fails only when it falls outside what the reference could have measured on
another sample of the same size. ``make ci`` (``rag eval ci ... --baseline``) checks a
run against them. The baseline changes only with a sentence in the commit message
saying why; it is written by the command, never by hand.

The sample is the dev split (never final), drawn with a fixed seed, as large as runs
in about two minutes on two cores with the index and the sentence store cached; its
size was chosen so that turning the re-ranking off, replacing the fusion by BM25
alone, or turning the answerability gate off each fails it (tests/evals/test_ci_gate.py).
"""

import json
import math
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError
from rich.table import Table

from evals.evaluate import RowCallback, evaluate, load_rows
from evals.final import commit, sha256_of
from evals.gates import failed_limits
from evals.report import cell
from evals.runner import RunResult
from evals.splits import membership
from evals.suite import SuiteRow
from rag.errors import RagError
from rag.settings import Settings

SPLIT = "dev"
SEED = 0
# SQuAD: 800 of the 1,664 dev questions. Measured on 8 subsamples of a 1,000-question
# dev sample: at 800 every one caught the re-ranking turned off (hit@1 -0.065 paired),
# at 600 seven of 8, at 400 four of 8. PubMedQA: the whole dev split (244).
SAMPLES: dict[str, int | None] = {"squad": 800, "pubmedqa": None}
FLOORED = {
    "squad": (
        "hit@1",
        "hit@5",
        "mrr@10",
        "answer_recall",
        "answer_recall_first",
        "cites_relevant",
        "citation_precision",
        "citation_validity",
        "abstain_rate",
        "abstention_f1",
    ),
    "pubmedqa": (
        "hit@1",
        "hit@5",
        "mrr@10",
        "cites_relevant",
        "citation_precision",
        "citation_validity",
    ),
}
CEILED = ("false_abstention_rate",)
# A citation is what the file holds or a defect: its floor is the reference itself.
EXACT = ("citation_validity",)
RULE = (
    "floor: the lower end of the reference run's 95 % bootstrap interval, rounded down "
    "to 0.001; ceiling (false abstention): the upper end, rounded up; where every question "
    "scored alike (an interval of width 0, e.g. hit@5 1.000) the rule of three instead "
    "(value -/+ 3/n); citation validity: the reference value"
)


class SetLimits(BaseModel):
    """One set's sample, its limits and the reference figures they came from."""

    data: str
    sha256: str
    split: str
    seed: int
    questions: int
    membership: str
    floors: dict[str, float]
    ceilings: dict[str, float]
    reference: dict[str, tuple[float, float, float]]


class CiBaseline(BaseModel):
    """evals/ci-baseline.json."""

    command: str
    commit: str
    date: str
    rule: str
    sets: dict[str, SetLimits]


def sample_of(name: str, data: Path, settings: Settings) -> tuple[str, list[SuiteRow], Path | None]:
    """The CI sample of set ``name`` (``squad`` or ``pubmedqa``) from ``data``."""
    return load_rows(name, data, None, SAMPLES[name], SEED, settings, SPLIT)


def run_ci(
    settings: Settings,
    data: dict[str, Path],
    configuration: str = "hybrid",
    on_row: RowCallback | None = None,
) -> dict[str, RunResult]:
    """Each set's sample answered by ``configuration`` (evals.evaluate.CONFIGURATIONS)."""
    runs = {}
    for name, path in data.items():
        suite, rows, corpus = sample_of(name, path, settings)
        [runs[name]] = evaluate(rows, suite, settings, corpus, [configuration], on_row)
    return runs


def _down(value: float) -> float:
    return math.floor(value * 1000 + 1e-9) / 1000


def _up(value: float) -> float:
    return math.ceil(value * 1000 - 1e-9) / 1000


def _bounds(run: RunResult, metric: str) -> tuple[float, float]:
    """The interval a limit is derived from (``RULE``). A bootstrap of questions that all
    scored alike has width 0 and would fail a run for one question; the rule of three
    (the 95 % bound on a rate never observed in n trials is 3/n) widens it."""
    value, interval = run.metrics[metric], run.intervals[metric]
    if metric in EXACT or interval.high > interval.low:
        return interval.low, interval.high
    slack = 3 / max(interval.questions, 1)
    return max(0.0, value - slack), min(1.0, value + slack)


def limits_of(name: str, path: Path, run: RunResult) -> SetLimits:
    """The limits of one set from its reference run (``RULE``)."""
    intervals = run.intervals
    return SetLimits(
        data=path.name,
        sha256=sha256_of(path),
        split=SPLIT,
        seed=SEED,
        questions=len(run.rows),
        membership=membership([(row.id, SPLIT) for row in run.rows]),
        floors={m: _down(_bounds(run, m)[0]) for m in FLOORED[name]},
        ceilings={m: _up(_bounds(run, m)[1]) for m in CEILED},
        reference={
            m: (round(run.metrics[m], 4), round(intervals[m].low, 4), round(intervals[m].high, 4))
            for m in (*FLOORED[name], *CEILED)
        },
    )


def write_baseline(
    runs: dict[str, RunResult], data: dict[str, Path], command: str, out: Path
) -> CiBaseline:
    """evals/ci-baseline.json from reference runs of every set."""
    for name, run in runs.items():
        missing = [m for m in (*FLOORED[name], *CEILED) if math.isnan(run.intervals[m].low)]
        if missing:
            raise RagError(f"{name}: no interval for {', '.join(missing)}: sample too small")
    baseline = CiBaseline(
        command=command,
        commit=commit(),
        date=f"{datetime.now(UTC):%Y-%m-%d}",
        rule=RULE,
        sets={name: limits_of(name, data[name], run) for name, run in runs.items()},
    )
    out.write_text(baseline.model_dump_json(indent=1) + "\n", encoding="utf-8")
    return baseline


def load_baseline(path: Path) -> CiBaseline:
    """A CI baseline file, with one clear error when it is not one."""
    try:
        return CiBaseline.model_validate(json.loads(path.read_text()))
    except (OSError, ValueError, ValidationError) as error:
        first = str(error).splitlines()[0]
        raise RagError(f"{path} is not a CI baseline (make ci-baseline): {first}") from None


def check_sample(baseline: CiBaseline, data: dict[str, Path], settings: Settings) -> None:
    """Refuse to gate a sample other than the one the limits were derived on."""
    for name, path in data.items():
        limits = baseline.sets.get(name)
        if limits is None:
            raise RagError(f"the CI baseline has no limits for {name}: run make ci-baseline")
        _, rows, _ = sample_of(name, path, settings)
        asked = membership([(row.id, SPLIT) for row in rows])
        if sha256_of(path) != limits.sha256 or asked != limits.membership:
            raise RagError(
                f"{path.name} or its CI sample changed since the baseline was written: "
                "run make ci-baseline (and say why in the commit message)"
            )


def failures(runs: dict[str, RunResult], baseline: CiBaseline) -> list[str]:
    """One message per limit a run is outside, named by set."""
    found = []
    for name, run in runs.items():
        limits = baseline.sets[name]
        found += [f"{name}: {f}" for f in failed_limits(run, limits.floors, limits.ceilings)]
    return found


def ci_table(runs: dict[str, RunResult], baseline: CiBaseline | None) -> Table:
    """Every gated metric with its value, interval, limit and PASS / FAIL."""
    table = Table("set", "metric", "value [95 %]", "limit", "", title="CI gate (dev samples)")
    for name, run in runs.items():
        limits = baseline.sets.get(name) if baseline else None
        for metric in (*FLOORED[name], *CEILED):
            value, limit, status = run.metrics[metric], "", ""
            if limits is not None and metric in limits.floors:
                limit, passed = f">= {limits.floors[metric]}", value >= limits.floors[metric]
                status = "[green]PASS[/]" if passed else "[red]FAIL[/]"
            elif limits is not None:
                limit, passed = f"<= {limits.ceilings[metric]}", value <= limits.ceilings[metric]
                status = "[green]PASS[/]" if passed else "[red]FAIL[/]"
            table.add_row(name, metric, cell(run, metric), limit, status)
    return table
