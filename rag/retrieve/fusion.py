"""Fusion of ranked lists: weighted reciprocal rank fusion and convex fusion.

Each ranker's list holds ``Passage`` objects (the dense side, with their chunks) or
``Hit`` objects (BM25, whose chunks are read from Chroma only for the few that make
the top ``k``): anything with an ``id`` and a ``score``. The shape follows Haystack's
``_reciprocal_rank_fusion(document_lists, weights)``: one list per ranker and one
weight per list. HybridRetriever (rag.retrieve.hybrid) and the tuning of the fusion
(evals/tune_retrieval.py) call these same two functions.
"""

from collections.abc import Sequence
from typing import NamedTuple, Protocol


class Hit(NamedTuple):
    """A chunk id ranked with its score (higher better)."""

    id: str
    score: float


class Ranked(Protocol):
    """What fusion reads of a ranked item: a ``Passage`` or a ``Hit``."""

    @property
    def id(self) -> str:
        """The chunk's id."""
        ...

    @property
    def score(self) -> float:
        """The ranker's score, higher better."""
        ...


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Ranked]], weights: Sequence[float], rrf_k: int
) -> list[Hit]:
    """Weighted reciprocal rank fusion: it needs no score normalisation.

    Args:
        rankings: one list per ranker, best first.
        weights: one weight per list.
        rrf_k: the RRF constant; an item at rank r (from 1) earns weight / (rrf_k + r).

    Returns:
        Chunk ids with their fused scores, best first (ties: first seen first).
    """
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            fused[item.id] = fused.get(item.id, 0.0) + weight / (rrf_k + rank)
    return [Hit(i, score) for i, score in sorted(fused.items(), key=lambda item: -item[1])]


def convex_fusion(rankings: Sequence[Sequence[Ranked]], weights: Sequence[float]) -> list[Hit]:
    """The weighted sum of each list's min-max normalised scores: it keeps how far ahead
    a ranker's best item is (a confident BM25 hit on a rare term outweighs a flat dense
    ranking).

    Args:
        rankings: one list per ranker, best first.
        weights: one weight per list; divided by their sum.

    Returns:
        Chunk ids with their fused scores, best first. In each list the best score
        becomes 1 and the worst 0 (all 1 when they are equal); an item missing from
        a list gets 0 there, as if it ranked last. Ties keep first-seen order.
    """
    total = sum(weights) or 1.0
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        scores = [item.score for item in ranking]
        low, high = min(scores), max(scores)
        for item in ranking:
            share = (item.score - low) / (high - low) if high > low else 1.0
            fused[item.id] = fused.get(item.id, 0.0) + weight / total * share
    return [Hit(i, score) for i, score in sorted(fused.items(), key=lambda item: -item[1])]
