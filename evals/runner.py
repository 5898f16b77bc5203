"""Run a suite through the one entry point and score every row."""

import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, field_validator

from evals import metrics
from evals.bootstrap import Interval, Ratio, intervals
from evals.relevance import citation_relevant, has_gold, passage_relevant
from evals.suite import SuiteRow
from evals.validity import citation_valid
from rag.chain import Chain
from rag.schema import Answer, Citation, Passage

RETRIEVAL_DEPTH = 10
_MARKER = re.compile(r"\s*\[\d+\]")


class RowResult(BaseModel):
    """One question's answer and metrics."""

    id: str
    question: str
    answerable: bool
    group: str | None = None
    """The unit the intervals resample (evals/bootstrap.py); None: the question alone."""
    answer: str
    abstained: bool
    citations: list[Citation]
    first_relevant_rank: int | None
    latency_ms: float
    metrics: dict[str, float]

    @field_validator("metrics", mode="before")
    @classmethod
    def _null_is_nan(cls, value: Any) -> Any:
        return _nan_for_null(value)


class RunResult(BaseModel):
    """A whole run: its configuration, aggregate metrics with their 95 % intervals
    (evals/bootstrap.py), and every row (what a paired comparison reads)."""

    name: str
    suite: str
    settings: dict[str, Any]
    metrics: dict[str, float]
    intervals: dict[str, Interval] = {}
    rows: list[RowResult]

    @field_validator("metrics", mode="before")
    @classmethod
    def _null_is_nan(cls, value: Any) -> Any:
        return _nan_for_null(value)


def _nan_for_null(metrics: Any) -> Any:
    """A metric that does not apply is NaN in memory and null in JSON files."""
    if isinstance(metrics, dict):
        return {name: float("nan") if v is None else v for name, v in metrics.items()}
    return metrics


def dump_runs(runs: Sequence[RunResult]) -> str:
    """Results as strict JSON (what ``rag eval run --json`` prints, ``--json-out``
    writes): NaN becomes null."""
    return json.dumps([json.loads(run.model_dump_json()) for run in runs], indent=1)


def passage_rank(row: SuiteRow, passages: Sequence[Passage]) -> int | None:
    """1-based rank of the first relevant passage (evals/relevance.py), or None."""
    for rank, passage in enumerate(passages, start=1):
        if passage_relevant(row, passage.chunk):
            return rank
    return None


def _valid(citation: Citation, passages: Sequence[Passage]) -> bool:
    passage = citation.passage_in(passages)
    assert passage is not None, "a citation always quotes a retrieved passage"
    return citation_valid(citation, passage.chunk.path)


def row_result(
    row: SuiteRow, answer: Answer, rank: int | None, values: dict[str, float]
) -> RowResult:
    """One row's result: the answer as given and the metrics scored for it."""
    return RowResult(
        id=row.id,
        question=row.question,
        answerable=row.answerable,
        group=row.group,
        answer=answer.answer,
        abstained=answer.abstained,
        citations=answer.citations,
        first_relevant_rank=rank,
        latency_ms=answer.timings_ms.total,
        metrics=values,
    )


def first_sentence(answer: Answer) -> str:
    """The answer's first sentence: an extractive answer's first quote (which may hold
    "heap[0]" itself), or a generated answer's text before its first marker."""
    if answer.sentences is None and answer.citations:
        return answer.citations[0].quote
    return _MARKER.split(answer.answer, maxsplit=1)[0]


def _spoken(answer: Answer) -> str:
    """The answer's text without its markers (an extractive answer: its quotes)."""
    if answer.sentences is None and answer.citations:
        return " ".join(c.quote for c in answer.citations)
    return _MARKER.sub("", answer.answer)


def score_row(row: SuiteRow, answer: Answer, ranked: Sequence[Passage]) -> RowResult:
    """Every per-question metric of one answered row."""
    prediction = "" if answer.abstained else _spoken(answer)
    first = "" if answer.abstained else first_sentence(answer)
    rank = passage_rank(row, ranked)
    values = {
        "citations": float(len(answer.citations)),
        "valid_citations": float(sum(_valid(c, answer.passages) for c in answer.citations)),
    }
    if not row.answerable or row.answers:  # PubMedQA rows have no short answer to match
        values["exact_match"] = metrics.exact_match(prediction, row.answers)
        values["f1"] = metrics.token_f1(prediction, row.answers)
    if answer.verified is not None:
        values["verified"] = answer.verified
    if row.answerable and row.answers:
        values["answer_recall"] = metrics.answer_recall(prediction, row.answers)
        values["answer_recall_first"] = metrics.answer_recall(first, row.answers)
    if has_gold(row):
        relevant = sum(citation_relevant(row, c, answer.passages) for c in answer.citations)
        values["relevant_citations"] = float(relevant)
        values["cites_relevant"] = float(relevant > 0)
        values |= {f"hit@{k}": metrics.hit_at(rank, k) for k in (1, 3, 5, 10)}
        values["mrr@10"] = metrics.reciprocal_rank(rank, RETRIEVAL_DEPTH)
    return row_result(row, answer, rank, values)


def _per_row(rows: Sequence[RowResult], name: str, only: np.ndarray | None = None) -> Ratio:
    """The mean of per-row metric ``name`` over the rows it applies to (present, not
    NaN, and in ``only``) as a ratio of sums."""
    values = np.array([r.metrics.get(name, math.nan) for r in rows], dtype=float)
    applies = ~np.isnan(values)
    if only is not None:
        applies &= only
    return Ratio(np.where(applies, values, 0.0), applies.astype(float))


def _counts(rows: Sequence[RowResult], name: str, where: np.ndarray) -> np.ndarray:
    return np.array([r.metrics[name] if w else 0.0 for r, w in zip(rows, where, strict=True)])


def ratios(rows: Sequence[RowResult]) -> dict[str, Ratio]:
    """Every quality metric of the suite as per-row parts whose sums' ratio is its value
    (evals/README.md defines each): the one definition ``aggregate`` and the intervals
    and paired comparisons of evals/bootstrap.py share."""
    answerable = np.array([r.answerable for r in rows], dtype=bool)
    abstained = np.array([r.abstained for r in rows], dtype=bool)
    judged = np.array(["relevant_citations" in r.metrics for r in rows], dtype=bool)
    everyone = np.ones(len(rows), dtype=bool)
    found = {name: _per_row(rows, name) for name in ("hit@1", "hit@3", "hit@5", "hit@10")}
    found["mrr@10"] = _per_row(rows, "mrr@10")
    for name in ("answer_recall", "answer_recall_first", "exact_match", "f1"):
        found[name] = _per_row(rows, name)
    found["exact_match_answerable"] = _per_row(rows, "exact_match", answerable)
    found["f1_answerable"] = _per_row(rows, "f1", answerable)
    found["citation_precision"] = Ratio(
        _counts(rows, "relevant_citations", judged), _counts(rows, "citations", judged)
    )
    found["citation_validity"] = Ratio(
        _counts(rows, "valid_citations", everyone), _counts(rows, "citations", everyone)
    )
    found["cites_relevant"] = _per_row(rows, "cites_relevant")
    found["verified"] = _per_row(rows, "verified")
    # Abstention is the positive class: TP declined unanswerable, FP declined answerable,
    # FN answered unanswerable (evals.metrics.abstention).
    true_pos, false_pos = ~answerable & abstained, answerable & abstained
    false_neg = ~answerable & ~abstained
    found["abstain_rate"] = Ratio(true_pos.astype(float), (~answerable).astype(float))
    found["false_abstention_rate"] = Ratio(false_pos.astype(float), answerable.astype(float))
    found["abstention_f1"] = Ratio(
        2.0 * true_pos,
        2.0 * true_pos + false_pos + false_neg,
        needs=(~answerable).astype(float),
        applies=np.ones(len(rows), dtype=bool),
    )
    return found


def aggregate(rows: Sequence[RowResult]) -> dict[str, float]:
    """Suite-level metrics (see evals/README.md): ``ratios``' values and the latency
    percentiles."""
    result = {name: ratio.value() for name, ratio in ratios(rows).items()}
    latencies = [r.latency_ms for r in rows]
    result["latency_p50_ms"] = metrics.percentile(latencies, 50)
    result["latency_p95_ms"] = metrics.percentile(latencies, 95)
    return result


def result_of(
    name: str, suite: str, settings: dict[str, Any], rows: Sequence[RowResult]
) -> RunResult:
    """A run of ``rows``: their metrics and the 95 % interval of each."""
    return RunResult(
        name=name,
        suite=suite,
        settings=settings,
        metrics=aggregate(rows),
        intervals=intervals(
            ratios(rows), [r.group or r.id for r in rows], [r.latency_ms for r in rows]
        ),
        rows=list(rows),
    )


def run_suite(
    name: str,
    suite: str,
    rows: Sequence[SuiteRow],
    chain: Chain,
    settings: dict[str, Any],
    on_row: Callable[[], None] | None = None,
) -> RunResult:
    """Answer and score every row with one configuration."""
    results = []
    for row in rows:
        answer = chain.answer(row.question)
        results.append(score_row(row, answer, chain.ranked(row.question, RETRIEVAL_DEPTH)))
        if on_row:
            on_row()
    return result_of(name, suite, settings, results)
