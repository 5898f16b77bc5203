"""The old metric definitions beside the new ones, on the same answers (issue 11).

Each question of the seeds test split and of the SQuAD test split is answered
once by our default chain and once by the LangChain recipe baseline; every row
is then scored twice: by ``evals.runner.score_row`` (evals/README.md) and by
the legacy definitions kept only here, which a review found lenient:

- a passage or citation was relevant when its chunk's text contained an evidence
  snippet (so the citation's own quote did not matter, and a chunker that cuts
  sentences could never hold the evidence);
- answer recall was a case-insensitive substring test ("2" inside "2020");
- validity compared the quote with the project's own loader's text.

    .venv/bin/python -m bench.metric_changes ../shared/data/squad-v2-dev-half.json --limit 600
"""

import rag  # noqa: F401  (offline environment before any library loads)

# isort: split

import argparse
import math
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from rich.console import Console

from bench.squad_corpus import (
    REPO,
    SEEDS,
    SEEDS_QUESTIONS,
    markdown_table,
    run_context,
)
from cli.console import progress as progress_bar
from evals import metrics
from evals.corpus import corpus_settings, ingest_corpus
from evals.evaluate import load_rows
from evals.recipe import LangChainRecipe
from evals.runner import RETRIEVAL_DEPTH, RowResult, aggregate, row_result, score_row
from evals.suite import SuiteRow
from ingest.loaders import load
from rag.chain import Chain
from rag.schema import Answer, Passage
from rag.settings import Settings

SHOWN = [
    "hit@1",
    "hit@5",
    "mrr@10",
    "answer_recall",
    "answer_recall_first",
    "cites_relevant",
    "citation_precision",
    "citation_validity",
]
_MARKER = re.compile(r"\s*\[\d+\]")
console = Console(stderr=True)


def _legacy_loose(text: str) -> str:
    return " ".join(text.translate(metrics.QUOTES).lower().split())


def legacy_contains(text: str, snippets: Sequence[str]) -> bool:
    """The old "contains": a case-, space- and quote-insensitive substring test."""
    haystack = _legacy_loose(text)
    return any(_legacy_loose(s) in haystack for s in snippets if s.strip())


@lru_cache(maxsize=256)
def _legacy_loaded(path: str) -> str:
    return load(Path(path), path).text


def legacy_score(row: SuiteRow, answer: Answer, ranked: Sequence[Passage]) -> RowResult:
    """The old per-row definitions (those ``aggregate`` reads)."""
    prediction = "" if answer.abstained else _MARKER.sub("", answer.answer)
    rank = next(
        (n for n, p in enumerate(ranked, 1) if legacy_contains(p.chunk.text, row.evidence)), None
    )
    chunks = [c.passage_in(answer.passages) for c in answer.citations]
    valid = sum(
        _legacy_loaded(p.chunk.path)[c.start : c.end] == c.quote
        for c, p in zip(answer.citations, chunks, strict=True)
        if p is not None
    )
    relevant = sum(p is not None and legacy_contains(p.chunk.text, row.evidence) for p in chunks)
    values = {"citations": float(len(answer.citations)), "valid_citations": float(valid)}
    if row.answerable:
        values["answer_recall"] = float(legacy_contains(prediction, row.answers))
        values["relevant_citations"] = float(relevant)
        values["cites_relevant"] = float(relevant > 0)
    if row.answerable and row.evidence:
        values |= {f"hit@{k}": metrics.hit_at(rank, k) for k in (1, 3, 5, 10)}
        values["mrr@10"] = metrics.reciprocal_rank(rank, RETRIEVAL_DEPTH)
    return row_result(row, answer, rank, values)


def both_scores(
    name: str, rows: Sequence[SuiteRow], chain: Chain
) -> tuple[dict[str, float], dict[str, float]]:
    """(old, new) suite metrics of one run, every question answered once."""
    old, new = [], []
    with progress_bar(console) as progress:
        task = progress.add_task(name, total=len(rows))
        for row in rows:
            answer = chain.answer(row.question)
            ranked = chain.ranked(row.question, RETRIEVAL_DEPTH)
            old.append(legacy_score(row, answer, ranked))
            new.append(score_row(row, answer, ranked))
            progress.advance(task)
    return aggregate(old), aggregate(new)


def _cell(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.3f}"


def suite_table(suite: str, rows: list[SuiteRow], corpus: Path, settings: Settings) -> str:
    """The Markdown table of one suite: old and new per metric, ours and the recipe."""
    settings = corpus_settings(corpus, settings)
    ingest_corpus(corpus, settings)
    chains = {
        "ours": Chain(settings),
        "langchain": Chain(settings, retriever=LangChainRecipe(corpus, settings)),
    }
    scores = {name: both_scores(f"{suite}: {name}", rows, c) for name, c in chains.items()}
    answerable = sum(row.answerable for row in rows)
    headers = ["metric", *(f"{name} {era}" for name in scores for era in ("old", "new"))]
    table = [
        [metric, *(_cell(s.get(metric)) for old, new in scores.values() for s in (old, new))]
        for metric in SHOWN
    ]
    title = f"**{suite}** ({len(rows)} questions, {answerable} answerable)"
    return f"{title}\n\n{markdown_table(headers, table)}"


def main() -> None:
    """Answer both test splits with both chains and print old vs new per metric."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("squad", type=Path, help="SQuAD 2.0 JSON (its test split is used)")
    parser.add_argument("--limit", type=int, help="sample this many SQuAD test questions")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=REPO / "data")
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)
    console.print(run_context())
    tables = []
    for suite, squad_file, corpus, limit in (
        (str(SEEDS_QUESTIONS), None, SEEDS, None),
        ("squad", args.squad, None, args.limit),
    ):
        name, rows, folder = load_rows(suite, squad_file, corpus, limit, args.seed, settings, "dev")
        assert folder is not None
        tables.append(suite_table(name, rows, folder, settings))
    print("\n\n".join(tables))


if __name__ == "__main__":
    main()
