"""Hybrid retrieval: dense (Chroma) and BM25 candidates fused.

Two fusions (``settings.fusion``, rag.retrieve.fusion): weighted reciprocal rank
fusion, which needs no score normalisation, and convex fusion of min-max normalised
scores, which keeps how far ahead a side's best candidate is (a confident BM25 hit
on a rare term outweighs a flat dense ranking). Weights and method are settings,
chosen on the tune splits of every public set by `rag eval tune`
(evals/tune_retrieval.py).
"""

from collections.abc import Sequence

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.retrieve.fusion import Hit, Ranked, convex_fusion, reciprocal_rank_fusion
from rag.retrieve.index import ChunkIndex
from rag.retrieve.lexical import LiveBm25, cache_path
from rag.retrieve.scope import LiveFiles, SourceScope
from rag.schema import Chunk, Passage
from rag.settings import Settings


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
        dense_side = [Passage(chunk=c, score=score, dense_score=score) for c, score in dense]
        bm25_scores = dict(lexical)
        ranked: list[Hit]
        if mode == "hybrid":
            sides: list[Sequence[Ranked]] = [dense_side, lexical]
            weights = [self.settings.dense_weight, self.settings.bm25_weight]
            if self.settings.fusion == "convex":
                ranked = convex_fusion(sides, weights)
            else:
                ranked = reciprocal_rank_fusion(sides, weights, self.settings.rrf_k)
        else:
            ranked = [Hit(p.id, p.score) for p in dense_side] or lexical
        known = {chunk.id: chunk for chunk, _ in dense}
        dense_scores = {p.id: p.score for p in dense_side}
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
        self, ranked: list[Hit], known: dict[str, Chunk], k: int
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
        """``retrieve`` as LangChain Documents, for ``invoke`` and LangChain pipelines.

        BaseRetriever's one abstract method: our surfaces call ``retrieve`` (typed
        Passages); this adapter is what makes the class a LangChain retriever, and
        tests/rag/test_retrieval.py holds it to ``retrieve``'s ranking."""
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
