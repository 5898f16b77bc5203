"""The re-ranking by best sentence (rag/retrieve/rerank.py) chosen on the tune splits.

Every variant re-orders the passages observed once per question (evals/observed.py
``observe``), so the whole grid costs seconds. Depth 0 (no re-ranking) is a
variant too: re-ranking is kept only when it does better.
"""

from collections.abc import Sequence
from typing import Any

from evals.observed import Observed
from evals.tune_retrieval import RANKS, rank_figures
from rag.retrieve.rerank import rerank_order

RERANK_DEPTHS = (0, 5, 10, 20)
RERANK_WEIGHTS = [round(w / 10, 1) for w in range(10)]
HIT5_SLACK = 0.005
RERANK_RULE = (
    f"the best mean mrr@10 over the sets among variants whose mean hit@5 is within {HIT5_SLACK} "
    "of the best; ties to the shallower depth (fewer sentences to embed)"
)


def best_sentences(observed: Observed, answer_weight: float) -> list[float]:
    """Each observed passage's best sentence score (0 without sentences)."""
    return [max((s.score(answer_weight) for s in sig), default=0.0) for sig in observed.signals]


def reorder(scores: Sequence[float], best: Sequence[float], depth: int, weight: float) -> list[int]:
    """The passages' order after re-ranking the first ``depth`` of them."""
    pool = min(depth, len(scores))
    first = rerank_order(scores[:pool], best[:pool], weight) if pool else []
    return first + list(range(pool, len(scores)))


def measure(observed: Sequence[Observed], orders: Sequence[list[int]]) -> dict[str, float]:
    """hit@1, hit@5 and mrr@10 over the rows with gold evidence."""
    return rank_figures(
        [
            next((r for r, i in enumerate(order[:RANKS], 1) if item.relevant[i]), None)
            for item, order in zip(observed, orders, strict=True)
            if any(item.relevant)
        ]
    )


def choose_rerank(
    by_set: dict[str, list[Observed]], answer_weight: float
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Choose ``rerank_depth`` and ``rerank_weight`` by ``RERANK_RULE`` for sentences
    scored at ``answer_weight`` (``in_order`` then gives each question's order).

    Returns:
        (the chosen settings values, the table of every variant with its per-set
        and mean hit@1 / hit@5 / mrr@10).
    """
    best = {n: [best_sentences(o, answer_weight) for o in obs] for n, obs in by_set.items()}
    variants = [(0, 1.0)] + [(d, w) for d in RERANK_DEPTHS if d for w in RERANK_WEIGHTS]
    table = []
    for depth, weight in variants:
        entry: dict[str, Any] = {"depth": depth, "weight": weight}
        for name, observed in by_set.items():
            orders = [
                reorder(o.scores, b, depth, weight)
                for o, b in zip(observed, best[name], strict=True)
            ]
            entry |= {f"{name}_{m}": v for m, v in measure(observed, orders).items()}
        for metric in ("hit@1", "hit@5", "mrr@10"):
            entry[f"mean_{metric}"] = sum(entry[f"{n}_{metric}"] for n in by_set) / len(by_set)
        table.append(entry)
    best_hit5 = max(e["mean_hit@5"] for e in table)
    near = [e for e in table if e["mean_hit@5"] >= best_hit5 - HIT5_SLACK - 1e-9]
    chosen = max(near, key=lambda e: (round(e["mean_mrr@10"], 9), -e["depth"]))
    for entry in table:
        entry["chosen"] = entry is chosen
    return {"rerank_depth": chosen["depth"], "rerank_weight": chosen["weight"]}, table


def in_order(observed: Observed, answer_weight: float, reranking: dict[str, Any]) -> list[int]:
    """``observed``'s passages in the order the answerer sees them under ``reranking``
    (``choose_rerank``'s values) with sentences scored at ``answer_weight``."""
    return reorder(
        observed.scores,
        best_sentences(observed, answer_weight),
        reranking["rerank_depth"],
        reranking["rerank_weight"],
    )
