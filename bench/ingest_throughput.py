"""Ingest throughput: our pipeline against the plain LangChain recipe, same embedder.

For each corpus (the seeds folder, and SQuAD 2.0 articles as text files) both
methods index into fresh Chroma stores in one process, with the embedding model
loaded and warmed beforehand:

- ours: ``ingest.pipeline.ingest`` (structure-aware chunks of ``chunk_size``
  characters, stable ids), then a second, incremental run that should embed nothing;
- LangChain: the recipe of evals/recipe.py (files read by ``ingest.loaders.load``,
  ``RecursiveCharacterTextSplitter(1000, 200)``), then ``Chroma.from_documents``.

Tokens are counted with the embedder's tokenizer (special tokens included),
each chunk capped at the model's ``max_seq_length`` because the model truncates
there. Seconds are the median of ``--repeats`` runs, each into a fresh store.

    python -m bench.ingest_throughput --squad ../shared/data/squad-v2-dev-half.json
"""

import rag  # noqa: F401  (offline environment before any library loads)

# isort: split
import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from rich.console import Console
from rich.progress import (
    Progress,
    TaskID,
)

from bench.squad_corpus import (
    DEFAULT_SQUAD,
    REPO,
    copy_seeds,
    load_squad,
    markdown_table,
    run_context,
    warn_if_busy,
    write_squad_corpus,
)
from cli.console import progress as progress_bar
from evals.recipe import RECIPE_CHUNK_OVERLAP, RECIPE_CHUNK_SIZE, RECIPE_COLLECTION, recipe_chunks
from ingest.pipeline import discover, ingest
from rag.models.embeddings import load_embeddings
from rag.retrieve.index import open_index
from rag.settings import Settings

# The recipe embeds with sentence-transformers on torch, as the tutorials do; ours
# uses the backend given by --backend (torch by default: the same embedder).
RECIPE_BACKEND = "torch"
DEFAULT_OUT = REPO / "bench" / "results" / "ingest.json"

console = Console(stderr=True)
TokenCounter = Callable[[list[str]], tuple[int, int]]


def token_counter(embeddings: Embeddings) -> TokenCounter:
    """A function giving (tokens the model sees, chunks it truncates) for chunk texts."""
    model = embeddings._client  # type: ignore[attr-defined]  # the SentenceTransformer
    window = int(model.max_seq_length)

    def count(texts: list[str]) -> tuple[int, int]:
        lengths = [len(ids) for ids in model.tokenizer(texts, add_special_tokens=True)["input_ids"]]
        return sum(min(n, window) for n in lengths), sum(n > window for n in lengths)

    return count


def run_ours(
    corpus: Path, data_dir: Path, backend: str, progress: Progress, task: TaskID
) -> dict[str, Any]:
    """Ingest ``corpus`` into a fresh index with ``backend``, then again unchanged; timed."""
    settings = Settings(data_dir=data_dir, embedding_backend=backend)
    embeddings = load_embeddings(settings)
    index = open_index(settings)

    def on_progress(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    began = time.perf_counter()
    first = ingest([corpus], settings, index, embeddings, on_progress)
    seconds = time.perf_counter() - began
    began = time.perf_counter()
    second = ingest([corpus], settings, index, embeddings)
    reingest_seconds = time.perf_counter() - began
    return {
        "files": first.files,
        "texts": [c.text for c in index.iter_chunks()],
        "seconds": seconds,
        "reingest": {
            "seconds": reingest_seconds,
            "added": second.added,
            "removed": second.removed,
            "unchanged": second.unchanged,
        },
    }


def run_langchain(corpus: Path, persist_dir: Path, embeddings: Embeddings) -> dict[str, Any]:
    """The plain LangChain recipe (evals/recipe.py): load, split, ``Chroma.from_documents``."""
    client = chromadb.PersistentClient(
        path=str(persist_dir), settings=ChromaSettings(anonymized_telemetry=False)
    )
    began = time.perf_counter()
    files = discover([corpus]).files
    chunks = recipe_chunks(corpus)
    Chroma.from_documents(chunks, embeddings, collection_name=RECIPE_COLLECTION, client=client)
    seconds = time.perf_counter() - began
    return {"files": len(files), "texts": [c.page_content for c in chunks], "seconds": seconds}


def summarise(runs: list[dict[str, Any]], count_tokens: TokenCounter) -> dict[str, Any]:
    """Median seconds over the runs, with chunk and token counts of the last one."""
    texts = runs[-1]["texts"]
    tokens, truncated = count_tokens(texts)
    seconds = statistics.median(r["seconds"] for r in runs)
    return {
        "files": runs[-1]["files"],
        "chunks": len(texts),
        "tokens": tokens,
        "truncated_chunks": truncated,
        "seconds": round(seconds, 3),
        "runs_seconds": [round(r["seconds"], 3) for r in runs],
        "chunks_per_s": round(len(texts) / seconds, 1),
        "tokens_per_s": round(tokens / seconds),
    }


def bench_corpus(
    name: str,
    corpus: Path,
    work: Path,
    embeddings: Embeddings,
    backend: str,
    repeats: int,
    count_tokens: TokenCounter,
    progress: Progress,
) -> dict[str, Any]:
    """Both methods on one corpus, alternating, ``repeats`` times each: the recipe with
    ``embeddings``, ours with ``backend``."""
    ours, langchain = [], []
    task = progress.add_task(name, total=None)
    for run in range(1, repeats + 1):
        progress.update(task, description=f"{name}: ours, run {run}/{repeats}", completed=0)
        ours.append(run_ours(corpus, work / f"ours-{run}", backend, progress, task))
        progress.update(task, description=f"{name}: LangChain, run {run}/{repeats}", total=None)
        langchain.append(run_langchain(corpus, work / f"langchain-{run}", embeddings))
    progress.remove_task(task)
    result = {
        "ours": summarise(ours, count_tokens),
        "langchain": summarise(langchain, count_tokens),
    }
    reingest_seconds = statistics.median(r["reingest"]["seconds"] for r in ours)
    return {
        "corpus": name,
        "chars": sum(len(p.read_text(encoding="utf-8")) for p in corpus.rglob("*") if p.is_file()),
        "methods": result,
        "ours_over_langchain": {
            "seconds": round(result["ours"]["seconds"] / result["langchain"]["seconds"], 2),
            "chunks": round(result["ours"]["chunks"] / result["langchain"]["chunks"], 2),
        },
        "reingest": {**ours[-1]["reingest"], "seconds": round(reingest_seconds, 3)},
    }


def table(corpora: list[dict[str, Any]]) -> str:
    """The results as one Markdown table, a re-ingest row under each corpus."""
    headers = ["corpus", "method", "files", "chunks", "tokens", "truncated", "seconds",
               "chunks/s", "tokens/s", "s ours/LC", "chunks ours/LC"]  # fmt: skip
    rows = []
    for c in corpora:
        ratio = c["ours_over_langchain"]
        for method, label in (("ours", "ours"), ("langchain", "LangChain")):
            m = c["methods"][method]
            ratios = [f"{ratio['seconds']:.2f}", f"{ratio['chunks']:.2f}"]
            rows.append([c["corpus"], label, str(m["files"]), f"{m['chunks']:,}",
                         f"{m['tokens']:,}", str(m["truncated_chunks"]), f"{m['seconds']:.2f}",
                         f"{m['chunks_per_s']:.1f}", f"{m['tokens_per_s']:,}",
                         *(ratios if method == "ours" else ["", ""])])  # fmt: skip
        again = c["reingest"]
        rows.append([c["corpus"], "ours, re-ingest unchanged", str(c["methods"]["ours"]["files"]),
                     f"{again['added']} embedded", "", "", f"{again['seconds']:.2f}",
                     *[""] * 4])  # fmt: skip
    return markdown_table(headers, rows)


def main() -> None:
    """Build the corpora, measure both methods on each, print and save the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD, help="SQuAD 2.0 JSON file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    parser.add_argument("--repeats", type=int, default=3, help="runs per corpus and method")
    parser.add_argument(
        "--backend", default=RECIPE_BACKEND, help="our embedding backend (the recipe's: torch)"
    )
    args = parser.parse_args()
    if not args.squad.is_file():
        parser.error(f"no SQuAD file at {args.squad}")

    context = run_context()
    warn_if_busy(context["load_average_1min"], console)
    settings = Settings(embedding_backend=RECIPE_BACKEND)
    with console.status("loading the embedding models"):
        embeddings = load_embeddings(settings)
        embeddings.embed_query("warm up")
        load_embeddings(Settings(embedding_backend=args.backend)).embed_query("warm up")
    count_tokens = token_counter(embeddings)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        corpora = {"seeds": work / "corpus-seeds", "squad": work / "corpus-squad"}
        copy_seeds(corpora["seeds"])
        write_squad_corpus(load_squad(args.squad), corpora["squad"])
        with progress_bar(console) as progress:
            results = [
                bench_corpus(
                    name,
                    folder,
                    work / f"stores-{name}",
                    embeddings,
                    args.backend,
                    args.repeats,
                    count_tokens,
                    progress,
                )
                for name, folder in corpora.items()
            ]

    report = {
        **context,
        "repeats": args.repeats,
        "ours_backend": args.backend,
        "squad": str(args.squad.resolve()),
        "ours": {
            "chunk_size": settings.chunk_size,
            "chunk_overlap": settings.chunk_overlap,
            "embedding_batch_size": settings.embedding_batch_size,
        },
        "langchain": {"chunk_size": RECIPE_CHUNK_SIZE, "chunk_overlap": RECIPE_CHUNK_OVERLAP},
        "max_seq_length": int(embeddings._client.max_seq_length),  # type: ignore[attr-defined]
        "corpora": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
