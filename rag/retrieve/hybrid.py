"""Hybrid retrieval: dense (Chroma) and BM25 candidates fused.

Two fusions (``settings.fusion``): weighted reciprocal rank fusion, which needs
no score normalisation, and convex fusion of min-max normalised scores, which
keeps how far ahead a side's best candidate is (a confident BM25 hit on a rare
term outweighs a flat dense ranking). Weights and method are settings, chosen
on the tune splits of every public set by `rag eval tune` (evals/tune_retrieval.py).
"""

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.retrieve.index import ChunkIndex
from rag.retrieve.lexical import LiveBm25, cache_path
from rag.retrieve.scope import LiveFiles, SourceScope
from rag.schema import Chunk, Passage
from rag.settings import Settings


def fuse(
    rankings: list[tuple[list[tuple[str, float]], float]], rrf_k: int
) -> list[tuple[str, float]]:
    """Weighted reciprocal rank fusion.

    Args:
        rankings: each a ranked list of (chunk id, score) with the weight of that list.
        rrf_k: the RRF constant; a chunk at rank r (from 1) earns weight / (rrf_k + r).

    Returns:
        Chunk ids by fused score, best first.
    """
    fused: dict[str, float] = {}
    for ranking, weight in rankings:
        for rank, (chunk_id, _) in enumerate(ranking, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (rrf_k + rank)
    return sorted(fused.items(), key=lambda item: -item[1])


def fuse_scores(
    rankings: list[tuple[list[tuple[str, float]], float]],
) -> list[tuple[str, float]]:
    """Convex fusion: the weighted sum of each list's min-max normalised scores.

    Args:
        rankings: each a list of (chunk id, score), higher better, with its weight;
            weights are divided by their sum.

    Returns:
        Chunk ids by fused score, best first. In each list the best score becomes 1
        and the worst 0 (all 1 when they are equal); a chunk missing from a list
        gets 0 there, as if it ranked last. Ties keep first-seen order.
    """
    total = sum(weight for _, weight in rankings) or 1.0
    fused: dict[str, float] = {}
    for ranking, weight in rankings:
        if not ranking:
            continue
        scores = [score for _, score in ranking]
        low, high = min(scores), max(scores)
        for chunk_id, score in ranking:
            share = (score - low) / (high - low) if high > low else 1.0
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / total * share
    return sorted(fused.items(), key=lambda item: -item[1])


class HybridRetriever(BaseRetriever):
    """Dense, BM25 or both fused; a LangChain retriever returning ``Passage`` objects."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: ChunkIndex
    embeddings: Embeddings
    bm25: LiveBm25
    files: LiveFiles
    settings: Settings

    def retrieve(
        self, query: str, k: int | None = None, scope: SourceScope | None = None
    ) -> list[Passage]:
        """The ``k`` best passages for ``query`` (``settings.k`` by default).

        Args:
            query: the question.
            k: how many passages.
            scope: when given, both sides rank only the chunks of the files in it.

        Raises:
            NotFound: no file of the index is in ``scope``.
        """
        k = k or self.settings.k
        mode = self.settings.retriever
        candidates = max(self.settings.candidates, k) if mode == "hybrid" else k
        paths = None if scope is None else self.files.paths_in(scope)
        dense = (
            self.index.search(self.embeddings.embed_query(query), candidates, paths)
            if mode in ("hybrid", "dense")
            else []
        )
        lexical = (
            self.bm25.current().search(query, candidates, paths)
            if mode in ("hybrid", "bm25")
            else []
        )
        dense_scores = {chunk.id: score for chunk, score in dense}
        bm25_scores = dict(lexical)
        dense_ids = [(chunk.id, score) for chunk, score in dense]
        if mode == "hybrid":
            sides = [(dense_ids, self.settings.dense_weight), (lexical, self.settings.bm25_weight)]
            if self.settings.fusion == "convex":
                ranked = fuse_scores(sides)
            else:
                ranked = fuse(sides, self.settings.rrf_k)
        else:
            ranked = dense_ids or lexical
        known = {chunk.id: chunk for chunk, _ in dense}
        return [
            Passage(
                chunk=chunk,
                score=score,
                dense_score=dense_scores.get(chunk.id),
                bm25_score=bm25_scores.get(chunk.id),
                also=also,
            )
            for chunk, score, also in self._distinct(ranked, known, k)
        ]

    def _distinct(
        self, ranked: list[tuple[str, float]], known: dict[str, Chunk], k: int
    ) -> list[tuple[Chunk, float, list[str]]]:
        """The first ``k`` of ``ranked`` whose texts differ (copies count once: the
        best-ranked stands for them), each with the other files holding its text.

        Only ranked chunks not in ``known`` (BM25 hits missing from the dense side) are
        read from Chroma, a window of ``k`` at a time; a chunk removed since BM25 last
        synced is left out."""
        kept: dict[str, tuple[Chunk, float]] = {}
        for at in range(0, len(ranked), k):
            window = ranked[at : at + k]
            known |= {c.id: c for c in self.index.get([i for i, _ in window if i not in known])}
            for chunk_id, score in window:
                chunk = known.get(chunk_id)
                if chunk is not None and len(kept) < k:
                    kept.setdefault(chunk.fingerprint or chunk.id, (chunk, score))
            if len(kept) >= k:
                break
        copies = self.index.copies([c.fingerprint for c, _ in kept.values() if c.fingerprint])
        return [
            (chunk, score, sorted({s for _, s in copies.get(key, []) if s != chunk.source}))
            for key, (chunk, score) in kept.items()
        ]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [
            Document(
                page_content=p.chunk.text,
                id=p.chunk.id,
                metadata={**p.chunk.model_dump(exclude={"id", "text"}), "score": p.score},
            )
            for p in self.retrieve(query)
        ]


def build_retriever(
    settings: Settings, index: ChunkIndex, embeddings: Embeddings
) -> HybridRetriever:
    """The retriever configured by ``settings``."""
    return HybridRetriever(
        index=index,
        embeddings=embeddings,
        bm25=LiveBm25(index, cache_path(settings)),
        files=LiveFiles(index),
        settings=settings,
    )
