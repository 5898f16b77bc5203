"""Run a suite through the one entry point and score every row."""

import json
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, field_validator

from evals import metrics
from evals.relevance import citation_relevant, has_gold, passage_relevant
from evals.suite import SuiteRow
from evals.validity import citation_valid
from rag.chain import Chain
from rag.errors import RagError
from rag.models import Answer, Citation, Passage

RETRIEVAL_DEPTH = 10
_MARKER = re.compile(r"\s*\[\d+\]")


class RowResult(BaseModel):
    """One question's answer and metrics."""

    id: str
    question: str
    answerable: bool
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
    """A whole run: its configuration, aggregate metrics and rows."""

    name: str
    suite: str
    settings: dict[str, Any]
    metrics: dict[str, float]
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
    """Results as strict JSON (what ``rag eval --json`` writes): NaN becomes null."""
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
        answer=answer.answer,
        abstained=answer.abstained,
        citations=answer.citations,
        first_relevant_rank=rank,
        latency_ms=answer.timings_ms.total,
        metrics=values,
    )


def score_row(row: SuiteRow, answer: Answer, ranked: Sequence[Passage]) -> RowResult:
    """Every per-question metric of one answered row."""
    prediction = "" if answer.abstained else _MARKER.sub("", answer.answer)
    first = "" if answer.abstained else _MARKER.split(answer.answer, maxsplit=1)[0]
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


def _mean(rows: Sequence[RowResult], name: str) -> float:
    """Mean over the rows ``name`` applies to (missing or NaN: does not apply)."""
    values = [r.metrics[name] for r in rows if not math.isnan(r.metrics.get(name, math.nan))]
    return sum(values) / len(values) if values else float("nan")


def aggregate(rows: Sequence[RowResult]) -> dict[str, float]:
    """Suite-level metrics (means over the rows each applies to; see evals/README.md)."""
    judged = [r for r in rows if "relevant_citations" in r.metrics]
    answerable = [r for r in rows if r.answerable]
    total = sum(r.metrics["citations"] for r in rows)
    cited_judged = sum(r.metrics["citations"] for r in judged)
    result = {name: _mean(rows, name) for name in ("hit@1", "hit@3", "hit@5", "hit@10", "mrr@10")}
    result |= {
        "answer_recall": _mean(rows, "answer_recall"),
        "answer_recall_first": _mean(rows, "answer_recall_first"),
        "exact_match": _mean(rows, "exact_match"),
        "f1": _mean(rows, "f1"),
        "exact_match_answerable": _mean(answerable, "exact_match"),
        "f1_answerable": _mean(answerable, "f1"),
        "citation_precision": (
            sum(r.metrics["relevant_citations"] for r in judged) / cited_judged
            if cited_judged
            else float("nan")
        ),
        "citation_validity": (
            sum(r.metrics["valid_citations"] for r in rows) / total if total else float("nan")
        ),
        "cites_relevant": _mean(rows, "cites_relevant"),
        "verified": _mean(rows, "verified"),
    }
    result |= metrics.abstention([r.answerable for r in rows], [r.abstained for r in rows])
    latencies = [r.latency_ms for r in rows]
    result["latency_p50_ms"] = metrics.percentile(latencies, 50)
    result["latency_p95_ms"] = metrics.percentile(latencies, 95)
    return result


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
    return RunResult(
        name=name, suite=suite, settings=settings, metrics=aggregate(results), rows=results
    )


def load_runs(paths: Sequence[Path]) -> list[RunResult]:
    """The first run of each results file written by ``rag eval --json``."""
    runs = []
    for path in paths:
        try:
            runs.append(RunResult.model_validate(json.loads(path.read_text())[0]))
        except (OSError, ValueError, IndexError, KeyError) as error:
            raise RagError(f"{path} is not a results file of `rag eval --json`: {error}") from None
    return runs
