"""The Chroma index: the one source of truth for chunks, vectors and metadata.

Embedded (``PersistentClient`` under ``data_dir``) by default, a Chroma server
(``HttpClient``) when ``chroma_url`` is set. Every write bumps a ``version`` in
the collection's metadata so derived structures (the BM25 index) can tell,
with one cheap read, whether they are stale.
"""

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings

from rag.errors import RagError
from rag.models import Chunk
from rag.settings import Settings

# Chroma caps one request; 1,000 keeps server round trips few and small.
_BATCH = 1000


def open_client(settings: Settings) -> ClientAPI:
    """An embedded or remote Chroma client, telemetry off."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(
            # Absolute: Chroma caches clients by path string, relative paths would collide.
            path=str((settings.data_dir / "chroma").resolve()),
            settings=chroma_settings,
        )
    url = urlparse(settings.chroma_url)
    if not url.hostname:
        raise RagError(f"RAG_CHROMA_URL {settings.chroma_url!r} is not a URL like http://host:8000")
    try:
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    except Exception as error:  # chromadb raises plain exceptions for connection failures
        raise RagError(
            f"cannot reach the Chroma server at {settings.chroma_url}: {error}"
        ) from error


class ChunkIndex:
    """Chunks and their embeddings in one Chroma collection (cosine space)."""

    def __init__(self, client: ClientAPI, name: str, embedding_model: str) -> None:
        """Open or create the collection and check it was built with ``embedding_model``.

        Args:
            client: the Chroma client.
            name: the collection name.
            embedding_model: the model name recorded with the vectors.
        """
        self._client = client
        self._collection = client.get_or_create_collection(
            name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": embedding_model, "version": "0"},
            embedding_function=None,
        )
        built_with = (self._collection.metadata or {}).get("embedding_model")
        if built_with != embedding_model:
            raise RagError(
                f"the index {name!r} was built with the embedding model {built_with!r}, "
                f"not {embedding_model!r}: use another collection or `rag ingest --reset`"
            )

    def version(self) -> str:
        """A token that changes whenever the collection's content changes."""
        return str(self._fresh_metadata().get("version", "0"))

    def _fresh_metadata(self) -> dict[str, Any]:
        # Another process (a second app replica, `rag ingest`) may have written since.
        return dict(self._client.get_collection(self._collection.name).metadata or {})

    def _bump_version(self) -> None:
        metadata = self._fresh_metadata()
        metadata["version"] = uuid.uuid4().hex
        self._collection.modify(metadata=metadata)

    def count(self) -> int:
        """Number of chunks in the index."""
        return self._collection.count()

    def ids_by_path(self) -> dict[str, set[str]]:
        """Chunk ids grouped by the absolute path of their file."""
        result = self._collection.get(include=["metadatas"])
        grouped: dict[str, set[str]] = {}
        for chunk_id, metadata in zip(result["ids"], result["metadatas"] or [], strict=True):
            grouped.setdefault(str(metadata["path"]), set()).add(chunk_id)
        return grouped

    def sources(self) -> Counter[str]:
        """Chunk counts per source file."""
        result = self._collection.get(include=["metadatas"])
        return Counter(str(m["source"]) for m in result["metadatas"] or [])

    def delete_source(self, source: str) -> int:
        """Remove every chunk of ``source``; returns how many there were."""
        ids = self._collection.get(where={"source": source}, include=[])["ids"]
        self.delete(ids)
        return len(ids)

    def add(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Upsert chunks with their embeddings."""
        for at in range(0, len(chunks), _BATCH):
            batch = chunks[at : at + _BATCH]
            self._collection.upsert(
                ids=[c.id for c in batch],
                embeddings=np.asarray(vectors[at : at + _BATCH], dtype=np.float32),
                documents=[c.text for c in batch],
                metadatas=[c.model_dump(exclude={"id", "text"}) for c in batch],
            )
        if chunks:
            self._bump_version()

    def delete(self, ids: Iterable[str]) -> None:
        """Remove chunks by id."""
        ids = list(ids)
        for at in range(0, len(ids), _BATCH):
            self._collection.delete(ids=ids[at : at + _BATCH])
        if ids:
            self._bump_version()

    def all_chunks(self) -> list[Chunk]:
        """Every chunk, in a stable order (for derived indexes such as BM25)."""
        result = self._collection.get(include=["documents", "metadatas"])
        chunks = [
            _to_chunk(chunk_id, text, metadata)
            for chunk_id, text, metadata in zip(
                result["ids"], result["documents"] or [], result["metadatas"] or [], strict=True
            )
        ]
        return sorted(chunks, key=lambda c: (c.path, c.start, c.id))

    def search(self, vector: Sequence[float], k: int) -> list[tuple[Chunk, float]]:
        """The ``k`` nearest chunks with their cosine similarity, best first."""
        if k <= 0 or self.count() == 0:
            return []
        result = self._collection.query(
            query_embeddings=np.asarray([vector], dtype=np.float32),
            n_results=k,
            include=["documents", "metadatas", "distances"],
        )
        rows = zip(
            result["ids"][0],
            (result["documents"] or [[]])[0],
            (result["metadatas"] or [[]])[0],
            (result["distances"] or [[]])[0],
            strict=True,
        )
        return [(_to_chunk(i, text, meta), 1.0 - distance) for i, text, meta, distance in rows]


def _to_chunk(chunk_id: str, text: str | None, metadata: Any) -> Chunk:
    return Chunk(id=chunk_id, text=text or "", **dict(metadata))


def open_index(settings: Settings) -> ChunkIndex:
    """The index described by ``settings``."""
    return ChunkIndex(open_client(settings), settings.collection, settings.embedding_model)
