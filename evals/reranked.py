"""A baseline's passages re-ranked by our re-ranker, to measure the re-ranking apart.

``rag.chain`` re-ranks the built-in retriever's passages only (evals measure the
baselines as they ship). Wrapped in ``Reranked``, a baseline's first
``rerank_depth`` passages are re-ordered exactly as ours are: by rag.retrieve.rerank's blend
of the retrieval score and the passage's best sentence, scored by the same answerer.
"""

from collections.abc import Sequence
from typing import Protocol

from rag.chain import PassageRetriever
from rag.retrieve.rerank import rerank
from rag.schema import Passage
from rag.settings import Settings


class SentenceScorer(Protocol):
    """What scores a passage by its best sentence (rag.answer.extractive.ExtractiveAnswerer)."""

    def best_sentences(self, question: str, passages: Sequence[Passage]) -> list[float]:
        """Each passage's best sentence score."""
        ...


class Reranked:
    """``inner``'s passages, the first ``settings.rerank_depth`` re-ranked.

    ``answerer`` is the chain's (set once the chain is built): its sentence scores
    are those the re-ranking of our own retrieval uses.
    """

    def __init__(self, inner: PassageRetriever, settings: Settings) -> None:
        """Wrap ``inner``; nothing is retrieved until asked."""
        self.inner = inner
        self.settings = settings
        self.answerer: SentenceScorer | None = None

    def retrieve(self, query: str, k: int | None = None) -> list[Passage]:
        """The ``k`` best passages after re-ranking (``settings.k`` by default)."""
        assert self.answerer is not None, "set the chain's answerer first"
        k = k or self.settings.k
        depth = self.settings.rerank_depth
        pool = self.inner.retrieve(query, max(k, depth))
        if depth:
            best = self.answerer.best_sentences(query, pool[:depth])
            pool = rerank(pool[:depth], best, self.settings.rerank_weight) + pool[depth:]
        return pool[:k]
