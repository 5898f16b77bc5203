"""BM25 over the chunks Chroma holds, kept in step file by file and saved beside it.

Scoring is written here rather than left to bm25s (whose tokenizer we use):
bm25s builds a static index, so any change would rebuild it from every chunk;
at 100k chunks that is a read of the whole collection for a one-file edit.
Here each chunk's term counts are kept, a changed file replaces only its own
rows, and the BM25 weights (bm25s's default Lucene variant, k1 = 1.5,
b = 0.75) are recomputed from those counts, in memory, in well under a second.

What changed is found through the index's file manifest: a file whose record
has a new ``version`` is read again (its chunks only); a file whose record is
gone loses its rows. The state is saved to ``data_dir`` after a change, so a
new process loads it and reads only what changed since.
"""

import hashlib
import itertools
import json
import os
import tempfile
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from rag.retrieve.fusion import Hit
from rag.retrieve.index import ChunkIndex
from rag.schema import Chunk
from rag.settings import Settings
from rag.text import tokenize

K1, B = 1.5, 0.75


@dataclass
class _Weights:
    """The BM25 matrix of the live rows: ``matrix[row, term]`` without idf."""

    ids: list[str]
    matrix: sparse.csc_matrix
    idf: np.ndarray
    position: np.ndarray  # the matrix row of each ``Bm25`` row (-1: removed)


@dataclass
class Bm25:
    """Term counts of every chunk, by row; a row per chunk, rows grouped by file."""

    vocabulary: dict[str, int] = field(default_factory=dict)
    ids: list[str | None] = field(default_factory=list)
    terms: list[np.ndarray] = field(default_factory=list)
    counts: list[np.ndarray] = field(default_factory=list)
    files: dict[str, tuple[str, list[int]]] = field(default_factory=dict)
    _weights: _Weights | None = None

    def add_file(self, path: str, version: str, chunks: list[Chunk]) -> None:
        """Index the chunks of one file (replacing what it had)."""
        self.drop_file(path)
        rows = []
        for tokens, chunk in zip(tokenize([c.text for c in chunks]), chunks, strict=True):
            ids = np.array([self.vocabulary.setdefault(t, len(self.vocabulary)) for t in tokens])
            terms, counts = np.unique(ids.astype(np.int32), return_counts=True)
            rows.append(len(self.ids))
            self.ids.append(chunk.id)
            self.terms.append(terms)
            self.counts.append(counts.astype(np.float32))
        self.files[path] = (version, rows)
        self._weights = None

    def drop_file(self, path: str) -> None:
        """Forget the chunks of one file."""
        _, rows = self.files.pop(path, ("", []))
        for row in rows:
            self.ids[row] = None
            self.terms[row] = self.terms[row][:0]
            self.counts[row] = self.counts[row][:0]
        self._weights = None

    def copy(self) -> "Bm25":
        """A copy that changes independently of this state (the row arrays are shared:
        they are replaced, never changed in place)."""
        return Bm25(
            dict(self.vocabulary),
            list(self.ids),
            list(self.terms),
            list(self.counts),
            dict(self.files),
            self._weights,
        )

    def sync(self, index: ChunkIndex) -> bool:
        """Read from ``index`` the files that changed since; True if any did."""
        records = index.files()
        changed = [p for p in self.files if p not in records]
        for path in changed:
            self.drop_file(path)
        for path, record in records.items():
            if self.files.get(path, ("", []))[0] != record.version:
                self.add_file(path, record.version, index.chunks_of(path))
                changed.append(path)
        if len(self.ids) > 2 * (len(self.ids) - sum(i is None for i in self.ids)) + 1000:
            self._compact()
        return bool(changed)

    def _compact(self) -> None:
        """Drop the rows of removed chunks (renumbering the rest)."""
        live = [row for row, chunk_id in enumerate(self.ids) if chunk_id is not None]
        renumber = {old: new for new, old in enumerate(live)}
        self.ids = [self.ids[row] for row in live]
        self.terms = [self.terms[row] for row in live]
        self.counts = [self.counts[row] for row in live]
        self.files = {
            path: (version, [renumber[row] for row in rows])
            for path, (version, rows) in self.files.items()
        }
        self._weights = None

    def _weighted(self) -> _Weights:
        if self._weights is not None:
            return self._weights
        live = [row for row, chunk_id in enumerate(self.ids) if chunk_id is not None]
        sizes = np.fromiter((len(self.terms[row]) for row in live), np.int64, len(live))
        terms = np.concatenate([self.terms[row] for row in live] or [np.zeros(0, np.int32)])
        counts = np.concatenate([self.counts[row] for row in live] or [np.zeros(0, np.float32)])
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        rows = np.repeat(np.arange(len(live)), sizes)
        lengths = np.bincount(rows, weights=counts, minlength=len(live))
        norm = K1 * (1 - B + B * lengths / max(float(lengths.mean()) if live else 1.0, 1e-9))
        # Rows are already in order: build CSR directly (no sort), then one pass to CSC.
        matrix = sparse.csr_matrix(
            (counts / (counts + norm[rows]), terms, bounds),
            shape=(len(live), len(self.vocabulary)),
        ).tocsc()
        document_frequency = np.diff(matrix.indptr)
        idf = np.log(1 + (len(live) - document_frequency + 0.5) / (document_frequency + 0.5))
        position = np.full(len(self.ids), -1, dtype=np.int64)
        position[live] = np.arange(len(live))
        self._weights = _Weights([self.ids[row] or "" for row in live], matrix, idf, position)
        return self._weights

    def search(self, query: str, k: int, paths: Collection[str] | None = None) -> list[Hit]:
        """The ids of the ``k`` best chunks with a positive score, best first.

        Args:
            query: the question.
            k: how many chunks.
            paths: when given, only the chunks of these files (absolute paths) are
                ranked. Term statistics (idf, average length) stay those of the whole
                collection, as a filter in Lucene leaves scores unchanged.
        """
        known = {self.vocabulary[t] for t in tokenize([query])[0] if t in self.vocabulary}
        weights = self._weighted()
        if not known or not weights.ids:
            return []
        columns = np.array(sorted(known))
        scores = weights.matrix[:, columns] @ weights.idf[columns]
        rows = np.arange(len(scores)) if paths is None else self._rows_of(paths, weights)
        if not len(rows):
            return []
        top = rows[np.argpartition(-scores[rows], min(k, len(rows)) - 1)[:k]]
        best = top[np.argsort(-scores[top], kind="stable")]
        return [Hit(weights.ids[i], float(scores[i])) for i in best if scores[i] > 0]

    def document_frequencies(self, terms: Collection[str]) -> tuple[int, dict[str, int]]:
        """The number of live chunks and how many of them hold each of ``terms``
        (tokenized terms; 0 for a term no chunk holds). Read-only, no collection read."""
        weights = self._weighted()
        columns = {t: self.vocabulary[t] for t in terms if t in self.vocabulary}
        held = {
            t: int(weights.matrix.indptr[c + 1] - weights.matrix.indptr[c])
            for t, c in columns.items()
        }
        return len(weights.ids), {t: held.get(t, 0) for t in terms}

    def _rows_of(self, paths: Collection[str], weights: _Weights) -> np.ndarray:
        """The matrix rows of the chunks of ``paths`` (files this state does not hold: none)."""
        rows = [row for path in paths for row in self.files.get(path, ("", []))[1]]
        found = weights.position[np.asarray(rows, dtype=np.int64)]
        return found[found >= 0]

    def save(self, path: Path) -> None:
        """Write the state to ``path`` (.npz) and its ``.json`` sibling, atomically."""
        self._compact()
        path.parent.mkdir(parents=True, exist_ok=True)
        # Unique temporary names: two processes may save the same collection at once.
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as arrays:
            np.savez(
                arrays,
                sizes=np.array([len(t) for t in self.terms], dtype=np.int64),
                terms=np.concatenate(self.terms or [np.zeros(0, np.int32)]).astype(np.int32),
                counts=np.concatenate(self.counts or [np.zeros(0, np.float32)]).astype(np.float32),
            )
        described = {"vocabulary": list(self.vocabulary), "ids": self.ids, "files": self.files}
        with tempfile.NamedTemporaryFile(
            "w", dir=path.parent, suffix=".json", delete=False
        ) as listing:
            json.dump(described, listing)
        os.replace(listing.name, path.with_suffix(".json"))
        os.replace(arrays.name, path)

    @classmethod
    def load(cls, path: Path) -> "Bm25":
        """The state saved at ``path``, or an empty one when there is none or it is unreadable."""
        try:
            described = json.loads(path.with_suffix(".json").read_text())
            with np.load(path) as arrays:
                bounds = np.cumsum(np.concatenate([[0], arrays["sizes"]]))
                terms, counts = arrays["terms"], arrays["counts"]
        except (OSError, ValueError, KeyError):
            return cls()
        if len(bounds) - 1 != len(described["ids"]):
            return cls()
        spans = list(itertools.pairwise(bounds))
        return cls(
            vocabulary={t: i for i, t in enumerate(described["vocabulary"])},
            ids=described["ids"],
            terms=[terms[a:b] for a, b in spans],
            counts=[counts[a:b] for a, b in spans],
            files={p: (v, list(rows)) for p, (v, rows) in described["files"].items()},
        )


def cache_path(settings: Settings) -> Path:
    """Where the BM25 state of ``settings``' index is saved (local even for a Chroma server)."""
    store = hashlib.sha256(f"{settings.chroma_url}|{settings.collection}".encode()).hexdigest()
    return settings.data_dir / "bm25" / f"{settings.collection}-{store[:12]}.npz"


class LiveBm25:
    """A ``Bm25`` kept in step with a ``ChunkIndex``: derived, never a second truth."""

    def __init__(self, index: ChunkIndex, saved: Path | None = None) -> None:
        """Follow ``index``, starting from the state saved at ``saved`` if any."""
        self._index = index
        self._saved = saved
        self._lock = threading.Lock()
        self._version: str | None = None
        self._bm25 = Bm25.load(saved) if saved else Bm25()

    def current(self) -> Bm25:
        """The BM25 index for the collection as it is now (synced if it changed).

        The state returned is never changed afterwards: a change is synced into a
        copy, which replaces it, so a search running meanwhile sees one state only.
        """
        version = self._index.version()
        with self._lock:
            if version != self._version:
                fresh = self._bm25.copy()
                if fresh.sync(self._index) and self._saved:
                    fresh.save(self._saved)
                fresh._weighted()  # built here, once, not by concurrent searches
                self._bm25, self._version = fresh, version
            return self._bm25
