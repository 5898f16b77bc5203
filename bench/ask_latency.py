"""Ask latency: warm ``Chain.answer`` in-process, and cold ``rag ask`` in a new process.

Warm: the corpus is ingested into a temporary index, one untimed question
loads the model and builds BM25, then ``--questions`` questions are timed one
by one (the seeds eval suite's questions, cycled; SQuAD's first questions in
file order when ``--squad`` is given). Cold: ``rag ask ... --json`` against the
seeds index, timed from process start to exit, beside ``python -c "import rag"``
(interpreter start) and ``python -c "import cli.main"`` (plus the library imports).

    python -m bench.ask_latency --squad ../shared/data/squad-v2-dev-half.json
"""

import rag  # noqa: F401  (offline environment before any library loads)

# isort: split
import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from bench.squad_corpus import (
    REPO,
    copy_seeds,
    load_squad,
    markdown_table,
    run_context,
    seeds_questions,
    squad_questions,
    warn_if_busy,
    write_squad_corpus,
)
from cli.console import progress as progress_bar
from ingest.pipeline import ingest
from rag.chain import Chain
from rag.models.embeddings import load_embeddings
from rag.settings import Settings

COLD_QUESTION = "Which film used AI tools to de-age characters?"
DEFAULT_OUT = REPO / "bench" / "results" / "latency.json"
# The settings that shape latency; others (API tokens, keys) stay out of the results.
REPORTED_SETTINGS = {"embedding_model", "embedding_batch_size", "chunk_size", "chunk_overlap",
                     "retriever", "k", "fusion", "candidates", "dense_weight", "bm25_weight",
                     "rrf_k", "max_sentences", "abstain_below", "llm",
                     "strict_citations"}  # fmt: skip

console = Console(stderr=True)


def build_chain(corpus: Path, data_dir: Path) -> Chain:
    """A chain over a fresh index of ``corpus`` stored in ``data_dir``."""
    settings = Settings(data_dir=data_dir)
    chain = Chain(settings)
    with console.status(f"ingesting {corpus.name}"):
        report = ingest([corpus], settings, chain.index, load_embeddings(settings))
    console.print(report.summary())
    return chain


def warm_latency(name: str, chain: Chain, questions: list[str], n: int) -> dict[str, Any]:
    """Time ``n`` answers (``questions`` cycled) after one untimed warm-up answer."""
    asked = list(itertools.islice(itertools.cycle(questions), n))
    chain.answer(asked[0])
    totals, retrieve, answer, abstained = [], [], [], 0
    with progress_bar(console) as progress:
        for question in progress.track(asked, description=f"{name}: asking"):
            began = time.perf_counter()
            result = chain.answer(question)
            totals.append((time.perf_counter() - began) * 1000)
            retrieve.append(result.timings_ms.retrieve)
            answer.append(result.timings_ms.answer)
            abstained += result.abstained
    return {
        "corpus": name,
        "chunks": chain.index.count(),
        "questions": n,
        "distinct_questions": len(set(asked)),
        "p50_ms": round(float(np.percentile(totals, 50)), 1),
        "p95_ms": round(float(np.percentile(totals, 95)), 1),
        "mean_ms": round(statistics.fmean(totals), 1),
        "retrieve_p50_ms": round(float(np.percentile(retrieve, 50)), 1),
        "answer_p50_ms": round(float(np.percentile(answer, 50)), 1),
        "abstained": round(abstained / n, 3),
    }


def cold_start(
    label: str, command: list[str], env: dict[str, str], cwd: Path, runs: int
) -> dict[str, Any]:
    """Median wall-clock seconds of ``command`` from process start to exit."""
    seconds = []
    for _ in range(runs):
        began = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
        seconds.append(time.perf_counter() - began)
        if done.returncode != 0:
            raise SystemExit(f"{label} failed ({done.returncode}):\n{done.stderr}")
    return {
        "command": label,
        "runs": runs,
        "median_s": round(statistics.median(seconds), 2),
        "runs_s": [round(s, 2) for s in seconds],
        "output": json.loads(done.stdout) if done.stdout.strip() else None,
    }


def cold_starts(data_dir: Path, cwd: Path, runs: int) -> list[dict[str, Any]]:
    """``rag ask`` over the seeds index, then two baselines without the model.

    ``import rag`` is the interpreter alone (the package imports lazily);
    ``import cli.main`` adds every library ``rag ask`` imports before it loads the model.
    """
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir)}
    rag_bin = str(Path(sys.executable).parent / "rag")
    commands = {
        f'rag ask "{COLD_QUESTION}" --json': [rag_bin, "ask", COLD_QUESTION, "--json"],
        'python -c "import rag"': [sys.executable, "-c", "import rag"],
        'python -c "import cli.main"': [sys.executable, "-c", "import cli.main"],
    }
    with console.status("timing cold starts"):
        return [cold_start(label, cmd, env, cwd, runs) for label, cmd in commands.items()]


def tables(warm: list[dict[str, Any]], cold: list[dict[str, Any]]) -> str:
    """The warm and cold results as two Markdown tables."""
    warm_rows = [
        [
            w["corpus"],
            f"{w['chunks']:,}",
            f"{w['questions']} ({w['distinct_questions']} distinct)",
            f"{w['p50_ms']:.1f}",
            f"{w['p95_ms']:.1f}",
            f"{w['mean_ms']:.1f}",
            f"{w['retrieve_p50_ms']:.1f}",
            f"{w['answer_p50_ms']:.1f}",
            f"{w['abstained']:.0%}",
        ]
        for w in warm
    ]
    cold_rows = [
        [
            f"`{c['command']}`",
            str(c["runs"]),
            f"{c['median_s']:.2f}",
            ", ".join(f"{s:.2f}" for s in c["runs_s"]),
        ]
        for c in cold
    ]
    return "\n\n".join(
        [
            markdown_table(
                [
                    "corpus",
                    "chunks",
                    "questions",
                    "p50 ms",
                    "p95 ms",
                    "mean ms",
                    "retrieve p50 ms",
                    "answer p50 ms",
                    "abstained",
                ],
                warm_rows,
            ),
            markdown_table(["cold start", "runs", "median s", "each run s"], cold_rows),
        ]
    )


def main() -> None:
    """Measure warm and cold latency, print the tables and save the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad", type=Path, help="SQuAD 2.0 JSON file (adds the SQuAD corpus)")
    parser.add_argument("--questions", type=int, default=120, help="timed questions per corpus")
    parser.add_argument("--runs", type=int, default=3, help="cold-start runs per command")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    args = parser.parse_args()
    if args.squad and not args.squad.is_file():
        console.print(f"[yellow]no SQuAD file at {args.squad}: SQuAD skipped[/]")
        args.squad = None

    context = run_context()
    warn_if_busy(context["load_average_1min"], console)
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        work = Path(tmp)
        copy_seeds(work / "corpus-seeds")
        seeds = build_chain(work / "corpus-seeds", work / "data-seeds")
        warm = [warm_latency("seeds", seeds, seeds_questions(), args.questions)]
        if args.squad:
            squad = load_squad(args.squad)
            write_squad_corpus(squad, work / "corpus-squad")
            chain = build_chain(work / "corpus-squad", work / "data-squad")
            warm.append(
                warm_latency("squad", chain, squad_questions(squad, args.questions), args.questions)
            )
        (work / "cwd").mkdir()
        cold = cold_starts(work / "data-seeds", work / "cwd", args.runs)

    report = {
        **context,
        "squad": str(args.squad.resolve()) if args.squad else None,
        "settings": seeds.settings.model_dump(mode="json", include=REPORTED_SETTINGS),
        "warm": warm,
        "cold": cold,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(tables(warm, cold))
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
