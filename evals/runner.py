"""Run a suite through the one entry point and score every row."""

import json
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, field_validator

from evals import metrics
from evals.suite import SuiteRow
from ingest.loaders import load
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


@lru_cache(maxsize=256)
def _source_text(path: str) -> str:
    return load(Path(path), path).text


def _citation_checks(
    citations: Sequence[Citation], passages: Sequence[Passage], evidence: Sequence[str]
) -> tuple[int, int]:
    """(valid quotes, quotes whose passage holds evidence) among ``citations``."""
    valid = relevant = 0
    for citation in citations:
        passage = citation.passage_in(passages)
        assert passage is not None, "a citation always quotes a retrieved passage"
        chunk = passage.chunk
        valid += _source_text(chunk.path)[citation.start : citation.end] == citation.quote
        relevant += metrics.contains_any(chunk.text, evidence)
    return valid, relevant


def score_row(row: SuiteRow, answer: Answer, ranked: Sequence[Passage]) -> RowResult:
    """Every per-question metric of one answered row."""
    prediction = "" if answer.abstained else _MARKER.sub("", answer.answer)
    rank = metrics.first_relevant_rank([p.chunk.text for p in ranked], row.evidence)
    valid, relevant = _citation_checks(answer.citations, answer.passages, row.evidence)
    values = {
        "exact_match": metrics.exact_match(prediction, row.answers),
        "f1": metrics.token_f1(prediction, row.answers),
        "citations": float(len(answer.citations)),
        "valid_citations": float(valid),
        "relevant_citations": float(relevant),
    }
    if answer.verified is not None:
        values["verified"] = answer.verified
    if row.answerable:
        values["answer_recall"] = float(metrics.contains_any(prediction, row.answers))
        values["cites_relevant"] = float(relevant > 0)
    if row.answerable and row.evidence:
        values |= {f"hit@{k}": metrics.hit_at(rank, k) for k in (1, 3, 5, 10)}
        values["mrr@10"] = metrics.reciprocal_rank(rank, RETRIEVAL_DEPTH)
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


def _mean(rows: Sequence[RowResult], name: str) -> float:
    values = [r.metrics[name] for r in rows if name in r.metrics]
    return sum(values) / len(values) if values else float("nan")


def aggregate(rows: Sequence[RowResult]) -> dict[str, float]:
    """Suite-level metrics (means over the rows each applies to; see evals/README.md)."""
    answerable = [r for r in rows if r.answerable]
    total = sum(r.metrics["citations"] for r in rows)
    cited_answerable = sum(r.metrics["citations"] for r in answerable)
    result = {name: _mean(rows, name) for name in ("hit@1", "hit@3", "hit@5", "hit@10", "mrr@10")}
    result |= {
        "answer_recall": _mean(rows, "answer_recall"),
        "exact_match": _mean(rows, "exact_match"),
        "f1": _mean(rows, "f1"),
        "exact_match_answerable": _mean(answerable, "exact_match"),
        "f1_answerable": _mean(answerable, "f1"),
        "citation_precision": (
            sum(r.metrics["relevant_citations"] for r in answerable) / cited_answerable
            if cited_answerable
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
