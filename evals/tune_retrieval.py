"""Chunking and fusion chosen on the tune splits of every public set, evaluated in memory.

Each side's top ``DEPTH`` (ids and scores) is collected once per question, with
which of those chunks are relevant (evals/relevance.py); every fusion variant is
then a re-ranking of those lists, so dozens of variants cost seconds. The lists
are prefixes of what ``HybridRetriever`` asks each side for, so a variant ranks
exactly as the retriever would with the same settings.

Each corpus is ingested once per chunking of ``CHUNKINGS``. The rule: among the
variants (of any chunking) whose hybrid hit@5 is at least the better of BM25 and
dense of the same chunking minus ``TOLERANCE`` on every set, and whose mean hit@5
over the sets is within ``HIT5_SLACK`` of the best of those (a difference of one
or two questions), the best mean mrr@10 (then hit@1): the top passage matters too.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.corpus import corpus_settings, ingest_corpus
from evals.relevance import has_gold, passage_relevant
from evals.suite import SuiteRow
from rag.models.embeddings import load_embeddings
from rag.retrieve.fusion import Hit, convex_fusion, reciprocal_rank_fusion
from rag.retrieve.index import open_index
from rag.retrieve.lexical import LiveBm25, cache_path
from rag.settings import Settings

DEPTH = 100
TOLERANCE = 0.01
HIT5_SLACK = 0.005
RULE = (
    "among the chunkings and fusions whose hit@5 is at least max(bm25, dense) of the same "
    f"chunking - {TOLERANCE} on every set (if none: among all fusions), and whose mean hit@5 "
    f"is within {HIT5_SLACK} of the best of those, the best mean mrr@10 (then hit@1); "
    "re-ranking variants are measured for comparison only"
)
RANKS = 10
# The chunkings tried: ours before tuning, and the LangChain recipe's (also txtai's here).
CHUNKINGS = (
    {"chunk_size": 800, "chunk_overlap": 150},
    {"chunk_size": 1000, "chunk_overlap": 200},
)
Ranking = list[Hit]


@dataclass
class Lists:
    """One question's candidates from each side, and the relevant ones among them."""

    dense: Ranking
    bm25: Ranking
    relevant: frozenset[str]


def collect(rows: Sequence[SuiteRow], settings: Settings, depth: int = DEPTH) -> list[Lists]:
    """Both sides' top ``depth`` for every row with gold, from ``settings``' index."""
    index = open_index(settings)
    embeddings = load_embeddings(settings)
    bm25 = LiveBm25(index, cache_path(settings)).current()
    collected = []
    for row in rows:
        if not has_gold(row):
            continue
        dense = index.search(embeddings.embed_query(row.question), depth)
        lexical = bm25.search(row.question, depth)
        chunks = {chunk.id: chunk for chunk, _ in dense}
        chunks |= {c.id: c for c in index.get([i for i, _ in lexical if i not in chunks])}
        relevant = frozenset(i for i, chunk in chunks.items() if passage_relevant(row, chunk))
        collected.append(Lists([Hit(c.id, s) for c, s in dense], lexical, relevant))
    return collected


@dataclass(frozen=True)
class Variant:
    """A way to rank: one side alone, or both fused, with its settings values."""

    name: str
    values: dict[str, Any]
    rank: Callable[[Lists], list[str]]


def _side(name: str) -> Variant:
    return Variant(name, {"retriever": name}, lambda lists: [h.id for h in getattr(lists, name)])


def rrf(dense_weight: float, candidates: int, rrf_k: int = 60) -> Variant:
    """Weighted RRF of each side's first ``candidates`` (BM25 weight 1)."""

    def rank(lists: Lists) -> list[str]:
        sides = [lists.dense[:candidates], lists.bm25[:candidates]]
        return [hit.id for hit in reciprocal_rank_fusion(sides, [dense_weight, 1.0], rrf_k)]

    values = {"fusion": "rrf", "dense_weight": dense_weight, "bm25_weight": 1.0}
    values |= {"rrf_k": rrf_k, "candidates": candidates}
    return Variant(f"rrf dense={dense_weight} k={rrf_k} c={candidates}", values, rank)


def convex(dense_weight: float, candidates: int) -> Variant:
    """Convex fusion of min-max normalised scores (weights ``dense_weight``, 1 - it)."""
    bm25_weight = round(1 - dense_weight, 2)

    def rank(lists: Lists) -> list[str]:
        sides = [lists.dense[:candidates], lists.bm25[:candidates]]
        return [hit.id for hit in convex_fusion(sides, [dense_weight, bm25_weight])]

    values = {"fusion": "convex", "dense_weight": dense_weight, "bm25_weight": bm25_weight}
    values |= {"candidates": candidates}
    return Variant(f"convex dense={dense_weight} c={candidates}", values, rank)


def rerank(dense_weight: float, candidates: int) -> Variant:
    """BM25's first ``candidates`` only, re-ordered by convex fusion with the dense
    scores (a candidate outside the dense top ``DEPTH`` counts as the worst)."""

    def rank(lists: Lists) -> list[str]:
        pool = lists.bm25[:candidates]
        keep = {i for i, _ in pool}
        dense = [hit for hit in lists.dense if hit.id in keep]
        weights = [dense_weight, round(1 - dense_weight, 2)]
        return [hit.id for hit in convex_fusion([dense, pool], weights)]

    return Variant(f"rerank bm25 dense={dense_weight} c={candidates}", {}, rank)


def variants() -> list[Variant]:
    """Every candidate measured: both sides alone, RRF, convex and re-ranking grids."""
    found = [_side("bm25"), _side("dense")]
    for candidates in (20, 40, 100):
        found += [rrf(w, candidates) for w in (0.25, 0.5, 0.75, 1.0)]
        found += [rrf(w, candidates, 10) for w in (0.5, 1.0)]
        found += [convex(w / 10, candidates) for w in range(1, 10)]
        found += [rerank(w / 10, candidates) for w in (3, 5, 7)]
    return found


def rank_figures(ranks: Sequence[int | None]) -> dict[str, float]:
    """hit@1, hit@5 and mrr@10 of questions whose first relevant passage is at
    ``ranks`` (from 1; None: not in the first ``RANKS``)."""
    found = [rank for rank in ranks if rank is not None]
    n = len(ranks) or 1
    return {
        "hit@1": sum(rank == 1 for rank in found) / n,
        "hit@5": sum(rank <= 5 for rank in found) / n,
        "mrr@10": sum(1 / rank for rank in found) / n,
    }


def measure(variant: Variant, collected: Sequence[Lists]) -> dict[str, float]:
    """hit@1, hit@5 and mrr@10 of ``variant`` over the rows."""
    ranks = []
    for lists in collected:
        ranked = variant.rank(lists)[:RANKS]
        ranks.append(next((r for r, i in enumerate(ranked, 1) if i in lists.relevant), None))
    return rank_figures(ranks)


def _key(entry: dict[str, Any], names: Sequence[str]) -> tuple[float, float, float]:
    """Mean hit@5, hit@1 and mrr@10 over the sets."""
    hit5, hit1, mrr = (
        sum(entry[f"{name}_{metric}"] for name in names) / len(names)
        for metric in ("hit@5", "hit@1", "mrr@10")
    )
    return hit5, hit1, mrr


def mark_allowed(table: list[dict[str, Any]], names: Sequence[str]) -> None:
    """Mark each entry ``allowed`` by ``RULE`` against the parts of ``table`` (one
    chunking), and add its mean hit@5, hit@1 and mrr@10 over the sets."""
    parts = {entry["variant"]: entry for entry in table if entry["variant"] in ("bm25", "dense")}
    floor = {n: max(p[f"{n}_hit@5"] for p in parts.values()) - TOLERANCE for n in names}
    for entry in table:
        entry["allowed"] = entry["variant"] not in parts and all(
            entry[f"{n}_hit@5"] >= floor[n] - 1e-9 for n in names
        )
        entry["mean_hit@5"], entry["mean_hit@1"], entry["mean_mrr@10"] = _key(entry, names)


def pick(table: list[dict[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """The best allowed entry that settings can express (if none: the best of those)."""
    settable = [e for e in table if e["variant"] not in ("bm25", "dense") and e["values"]]
    pool = [e for e in settable if e["allowed"]] or settable
    best_hit5 = max(_key(e, names)[0] for e in pool)
    near = [e for e in pool if _key(e, names)[0] >= best_hit5 - HIT5_SLACK - 1e-9]
    chosen = max(near, key=lambda e: _key(e, names)[::-1])
    for entry in table:
        entry["chosen"] = entry is chosen
    return chosen


def choose(
    table: list[dict[str, Any]], names: Sequence[str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The chosen entry of one chunking's table by ``RULE``; entries marked ``allowed``."""
    mark_allowed(table, names)
    return pick(table, names), table


def tune_fusion(
    sets: Sequence[tuple[str, Sequence[SuiteRow], Path]], base: Settings
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Choose the chunking and the fusion on tune-split rows.

    Args:
        sets: (name, tune-split rows, corpus folder) each; every corpus is
            ingested into its cached index once per chunking of ``CHUNKINGS``.
        base: the settings the cached indexes derive from.

    Returns:
        (the chosen values, by ``Settings`` field name; the table of every
        chunking and variant with its per-set hit@1 / hit@5 / mrr@10, means,
        whether ``RULE`` allowed it, and which one it chose).
    """
    names = [name for name, _, _ in sets]
    table: list[dict[str, Any]] = []
    for chunking in CHUNKINGS:
        collected = {}
        for name, rows, folder in sets:
            settings = corpus_settings(folder, base.model_copy(update=chunking))
            ingest_corpus(folder, settings)
            collected[name] = collect(rows, settings)
        entries = []
        for variant in variants():
            entry: dict[str, Any] = {
                "chunking": f"{chunking['chunk_size']}/{chunking['chunk_overlap']}",
                "variant": variant.name,
                "values": chunking | variant.values if variant.values else {},
            }
            for name, lists in collected.items():
                entry |= {f"{name}_{m}": v for m, v in measure(variant, lists).items()}
            entries.append(entry)
        mark_allowed(entries, names)
        table += entries
    chosen = pick(table, names)
    return dict(chosen["values"]), [{k: v for k, v in e.items() if k != "values"} for e in table]
