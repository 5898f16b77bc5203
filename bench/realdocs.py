"""Real documentation (Debian's python3-doc, postgresql-doc-15, ...): ingest, latency,
and questions whose answers were never looked at.

``ingest`` runs ``rag ingest --json`` over documentation folders into one data folder,
each in a child process: wall seconds, chunks/s, peak RSS, the index's size, where the
time went (the report's stages) and, in this process on a sample of the same chunks,
the embedder's own throughput: the limit for that model on this machine.

``latency`` serves that data folder (``rag serve``, one inference thread per request)
and asks every question of the suites over HTTP: time to ready, then each question
twice, cold (the first question over those passages) and warm (asked again), the
server's own ``timings_ms`` and the client's; then 8 clients at once asking other
questions cold. ``--sentence-vectors query`` serves with the sentence store set aside
(put back afterwards), as a first question was served before issue 20: sentences
embedded on first use. ``--rerank-depth`` overrides the re-ranking depth.

``answers`` asks every question of a documentation suite (evals/suites/*-docs.jsonl)
in process, through ``Chain.answer`` over the index that ``RAG_DATA_DIR`` names, and
writes one JSON line per question: the answer, its first sentence, the sources of its
citations and of the passages retrieved. It uses only what every version of the chain
has (``Chain``, ``Settings``, ``Answer``), so the same script run with another
checkout on ``PYTHONPATH`` gives that version's answers: before and after, same
questions, same scoring.

``score`` reads one or two such files and prints, with 95 % bootstrap intervals and
question counts (evals/bootstrap.py):

- useful first: the answer's first sentence holds the question's key phrase
  (normalised as SQuAD does: evals.metrics.answer_recall);
- useful any: some quoted sentence holds it;
- found@1, found@5: a page that answers is the first, or among the first five,
  passages retrieved;
- declined: unanswerable questions answered "not in the documents";
- false abstention: answerable questions declined;

and, given two files, the paired difference of each (after minus before).

``ceiling`` says where the answering sentence is lost, over the same index: for each
answerable question, whether a candidate sentence of the first ``k`` passages (those
the answer reads) holds its key phrase, whether one of the first ``DEEP`` re-ranked
passages does, and whether it is the best-scored candidate or among the first three.
The first two are ceilings for a better reader of the passages shown and of a deeper
pool; their gap to "best" is the sentence scoring's loss.

    python -m bench.realdocs ingest --data idx /usr/share/doc/python3.11/html ...
    python -m bench.realdocs latency --data idx evals/suites/python-docs.jsonl ...
    PYTHONPATH=. RAG_DATA_DIR=idx python -m bench.realdocs answers \\
        evals/suites/python-docs.jsonl --split final --out after.jsonl
    python -m bench.realdocs score after.jsonl [--before before.jsonl]
    RAG_DATA_DIR=idx python -m bench.realdocs ceiling evals/suites/python-docs-tune.jsonl
"""

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from bench.scale import RAG, child_env, du, post_question, rag_ingest, reap
from evals.markdown import markdown_table
from harness.servers import free_port, wait_for

REPO = Path(__file__).resolve().parent.parent

CLIENTS = 8
HTTP_TIMEOUT = 120.0
DEEP = 20  # the re-ranking's depth: the passages a deeper reader could read
# Stages of the ingest report, in the order they happen (rag ingest --json).
STAGES = ("parse and chunk", "embed chunks", "embed sentences", "Chroma", "manifest", "BM25")


def ingest_docs(data: Path, folders: list[Path], log: Path) -> None:
    """Ingest ``folders`` into ``data`` one after another and print what each cost."""
    env = child_env(data, "onnx")
    rows = []
    for folder in folders:
        result = rag_ingest(folder, env, log, timeout=6 * 3600)
        report = result["report"]
        added = report["added"]
        rows.append((folder, result, report))
        stages = report.get("stages", {})
        timed = sum(stages.values()) or 1.0
        shares = ", ".join(
            f"{k} {stages.get(k, 0):.0f}s ({stages.get(k, 0) / timed:.0%})" for k in STAGES
        )
        seconds = result["seconds"]
        print(
            f"{folder}: {added} chunks in {seconds:.0f}s ({added / seconds:.1f}/s), "
            f"peak RSS {result['peak_rss_mb']:.0f} MiB; {shares}"
        )
    total = sum(r["added"] for _, _, r in rows)
    seconds = sum(res["seconds"] for _, res, _ in rows)
    print(
        f"all: {total} chunks in {seconds:.0f}s ({total / seconds:.1f} chunks/s), "
        f"index {du(data) / 2**20:.0f} MiB on disk"
    )
    print(embedder_limit(data, total / seconds))


def embedder_limit(data: Path, ingest_rate: float, sample: int = 500) -> str:
    """The embedder's own throughput on a sample of the indexed chunks (all cores, as the
    ingest has), chunk texts alone and with their sentences, against the ingest's rate."""
    from rag.answer.extractive import embed_sentences
    from rag.models.embeddings import load_embeddings
    from rag.retrieve.index import open_index
    from rag.settings import Settings

    settings = Settings(data_dir=data)
    chunks = []
    for chunk in open_index(settings).iter_chunks():
        chunks.append(chunk)
        if len(chunks) >= 20 * sample:
            break
    picked = random.Random(0).sample(chunks, min(sample, len(chunks)))
    embeddings = load_embeddings(settings)
    embeddings.embed_documents(["warm up"])
    began = time.perf_counter()
    embeddings.embed_documents([c.text for c in picked])
    texts = time.perf_counter() - began
    began = time.perf_counter()
    embed_sentences(picked, embeddings)
    sentences = time.perf_counter() - began
    alone, both = len(picked) / texts, len(picked) / (texts + sentences)
    return (
        f"embedder alone on {len(picked)} of these chunks: {alone:.1f} chunks/s, "
        f"{both:.1f} chunks/s with their sentences; the ingest ran at "
        f"{ingest_rate / both:.0%} of the latter"
    )


def _server(
    data: Path, log: Path, sentence_vectors: str, depth: int | None
) -> tuple[subprocess.Popen[bytes], str, float]:
    """``rag serve`` over ``data``: the child, its URL, and seconds until /readyz answered."""
    port = free_port()
    env = {**child_env(data, "onnx"), "RAG_SENTENCE_VECTORS": sentence_vectors}
    if depth is not None:
        env["RAG_RERANK_DEPTH"] = str(depth)
    command = [str(RAG), "serve", "--host", "127.0.0.1", "--port", str(port)]
    began = time.perf_counter()
    server = subprocess.Popen(command, env=env, cwd=log.parent, stdout=log.open("ab"),
                              stderr=subprocess.STDOUT)  # fmt: skip
    wait_for(f"http://127.0.0.1:{port}/readyz", server, 600)
    return server, f"http://127.0.0.1:{port}", time.perf_counter() - began


def _figures(name: str, values: list[float]) -> list[str]:
    p50, p95 = np.percentile(values, 50), np.percentile(values, 95)
    return [name, str(len(values)), f"{p50:.0f}", f"{p95:.0f}", f"{max(values):.0f}"]


def latency(
    data: Path, suites: list[Path], log: Path, sentence_vectors: str, depth: int | None
) -> None:
    """Cold and warm latency of every question of ``suites``, one at a time, then
    ``CLIENTS`` clients at once asking the second half cold."""
    store, aside = data / "cache", data / "cache.set-aside"
    if sentence_vectors == "query":  # as before issue 20: nothing embedded in advance
        store.rename(aside)
    questions = [r["question"] for suite in suites for r in _load(suite)]
    alone, together = questions[::2], questions[1::2]
    server, url, ready = _server(data, log, sentence_vectors, depth)
    try:
        cold_server: list[float] = []
        cold_client: list[float] = []
        warm_server: list[float] = []
        warm_client: list[float] = []
        errors = 0
        for question in alone:
            for server_ms, client_ms in ((cold_server, cold_client), (warm_server, warm_client)):
                began = time.perf_counter()
                status, answer = post_question(f"{url}/api/ask", question, HTTP_TIMEOUT)
                client_ms.append((time.perf_counter() - began) * 1000)
                errors += status != 200
                server_ms.append(answer.get("timings_ms", {}).get("total", float("nan")))

        def ask(question: str) -> tuple[int, float, float]:
            began = time.perf_counter()
            status, answer = post_question(f"{url}/api/ask", question, HTTP_TIMEOUT)
            took = (time.perf_counter() - began) * 1000
            return status, took, answer.get("timings_ms", {}).get("total", float("nan"))

        with ThreadPoolExecutor(CLIENTS) as pool:
            concurrent = list(pool.map(ask, together))
    finally:
        server.terminate()
        _, peak = reap(server, 30)
        if aside.exists():  # the store as ingest left it, back in its place
            shutil.rmtree(store, ignore_errors=True)
            aside.rename(store)
    shown = f"re-ranking depth {depth}; " if depth is not None else ""
    print(
        f"{data}: ready in {ready:.1f}s; {shown}sentence vectors at {sentence_vectors}; "
        f"{errors} errors alone, {sum(s != 200 for s, _, _ in concurrent)} with "
        f"{CLIENTS} clients; server peak RSS {peak:.0f} MiB"
    )
    measured = {"cold, server": cold_server, "cold, client": cold_client}
    measured |= {"warm, server": warm_server, "warm, client": warm_client}
    header = ["latency (ms)", "questions", "p50", "p95", "max"]
    print("\n".join(markdown_table(header, (_figures(n, v) for n, v in measured.items()), 1)))
    print(_figures(f"cold, {CLIENTS} clients at once, client", [t for _, t, _ in concurrent]))
    print(_figures(f"cold, {CLIENTS} clients at once, server", [s for _, _, s in concurrent]))


def answers(suite: Path, split: str | None, out: Path) -> None:
    """Ask every question of ``suite`` (of ``split``) and write what came back."""
    from rag.chain import Chain
    from rag.settings import Settings

    chain = Chain(Settings())
    rows = _questions(suite, split)
    with out.open("w") as written:
        for row in rows:
            began = time.perf_counter()
            answer = chain.answer(row["question"])
            took = (time.perf_counter() - began) * 1000
            quotes = [c.quote for c in answer.citations]  # "heap[0]" is no marker
            first = quotes[0] if quotes and not answer.abstained else ""
            record = {
                "id": row["id"],
                "question": row["question"],
                "answerable": row["answerable"],
                "key": row.get("key"),
                "pages": row.get("pages", []),
                "answer": answer.answer,
                "quotes": quotes,
                "first": first,
                "abstained": answer.abstained,
                "cited": [c.source for c in answer.citations],
                "retrieved": [p.chunk.path for p in answer.passages],
                "latency_ms": round(took, 1),
            }
            written.write(json.dumps(record, ensure_ascii=False) + "\n")
            print(f"{row['id']}: {first[:100]!r}", file=sys.stderr)


def ceiling(suite: Path, split: str | None) -> None:
    """Print where each answerable question's key phrase is among the candidate
    sentences (see the module's docstring), with intervals."""
    from evals.bootstrap import Ratio, intervals
    from evals.metrics import answer_recall
    from rag.chain import Chain
    from rag.settings import Settings

    chain = Chain(Settings())
    rows = [r for r in _questions(suite, split) if r["answerable"]]
    figures: dict[str, list[float]] = {
        f"held by the first {chain.settings.k} passages": [],
        f"held by the first {DEEP} passages": [],
        "the best candidate": [],
        "among the best 3 candidates": [],
    }
    for row in rows:
        pool = chain.ranked(row["question"], DEEP)
        holds = [
            answer_recall(c.quote, [row["key"]]) == 1.0
            for c in chain.answerer.ranked(row["question"], pool[: chain.settings.k])
        ]
        deep = chain.answerer.ranked(row["question"], pool)
        rank = holds.index(True) if True in holds else None
        deeper = any(answer_recall(c.quote, [row["key"]]) for c in deep)
        values = (rank is not None, deeper, rank == 0, rank is not None and rank < 3)
        for name, value in zip(figures, values, strict=True):
            figures[name].append(float(value))
        print(f"{row['id']}: candidate rank {rank}", file=sys.stderr)
    ones = np.ones(len(rows))
    ratios = {name: Ratio(np.array(values), ones) for name, values in figures.items()}
    bounds = intervals(ratios, [r["id"] for r in rows])
    print(f"{suite.name} ({split or 'all'}): {len(rows)} answerable questions")
    print("| the key phrase is | share | 95 % interval, n |\n| --- | ---: | --- |")
    for name, ratio in ratios.items():
        print(f"| {name} | {ratio.value():.3f} | {bounds[name].describe()} |")


def _found(record: dict, depth: int) -> float:
    pages = record["pages"]
    return float(any(p.endswith("/" + page) for p in record["retrieved"][:depth] for page in pages))


def ratios(records: list[dict]) -> dict:
    """Each figure as per-question parts (evals.bootstrap.Ratio)."""
    from evals.bootstrap import Ratio
    from evals.metrics import answer_recall

    keyed = np.array([bool(r["answerable"] and r["key"]) for r in records])
    answerable = np.array([bool(r["answerable"]) for r in records])
    abstained = np.array([bool(r["abstained"]) for r in records])

    def of(values: list[float], applies: np.ndarray) -> Ratio:
        return Ratio(np.array(values) * applies, applies.astype(float))

    key = [[r["key"]] if r["key"] else [] for r in records]
    prose = [" ".join(r["quotes"]) if not r["abstained"] else "" for r in records]
    return {
        "useful first": of(
            [answer_recall(r["first"], k) for r, k in zip(records, key, strict=True)], keyed
        ),
        "useful any": of([answer_recall(t, k) for t, k in zip(prose, key, strict=True)], keyed),
        "found@1": of([_found(r, 1) for r in records], answerable),
        "found@5": of([_found(r, 5) for r in records], answerable),
        "declined": of(list(abstained.astype(float)), ~answerable),
        "false abstention": of(list(abstained.astype(float)), answerable),
    }


def _load(path: Path) -> list[dict]:
    """The rows of a JSON-lines file (a suite, or an answers file)."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _questions(suite: Path, split: str | None) -> list[dict]:
    """``suite``'s rows of ``split`` (all when None)."""
    return [r for r in _load(suite) if split is None or r.get("split") == split]


def score(after: Path, before: Path | None) -> None:
    """Print the figures of ``after`` (and their paired difference from ``before``)."""
    from evals.bootstrap import intervals, paired

    records = _load(after)
    ids = [r["id"] for r in records]
    found = ratios(records)
    bounds = intervals(found, ids, [r["latency_ms"] for r in records])
    print(f"{after.name}: {len(records)} questions")
    print("| figure | value | 95 % interval, n |\n| --- | ---: | --- |")
    for name, ratio in found.items():
        print(f"| {name} | {ratio.value():.3f} | {bounds[name].describe()} |")
    times = np.array([r["latency_ms"] for r in records])
    print(
        f"| latency p50 / p95 (ms, in process) | {np.percentile(times, 50):.0f} / "
        f"{np.percentile(times, 95):.0f} | |"
    )
    if before is None:
        return
    old = {r["id"]: r for r in _load(before)}
    if set(old) != set(ids):
        raise SystemExit("the two files hold different questions")
    differences = paired(ratios([old[i] for i in ids]), found, ids)
    print(f"\nafter - before ({before.name} -> {after.name}), paired bootstrap:")
    print("| figure | before | after | difference [95 % interval] | p |")
    print("| --- | ---: | ---: | --- | ---: |")
    for d in differences:
        print(
            f"| {d.metric} | {d.before:.3f} | {d.after:.3f} | {d.delta:+.3f} "
            f"[{d.low:+.3f}, {d.high:+.3f}] | {d.p_value:.3f} |"
        )


def main() -> None:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("answers", help="ask a suite's questions, write the answers")
    ask.add_argument("suite", type=Path)
    ask.add_argument("--split", default=None)
    ask.add_argument("--out", type=Path, required=True)
    ceiled = commands.add_parser("ceiling", help="where the answering sentence is lost")
    ceiled.add_argument("suite", type=Path)
    ceiled.add_argument("--split", default=None)
    scored = commands.add_parser("score", help="figures of an answers file, or two")
    scored.add_argument("after", type=Path)
    scored.add_argument("--before", type=Path)
    ingested = commands.add_parser("ingest", help="ingest folders, timed")
    ingested.add_argument("folders", type=Path, nargs="+")
    timed = commands.add_parser("latency", help="cold and warm latency over HTTP")
    timed.add_argument("suites", type=Path, nargs="+")
    timed.add_argument("--sentence-vectors", choices=("ingest", "query"), default="ingest")
    timed.add_argument("--rerank-depth", type=int, default=None)
    for command in (ingested, timed):
        command.add_argument("--data", type=Path, required=True, help="the data folder")
    args = parser.parse_args()
    if args.command == "answers":
        answers(args.suite, args.split, args.out)
    elif args.command == "score":
        score(args.after, args.before)
    elif args.command == "ceiling":
        ceiling(args.suite, args.split)
    else:
        data = args.data.resolve()
        log = data.parent / f"{data.name}-bench.log"  # beside it: the data folder is private
        if args.command == "ingest":
            data.mkdir(mode=0o700, parents=True, exist_ok=True)
            ingest_docs(data, [folder.resolve() for folder in args.folders], log)
        else:
            latency(data, args.suites, log, args.sentence_vectors, args.rerank_depth)


if __name__ == "__main__":
    main()
