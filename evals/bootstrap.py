"""95 % bootstrap intervals for every metric, and paired comparisons of two runs.

Every quality metric of a run is a ratio of sums over its questions (a mean is
the sum of the values over the number of questions it applies to; citation
precision is relevant citations over citations; abstention F1 is 2TP over
2TP + FP + FN), so one resampling serves them all: each resample draws the
suite's groups with replacement (a SQuAD paragraph's questions share its
context; elsewhere a group is one question) and recomputes every ratio on the
sums of the drawn groups. Latency percentiles resample questions.

Hand-written rather than taken from ranx: ranx's ``compare`` tests per-query
scores of ranking metrics, and most of ours are not per-query means (a micro
average, an F1 over the whole suite) and are not about rankings; ranx would also
bring numba for a few lines of numpy.
"""

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, field_validator

RESAMPLES = 2000
SEED = 0  # fixed: the same rows give the same interval on every run
LEVEL = 0.95
LATENCIES = {"latency_p50_ms": 50.0, "latency_p95_ms": 95.0}


@dataclass(frozen=True)
class Ratio:
    """One metric as per-question numerators and denominators (value = sum / sum);
    with ``needs``, NaN unless some question has it (abstention F1: an unanswerable one);
    ``applies``: the questions it is over, when not those with a denominator."""

    numerator: np.ndarray
    denominator: np.ndarray
    needs: np.ndarray | None = None
    applies: np.ndarray | None = None

    def value(self) -> float:
        """The metric over every question."""
        return _ratio(
            self.numerator.sum(),
            self.denominator.sum(),
            None if self.needs is None else self.needs.sum(),
        )

    def questions(self) -> np.ndarray:
        """Which questions the metric applies to."""
        return self.denominator > 0 if self.applies is None else self.applies


def _ratio(numerator: float, denominator: float, needs: float | None) -> float:
    if denominator <= 0 or (needs is not None and needs <= 0):
        return math.nan
    return float(numerator / denominator)


class Interval(BaseModel):
    """A metric's 95 % interval, the questions it applies to and the groups resampled."""

    low: float
    high: float
    questions: int
    groups: int

    @field_validator("low", "high", mode="before")
    @classmethod
    def _null_is_nan(cls, value: object) -> object:
        return math.nan if value is None else value

    def holds(self, value: float) -> bool:
        """Whether ``value`` lies inside the interval."""
        return self.low <= value <= self.high

    def describe(self) -> str:
        """``[0.812, 0.871] n=600`` (``groups`` too when they are not the questions)."""
        if math.isnan(self.low):
            return f"n={self.questions}"
        groups = f" in {self.groups} groups" if self.groups != self.questions else ""
        return f"[{_short(self.low)}, {_short(self.high)}] n={self.questions}{groups}"


def _short(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.3f}"


def group_index(groups: Sequence[str]) -> np.ndarray:
    """Each question's group as an integer, in order of first appearance."""
    seen: dict[str, int] = {}
    return np.array([seen.setdefault(g, len(seen)) for g in groups], dtype=int)


def draws(group_count: int, resamples: int = RESAMPLES) -> np.ndarray:
    """How often each group is drawn in each resample (``resamples`` x groups)."""
    rng = np.random.default_rng(SEED)
    if group_count == 0:
        return np.zeros((resamples, 0), dtype=int)
    return rng.multinomial(group_count, np.full(group_count, 1 / group_count), size=resamples)


def _resampled(ratio: Ratio, index: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The metric in each resample: the drawn groups' sums, as ratios."""
    count = weights.shape[1]
    numerator = weights @ np.bincount(index, ratio.numerator, count)
    denominator = weights @ np.bincount(index, ratio.denominator, count)
    values = np.full(len(weights), np.nan)
    valid = denominator > 0
    if ratio.needs is not None:
        valid &= weights @ np.bincount(index, ratio.needs, count) > 0
    values[valid] = numerator[valid] / denominator[valid]
    return values


def _bounds(values: np.ndarray) -> tuple[float, float]:
    values = values[~np.isnan(values)]
    if not len(values):
        return math.nan, math.nan
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def intervals(
    ratios: dict[str, Ratio], groups: Sequence[str], latencies: Sequence[float] = ()
) -> dict[str, Interval]:
    """The 95 % percentile-bootstrap interval of every metric.

    Args:
        ratios: each metric's per-question parts (``evals.runner.ratios``).
        groups: each question's group (its id when it has none).
        latencies: each question's total latency in milliseconds (none: no latency figures).
    """
    index = group_index(groups)
    weights = draws(int(index.max()) + 1 if len(index) else 0)
    found = {}
    for name, ratio in ratios.items():
        applies = ratio.questions()
        low, high = _bounds(_resampled(ratio, index, weights))
        found[name] = Interval(
            low=low,
            high=high,
            questions=int(applies.sum()),
            groups=len(set(index[applies].tolist())),
        )
    times = np.asarray(latencies, dtype=float)
    if not len(times):
        return found
    picks = np.random.default_rng(SEED).integers(0, len(times), (RESAMPLES, len(times)))
    for name, q in LATENCIES.items():
        low, high = _bounds(np.percentile(times[picks], q, axis=1))
        found[name] = Interval(low=low, high=high, questions=len(times), groups=len(times))
    return found


@dataclass(frozen=True)
class Difference:
    """``after`` minus ``before`` on one metric over the same questions."""

    metric: str
    before: float
    after: float
    low: float
    high: float
    p_value: float
    questions: int

    @property
    def delta(self) -> float:
        """The observed difference."""
        return self.after - self.before

    @property
    def significant(self) -> bool:
        """Whether the interval of the difference excludes 0."""
        return not (math.isnan(self.low) or self.low <= 0 <= self.high)

    @property
    def better(self) -> bool:
        """Whether ``after`` is significantly above ``before``."""
        return self.significant and self.delta > 0


def paired(
    before: dict[str, Ratio], after: dict[str, Ratio], groups: Sequence[str]
) -> list[Difference]:
    """A paired bootstrap of every metric both runs have, over the same questions
    (row ``i`` of each is the same question).

    Both runs are resampled together, so what differs between questions cancels. The
    p-value is two-sided: twice the share of resampled differences on the far side of
    0 (at most 1); below 1 / RESAMPLES it reads as 0. Both come from the same
    resamples: the 95 % interval excludes 0 when p < 0.05 (up to the interpolation
    of the percentiles), so the verdict and the p-value agree.
    """
    index = group_index(groups)
    weights = draws(int(index.max()) + 1 if len(index) else 0)
    found = []
    for name, old in before.items():
        new = after.get(name)
        if new is None:
            continue
        deltas = _resampled(new, index, weights) - _resampled(old, index, weights)
        applies = int((old.questions() | new.questions()).sum())
        found.append(_difference(name, old.value(), new.value(), deltas, applies))
    return found


def paired_mean(
    before: Sequence[Ratio], after: Sequence[Ratio], groups: Sequence[str], name: str = "mean"
) -> Difference:
    """``paired`` for the mean of several ratios over one question list (one per set of
    questions, each zero outside its own): the statistic ``rag eval tune`` maximises,
    each set counting alike. A ratio that is NaN in a resample (a set with no question
    it applies to) takes no part in that resample's mean."""
    index = group_index(groups)
    weights = draws(int(index.max()) + 1 if len(index) else 0)

    def mean(ratios: Sequence[Ratio]) -> tuple[float, np.ndarray]:
        values = [r.value() for r in ratios]
        resampled = np.array([_resampled(r, index, weights) for r in ratios])
        with warnings.catch_warnings():  # a resample may draw no question of any set
            warnings.simplefilter("ignore", RuntimeWarning)
            return float(np.nanmean(values)), np.nanmean(resampled, axis=0)

    (old, old_draws), (new, new_draws) = mean(before), mean(after)
    applies = int(np.logical_or.reduce([r.questions() for r in [*before, *after]]).sum())
    return _difference(name, old, new, new_draws - old_draws, applies)


def _difference(
    name: str, before: float, after: float, deltas: np.ndarray, questions: int
) -> Difference:
    """The ``Difference`` of resampled ``deltas``: their 95 % interval and the
    two-sided p-value (``paired`` says how)."""
    deltas = deltas[~np.isnan(deltas)]
    low, high = _bounds(deltas)
    p_value = (
        min(1.0, 2 * min(float(np.mean(deltas <= 0)), float(np.mean(deltas >= 0))))
        if len(deltas)
        else math.nan
    )
    return Difference(name, before, after, low, high, p_value, questions)
