"""Embedding backends compared: throughput, query latency and SQuAD retrieval quality.

For each backend (``settings.embedding_backend``), on SQuAD 2.0 half-dev written
as one text file per article, exactly as `rag eval squad` does:

- cold start: seconds from a fresh Python process's start of import to its
  first query vector (the static model built beforehand), and whether torch was imported;
- throughput: the corpus is chunked with our chunker and the chunk texts embedded
  in ``embedding_batch_size`` batches after a warm-up; tokens are counted with
  MiniLM's tokenizer, special tokens included, capped at its 256-token window;
- query latency: p50 of single ``embed_query`` calls over the first 200 questions;
- retrieval: the corpus is ingested into a fresh index with that backend, then
  hit@1 and hit@5 over every answerable question for retriever = hybrid, dense
  and bm25 (a passage is relevant when its characters overlap the gold answer
  span, as in `rag eval`: ``evals.runner.passage_rank``);
- fusion weights: hybrid hit@5 with ``dense_weight`` 0.5, 0.25 and 0.1 on a
  *tune* split (answerable questions of the first half of the articles) and a
  *test* split (the other half); the weight is chosen on tune, reported on test.

    python -m bench.backends --squad ../shared/data/squad-v2-dev-half.json
"""

import rag  # noqa: F401  (offline environment before any library loads)

# isort: split
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from rich.console import Console
from tokenizers import Tokenizer

from bench.squad_corpus import DEFAULT_SQUAD, REPO, markdown_table, run_context, warn_if_busy
from evals.metrics import hit_at
from evals.runner import passage_rank
from evals.squad import build_squad
from evals.suite import SuiteRow
from ingest.chunker import chunk_document
from ingest.loaders import load
from ingest.pipeline import ingest
from rag.models.embeddings import embedder_id, load_embeddings, resolve_model
from rag.retrieve.hybrid import build_retriever
from rag.retrieve.index import open_index
from rag.settings import Settings

DEFAULT_OUT = REPO / "bench" / "results" / "backends.json"
BACKENDS = ["torch", "onnx", "static"]
MODES = ["hybrid", "dense", "bm25"]
DENSE_WEIGHTS = [0.5, 0.25, 0.1]
WINDOW = 256  # MiniLM's max_seq_length: the torch model reads no further
LATENCY_QUESTIONS = 200
# Each backend's chunk vectors, to compare onnx with torch.
CHUNK_VECTORS: dict[str, np.ndarray] = {}

console = Console(stderr=True)


class MemoEmbeddings(Embeddings):
    """Remembers vectors by text: each question and chunk is embedded once per backend
    (ingest reuses the vectors of the throughput run)."""

    def __init__(self, inner: Embeddings) -> None:
        """Wrap ``inner``."""
        self.inner = inner
        self.vectors: dict[tuple[str, str], list[float]] = {}

    def remember(self, texts: list[str], vectors: np.ndarray) -> None:
        """Store document vectors computed elsewhere."""
        for text, vector in zip(texts, vectors.tolist(), strict=True):
            self.vectors["doc", text] = vector

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Delegated for texts not seen yet."""
        missing = [t for t in dict.fromkeys(texts) if ("doc", t) not in self.vectors]
        if missing:
            self.remember(missing, np.array(self.inner.embed_documents(missing)))
        return [self.vectors["doc", t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        """Delegated once per distinct text."""
        if ("query", text) not in self.vectors:
            self.vectors["query", text] = self.inner.embed_query(text)
        return self.vectors["query", text]


COLD_START = """
import time
began = time.perf_counter()
import json, sys
from rag.models.embeddings import load_embeddings
from rag.settings import Settings
load_embeddings(Settings(embedding_backend=sys.argv[1])).embed_query("cold start")
print(json.dumps({"seconds": time.perf_counter() - began, "torch": "torch" in sys.modules}))
"""


def cold_start(backend: str) -> dict[str, Any]:
    """Seconds to the first query vector in a fresh process, and whether torch loaded."""
    done = subprocess.run(
        [sys.executable, "-c", COLD_START, backend],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"seconds": round(result["seconds"], 2), "torch_imported": result["torch"]}


def chunk_texts(corpus: Path, settings: Settings) -> list[str]:
    """Every chunk text of the corpus, as ingest makes them."""
    texts = []
    for path in sorted(corpus.glob("*.txt")):
        doc = load(path, path.name)
        texts += [c.text for c in chunk_document(doc, settings.chunk_size, settings.chunk_overlap)]
    return texts


def count_tokens(texts: list[str], model_dir: str) -> int:
    """MiniLM tokens of ``texts``, special tokens included, each capped at the window."""
    tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return sum(min(len(e.ids), WINDOW) for e in tokenizer.encode_batch(texts))


def throughput(embeddings: Embeddings, texts: list[str], batch: int) -> tuple[float, np.ndarray]:
    """Seconds to embed ``texts`` in batches of ``batch`` (after a warm-up batch), and the
    vectors."""
    embeddings.embed_documents(texts[:batch])
    vectors: list[list[float]] = []
    began = time.perf_counter()
    for at in range(0, len(texts), batch):
        vectors += embeddings.embed_documents(texts[at : at + batch])
    return time.perf_counter() - began, np.array(vectors)


def query_p50_ms(embeddings: Embeddings, questions: list[str]) -> float:
    """Median milliseconds of one ``embed_query`` call."""
    times = []
    for question in questions:
        began = time.perf_counter()
        embeddings.embed_query(question)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def hits(settings: Settings, embeddings: Embeddings, rows: list[SuiteRow]) -> dict[str, float]:
    """hit@1 and hit@5 of ``rows`` with the retriever ``settings`` describe."""
    retriever = build_retriever(settings, open_index(settings), embeddings)
    ranks = []
    for row in rows:
        passages = retriever.retrieve(row.question, 5)
        ranks.append(passage_rank(row, passages))
    n = len(rows)
    return {
        "hit@1": round(sum(hit_at(r, 1) for r in ranks) / n, 4),
        "hit@5": round(sum(hit_at(r, 5) for r in ranks) / n, 4),
        "n": n,
    }


def bench_backend(
    backend: str, corpus: Path, work: Path, rows: list[SuiteRow], splits: dict[str, list[SuiteRow]]
) -> dict[str, Any]:
    """Every figure for one backend."""
    settings = Settings(data_dir=work / backend, embedding_backend=backend)
    model_dir = resolve_model(settings.embedding_model)
    with console.status(f"{backend}: loading (the static model is distilled if not cached)"):
        began = time.perf_counter()
        embeddings = load_embeddings(settings)
        load_seconds = time.perf_counter() - began
    with console.status(f"{backend}: cold start in a fresh process"):
        cold = cold_start(backend)
    texts = chunk_texts(corpus, settings)
    tokens = count_tokens(texts, model_dir)
    with console.status(f"{backend}: embedding {len(texts)} chunks"):
        seconds, vectors = throughput(embeddings, texts, settings.embedding_batch_size)
    CHUNK_VECTORS[backend] = vectors
    p50 = query_p50_ms(embeddings, [r.question for r in rows[:LATENCY_QUESTIONS]])
    memo = MemoEmbeddings(embeddings)
    memo.remember(texts, vectors)
    with console.status(f"{backend}: ingesting"):
        report = ingest([corpus], settings, open_index(settings), memo)
    quality = {}
    for mode in MODES:
        with console.status(f"{backend}: retrieval, {mode}"):
            quality[mode] = hits(settings.model_copy(update={"retriever": mode}), memo, rows)
    weights: dict[str, dict[str, float]] = {}
    for weight in DENSE_WEIGHTS:
        with console.status(f"{backend}: hybrid, dense_weight {weight}"):
            tuned = settings.model_copy(update={"retriever": "hybrid", "dense_weight": weight})
            weights[str(weight)] = {
                split: hits(tuned, memo, split_rows)["hit@5"]
                for split, split_rows in splits.items()
            }
    chosen = max(DENSE_WEIGHTS, key=lambda w: weights[str(w)]["tune"])
    result = {
        "backend": backend,
        "embedder_id": embedder_id(settings),
        "dimensions": len(embeddings.embed_query("dimensions")),
        "load_seconds_in_process": round(load_seconds, 2),
        "cold_start": cold,
        "chunks": len(texts),
        "tokens": tokens,
        "embed_seconds": round(seconds, 2),
        "chunks_per_s": round(len(texts) / seconds, 1),
        "tokens_per_s": round(tokens / seconds),
        "query_p50_ms": round(p50, 2),
        "ingested_chunks": report.added,
        "retrieval": quality,
        "hybrid_hit5_by_dense_weight": weights,
        "dense_weight_chosen_on_tune": chosen,
        "test_hit5_at_chosen_weight": weights[str(chosen)]["test"],
    }
    console.print(f"{backend}: done")
    return result


def split_by_article(rows: list[SuiteRow], articles: int) -> dict[str, list[SuiteRow]]:
    """Tune: questions on the first half of the articles; test: the other half."""
    half = articles // 2
    tune = [r for r in rows if int(str(r.source)[:3]) < half]
    test = [r for r in rows if int(str(r.source)[:3]) >= half]
    return {"tune": tune, "test": test}


def speed_and_quality_row(r: dict[str, Any]) -> list[str]:
    """One backend's row of the main table."""
    speed = [
        f"{r['cold_start']['seconds']:.2f}",
        f"{r['chunks_per_s']:,.1f}",
        f"{r['tokens_per_s']:,}",
        f"{r['query_p50_ms']:.2f}",
    ]
    quality = [
        f"{r['retrieval'][m]['hit@1']:.3f} / {r['retrieval'][m]['hit@5']:.3f}" for m in MODES
    ]
    return [r["backend"], r["embedder_id"], str(r["dimensions"]), *speed, *quality]


def weight_row(r: dict[str, Any], split: str) -> list[str]:
    """One backend's hybrid hit@5 on ``split`` for each dense weight."""
    by_weight = r["hybrid_hit5_by_dense_weight"]
    return [r["backend"], split, *(f"{by_weight[str(w)][split]:.3f}" for w in DENSE_WEIGHTS)]


def tables(results: list[dict[str, Any]]) -> str:
    """Two Markdown tables: speed and quality per backend, then the fusion weights."""
    headers = ["backend", "embedder id", "dims", "cold start s", "chunks/s", "tokens/s",
               "query p50 ms", *(f"{m} hit@1 / @5" for m in MODES)]  # fmt: skip
    rows = [speed_and_quality_row(r) for r in results]
    weight_headers = ["backend", "split", *(f"dense_weight {w}" for w in DENSE_WEIGHTS)]
    weight_rows = [weight_row(r, split) for r in results for split in ("tune", "test")]
    return (
        markdown_table(headers, rows)
        + "\n\nHybrid hit@5 by dense_weight (tune: first half of the articles; test: the rest)\n\n"
        + markdown_table(weight_headers, weight_rows)
    )


def main() -> None:
    """Measure every backend, print the tables and save the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD, help="SQuAD 2.0 JSON file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    parser.add_argument("--backends", nargs="+", default=BACKENDS, choices=BACKENDS)
    args = parser.parse_args()
    if not args.squad.is_file():
        parser.error(f"no SQuAD file at {args.squad}")

    context = run_context()
    warn_if_busy(context["load_average_1min"], console)
    with tempfile.TemporaryDirectory(prefix="bench-backends-") as tmp:
        work = Path(tmp)
        corpus, all_rows = build_squad(args.squad, work / "squad")
        rows = [r for r in all_rows if r.answerable and r.evidence]
        splits = split_by_article(rows, len(list(corpus.glob("*.txt"))))
        results = [bench_backend(b, corpus, work, rows, splits) for b in args.backends]
    report = {
        **context,
        "squad": str(args.squad.resolve()),
        "order": args.backends,
        "answerable_questions": len(rows),
        "splits": {name: len(split) for name, split in splits.items()},
        "fusion": {"bm25_weight": Settings().bm25_weight, "rrf_k": Settings().rrf_k},
        "backends": results,
    }
    if "torch" in CHUNK_VECTORS and "onnx" in CHUNK_VECTORS:
        difference = np.abs(CHUNK_VECTORS["torch"] - CHUNK_VECTORS["onnx"]).max()
        report["onnx_vs_torch_max_abs_difference"] = float(difference)
        console.print(f"onnx vs torch chunk vectors: max |difference| {difference:.2e}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(tables(results))
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
