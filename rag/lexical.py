"""BM25 over the chunks Chroma holds, rebuilt whenever the index's version changes."""

import threading

import bm25s
import numpy as np

from rag.index import ChunkIndex
from rag.models import Chunk
from rag.text import tokenize


class Bm25:
    """A bm25s index over a fixed list of chunks."""

    def __init__(self, chunks: list[Chunk]) -> None:
        """Index ``chunks`` (their text and section heading)."""
        self.chunks = chunks
        self._model = bm25s.BM25()
        if chunks:
            self._model.index(tokenize([c.text for c in chunks]), show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        """The ``k`` best chunks with a positive BM25 score, best first."""
        terms = tokenize([query])[0]
        if not self.chunks or not terms:
            return []
        scores = self._model.get_scores(terms)
        best = np.argsort(-scores, kind="stable")[:k]
        return [(self.chunks[i], float(scores[i])) for i in best if scores[i] > 0]


class LiveBm25:
    """A ``Bm25`` kept in step with a ``ChunkIndex``: derived, never a second truth."""

    def __init__(self, index: ChunkIndex) -> None:
        """Follow ``index``; nothing is built until the first search."""
        self._index = index
        self._lock = threading.Lock()
        self._version: str | None = None
        self._bm25 = Bm25([])

    def current(self) -> Bm25:
        """The BM25 index for the collection as it is now (rebuilt if it changed)."""
        version = self._index.version()
        with self._lock:
            if version != self._version:
                self._bm25 = Bm25(self._index.all_chunks())
                self._version = version
            return self._bm25
