"""Sentence vectors of chunks, kept on disk so a passage is embedded once, ever.

Chunk ids are content addresses, so the vectors stored for an id stay right
for as long as that id exists; the file is keyed by the embedder as well. It is
a cache beside Chroma, not a second truth: deleting it costs only time.
SQLite (in the standard library) gives safe concurrent use from the server's
threads and from several processes.
"""

import hashlib
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rag.settings import Settings


class SentenceStore:
    """float16 sentence vectors by chunk id, in one SQLite file."""

    def __init__(self, folder: Path, embedder: str) -> None:
        """Open (or create) the store of ``embedder``'s vectors under ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(embedder.encode()).hexdigest()[:12]
        self._db = sqlite3.connect(folder / f"sentences-{name}.sqlite3", check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS sentences "
                "(chunk TEXT PRIMARY KEY, dims INTEGER, vectors BLOB)"
            )

    def get(self, chunk_ids: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored vectors (one row per sentence) of those chunks that have them."""
        ids = list(chunk_ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        with self._lock:
            rows = self._db.execute(
                f"SELECT chunk, dims, vectors FROM sentences WHERE chunk IN ({marks})", ids
            ).fetchall()
        return {
            chunk: np.frombuffer(blob, dtype=np.float16).reshape(-1, dims).astype(np.float32)
            for chunk, dims, blob in rows
        }

    def delete(self, chunk_ids: Iterable[str]) -> None:
        """Forget the vectors of chunks no longer indexed."""
        rows = [(chunk,) for chunk in chunk_ids]
        with self._lock, self._db:
            self._db.executemany("DELETE FROM sentences WHERE chunk = ?", rows)

    def put(self, vectors: dict[str, np.ndarray]) -> None:
        """Store the sentence vectors of some chunks (each a 2-D array)."""
        rows = [
            (chunk, int(v.shape[1]) if v.ndim == 2 else 0, v.astype(np.float16).tobytes())
            for chunk, v in vectors.items()
        ]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO sentences VALUES (?, ?, ?)", rows)


def sentence_store(settings: "Settings") -> SentenceStore:
    """The store of the embedder ``settings`` choose, under ``data_dir/cache``."""
    from rag.models.embeddings import embedder_id

    return SentenceStore(settings.data_dir / "cache", embedder_id(settings))
