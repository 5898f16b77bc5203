"""Re-ranking the first retrieved passages by their best sentence.

Retrieval scores a passage as a whole: a 1000-character chunk about the right
subject can outrank the one whose single sentence answers the question. The
answerer scores every sentence anyway (rag/answer/extractive.py), so the first
``rerank_depth`` passages are re-ordered by a blend of the two, at the cost of
embedding those passages' sentences (kept in the sentence store afterwards).
Depth and weight are chosen by ``rag eval tune`` on the tune splits.
"""

from collections.abc import Sequence

import numpy as np

from rag.schema import Passage


def blend(retrieval: Sequence[float], best_sentences: Sequence[float], weight: float) -> np.ndarray:
    """``weight`` x the retrieval score + (1 - ``weight``) x the best sentence score.

    The retrieval scores are min-max normalised over the pool (the best 1, the
    worst 0; all 1 when equal), so any fusion or single retriever blends on the
    scale of sentence scores.
    """
    scores = np.asarray(retrieval, dtype=float)
    low, high = (scores.min(), scores.max()) if len(scores) else (0.0, 0.0)
    shares = (scores - low) / (high - low) if high > low else np.ones(len(scores))
    return weight * shares + (1 - weight) * np.asarray(best_sentences, dtype=float)


def rerank_order(
    retrieval: Sequence[float], best_sentences: Sequence[float], weight: float
) -> list[int]:
    """Positions of the pool by ``blend``, best first; ties keep retrieval order."""
    return [int(i) for i in np.argsort(-blend(retrieval, best_sentences, weight), kind="stable")]


def rerank(
    passages: Sequence[Passage], best_sentences: Sequence[float], weight: float
) -> list[Passage]:
    """``passages`` (best first by retrieval) re-ordered by ``blend``, each scored by it."""
    scores = blend([p.score for p in passages], best_sentences, weight)
    return [
        passages[i].model_copy(update={"score": round(float(scores[i]), 4)})
        for i in rerank_order([p.score for p in passages], best_sentences, weight)
    ]
