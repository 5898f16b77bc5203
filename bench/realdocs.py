"""Questions over real documentation (Debian's python3-doc, postgresql-doc-15).

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

    PYTHONPATH=. RAG_DATA_DIR=idx python bench/realdocs.py answers \\
        evals/suites/python-docs.jsonl --split final --out after.jsonl
    python bench/realdocs.py score after.jsonl [--before before.jsonl]
"""

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

_MARKER = re.compile(r"\s*\[\d+\]")


def answers(suite: Path, split: str | None, out: Path) -> None:
    """Ask every question of ``suite`` (of ``split``) and write what came back."""
    from rag.chain import Chain
    from rag.settings import Settings

    chain = Chain(Settings())
    rows = [json.loads(line) for line in suite.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if split is None or r.get("split") == split]
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
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


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
    scored = commands.add_parser("score", help="figures of an answers file, or two")
    scored.add_argument("after", type=Path)
    scored.add_argument("--before", type=Path)
    args = parser.parse_args()
    if args.command == "answers":
        answers(args.suite, args.split, args.out)
    else:
        score(args.after, args.before)


if __name__ == "__main__":
    main()
