"""Retrieval across domains, on the dev splits, with the defaults `rag eval tune` chose.

For the seeds suite, SQuAD 2.0 half-dev and PubMedQA PQA-L (each corpus in its
cached index, as `rag eval` builds it): hit@1, hit@5 and mrr@10 on the test
split of every set for our hybrid with the tuned defaults (rag/tuned.json,
chosen on the tune splits), BM25 alone, dense alone, the LangChain recipe and
txtai's hybrid (both on the recipe's chunks), each through its real retriever
asked for 10 passages, all under one relevance rule (``evals.runner.passage_rank``:
the passage overlaps the gold span).

    python -m bench.retrieval_domains --squad ../shared/data/squad-v2-dev-half.json \\
        --pubmedqa ../shared/data/pubmedqa-pqal.json
"""

import rag  # noqa: F401  (offline environment before any library loads)

# isort: split
import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.squad_corpus import REPO, markdown_table, run_context, warn_if_busy
from evals.corpus import corpus_settings, ingest_corpus
from evals.evaluate import chain_of, load_rows
from evals.relevance import has_gold
from evals.runner import passage_rank
from evals.suite import SuiteRow
from evals.tune_retrieval import RULE, rank_figures
from rag.chain import Chain
from rag.schema import Passage
from rag.settings import Settings
from rag.tuned import TUNED

DEFAULT_OUT = REPO / "bench" / "results" / "retrieval_domains.json"
SEEDS_SUITE, SEEDS_CORPUS = REPO / "evals/suites/seeds.jsonl", REPO / "seeds"
DEPTH = 10
CONFIGURATIONS = ["hybrid", "bm25", "dense", "langchain", "txtai"]

console = Console(stderr=True)


def load_set(suite: str, dataset: Path | None, corpus: Path | None, split: str) -> Any:
    """(rows of ``split``, corpus folder, settings of its cached index), ingested."""
    base = Settings()
    _, rows, folder = load_rows(suite, dataset, corpus, None, 0, base, split)
    assert folder is not None
    settings = corpus_settings(folder, base)
    ingest_corpus(folder, settings)
    return rows, folder, settings


def score(rows: Sequence[SuiteRow], chain: Chain) -> dict[str, float]:
    """hit@1, hit@5, mrr@10 over the rows with gold, and seconds per question."""
    ranks = []
    began = time.perf_counter()
    for row in rows:
        passages: list[Passage] = chain.ranked(row.question, DEPTH)
        ranks.append(passage_rank(row, passages[:DEPTH]))
    seconds = time.perf_counter() - began
    figures: dict[str, float] = {"questions": len(ranks), **rank_figures(ranks)}
    return figures | {"ms_per_question": 1000 * seconds / (len(ranks) or 1)}


def main() -> None:
    """Measure every configuration on the dev splits (evals/splits.py)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad", type=Path, required=True, help="SQuAD 2.0 JSON file")
    parser.add_argument("--pubmedqa", type=Path, required=True, help="PubMedQA JSON file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    parser.add_argument("--configurations", nargs="+", default=CONFIGURATIONS)
    args = parser.parse_args()
    context = run_context()
    warn_if_busy(context["load_average_1min"], console)

    specs = {
        "seeds": (str(SEEDS_SUITE), None, SEEDS_CORPUS),
        "squad": ("squad", args.squad, None),
        "pubmedqa": ("pubmedqa", args.pubmedqa, None),
    }
    test: dict[str, dict[str, Any]] = {}
    for name, (suite, dataset, corpus) in specs.items():
        rows, folder, settings = load_set(suite, dataset, corpus, "dev")
        rows = [r for r in rows if has_gold(r)]
        test[name] = {}
        for configuration in args.configurations:
            with console.status(f"{name}: dev split, {configuration}"):
                chain = chain_of(configuration, settings, folder)
                chain.ranked("warm up", DEPTH)  # index building and model loading not timed
                test[name][configuration] = score(rows, chain)
            console.print(f"{name} {configuration}: {test[name][configuration]}")

    report = {
        **context,
        "command": "python -m bench.retrieval_domains --squad SQUAD --pubmedqa PUBMEDQA",
        "rule": RULE,
        "tuned": TUNED,
        "test": test,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    rows_out = [
        [name, configuration, str(m["questions"])]
        + [f"{m[k]:.3f}" for k in ("hit@1", "hit@5", "mrr@10")]
        for name, by in test.items()
        for configuration, m in by.items()
    ]
    print(markdown_table(["set", "retriever", "questions", "hit@1", "hit@5", "mrr@10"], rows_out))
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
