"""The Chroma index: the one source of truth for chunks, vectors and metadata.

Embedded (``PersistentClient`` under ``data_dir``) by default, a Chroma server
(``HttpClient``) when ``chroma_url`` is set. Two collections per index:

- ``<name>``: one record per chunk (text, vector, metadata);
- ``<name>.files``: one record per ingested file (its digest, chunk count and a
  version that changes whenever that file's chunks change). Incremental ingest,
  source listings and the BM25 side read this small manifest instead of every chunk.

Nothing reads a whole collection in one call: SQLite, under Chroma, refuses a
statement with more than 32,766 variables, so every read is paged. Every write
bumps a ``version`` in the chunk collection's metadata, so derived structures
(the BM25 index) can tell with one cheap read whether they are stale.
"""

import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from pydantic import BaseModel

from rag.errors import ChromaUnavailable, RagError
from rag.models import Chunk
from rag.settings import Settings

# Records per request: far below SQLite's variable limit, few server round trips.
PAGE = 1000
# The record layout this code writes; older indexes (offset-based ids, no file
# manifest) are refused with a clear message rather than half-read.
LAYOUT = "2"
_FILES_SUFFIX = ".files"


class FileRecord(BaseModel):
    """What the index holds for one file: enough to skip it when it has not changed."""

    path: str
    source: str
    digest: str
    chunks: int
    version: str


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
        raise ChromaUnavailable(
            f"cannot reach the Chroma server at {settings.chroma_url}: {error}"
        ) from error


def _paged(collection: Collection, **query: Any) -> Iterator[dict[str, Any]]:
    """``collection.get(**query)`` one page at a time."""
    offset = 0
    while True:
        page = collection.get(**query, limit=PAGE, offset=offset)
        if not page["ids"]:
            return
        yield dict(page)
        offset += len(page["ids"])


class ChunkIndex:
    """Chunks and their embeddings in one Chroma collection (cosine space)."""

    def __init__(self, client: ClientAPI, name: str, embedder: str) -> None:
        """Open or create the collections and check they were built by ``embedder``.

        Args:
            client: the Chroma client.
            name: the collection name.
            embedder: what embeds the vectors (model and backend), recorded with them.
        """
        self._client = client
        self._name = name
        self._embedder = embedder
        self._collection = self._client.get_or_create_collection(
            self._name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": self._embedder, "version": "0", "layout": LAYOUT},
            embedding_function=None,
        )
        # The manifest needs no vectors; Chroma stores a 1-dimensional one per record.
        self._files = self._client.get_or_create_collection(
            self._name + _FILES_SUFFIX, embedding_function=None
        )
        metadata = self._collection.metadata or {}
        built_with = metadata.get("embedding_model")
        if built_with != self._embedder:
            raise RagError(
                f"the index {self._name!r} was embedded by {built_with!r}, not by "
                f"{self._embedder!r}: use another collection or `rag ingest --reset`"
            )
        if metadata.get("layout") != LAYOUT and self._collection.count():
            raise RagError(
                f"the index {self._name!r} was built by an older version of rag-chat: "
                "rebuild it with `rag ingest --reset`"
            )

    def version(self) -> str:
        """A token that changes whenever the collection's content changes."""
        return str(self._fresh_metadata().get("version", "0"))

    def _fresh_metadata(self) -> dict[str, Any]:
        # Another process (a second app replica, `rag ingest`) may have written since.
        return dict(self._client.get_collection(self._name).metadata or {})

    def _bump_version(self) -> None:
        metadata = self._fresh_metadata()
        metadata["version"] = uuid.uuid4().hex
        self._collection.modify(metadata=metadata)

    def begin_ingest(self) -> None:
        """Mark the index as being changed; ``end_ingest`` clears the mark."""
        metadata = self._fresh_metadata()
        metadata["ingest_started"] = datetime.now(UTC).isoformat(timespec="seconds")
        self._collection.modify(metadata=metadata)

    def end_ingest(self) -> None:
        """Clear the mark of ``begin_ingest``: the index matches the files ingested."""
        metadata = self._fresh_metadata()
        metadata["ingest_started"] = ""
        self._collection.modify(metadata=metadata)

    def unfinished_ingest(self) -> str | None:
        """A sentence saying an ingest is running or was interrupted, or None."""
        started = self._fresh_metadata().get("ingest_started")
        if not started:
            return None
        return (
            f"the ingest started at {started} did not finish (it is still running, or it "
            "was interrupted): answers may miss documents; run `rag ingest` again"
        )

    def count(self) -> int:
        """Number of chunks in the index."""
        return self._collection.count()

    # The file manifest.

    def files(self) -> dict[str, FileRecord]:
        """Every ingested file's record, by absolute path."""
        records = {}
        for page in _paged(self._files, include=["metadatas"]):
            for metadata in page["metadatas"]:
                record = FileRecord.model_validate(metadata)
                records[record.path] = record
        return records

    def record_files(self, records: Sequence[FileRecord]) -> None:
        """Write the manifest records of files whose chunks are all in the index."""
        for at in range(0, len(records), PAGE):
            batch = records[at : at + PAGE]
            self._files.upsert(
                ids=[_file_id(r.path) for r in batch],
                embeddings=np.ones((len(batch), 1), dtype=np.float32),
                metadatas=[r.model_dump() for r in batch],
            )

    def forget_file(self, path: str) -> int:
        """Remove a file's chunks, then its record; returns how many chunks there were."""
        ids = list(self.chunk_spans(path))
        self.delete(ids)
        self._files.delete(ids=[_file_id(path)])
        return len(ids)

    def sources(self) -> Counter[str]:
        """Chunk counts per source file (from the manifest: no chunk is read)."""
        return Counter({r.source: r.chunks for r in self.files().values()})

    def delete_source(self, source: str) -> int:
        """Remove every chunk of ``source``; returns how many there were."""
        paths = [p for p, r in self.files().items() if r.source == source]
        return sum(self.forget_file(path) for path in paths)

    # Chunks.

    def chunk_spans(self, path: str) -> dict[str, dict[str, Any]]:
        """The metadata of each chunk of the file at ``path``, by chunk id."""
        spans: dict[str, dict[str, Any]] = {}
        for page in _paged(self._collection, where={"path": path}, include=["metadatas"]):
            spans.update(zip(page["ids"], page["metadatas"], strict=True))
        return spans

    def chunks_of(self, path: str) -> list[Chunk]:
        """Every chunk of the file at ``path``, in text order."""
        chunks = [
            chunk
            for page in _paged(
                self._collection, where={"path": path}, include=["documents", "metadatas"]
            )
            for chunk in _to_chunks(page)
        ]
        return sorted(chunks, key=lambda c: (c.start, c.id))

    def iter_chunks(self) -> Iterator[Chunk]:
        """Every chunk, a page at a time (order unspecified)."""
        for page in _paged(self._collection, include=["documents", "metadatas"]):
            yield from _to_chunks(page)

    def get(self, ids: Sequence[str]) -> list[Chunk]:
        """The chunks with these ids, in the order given (missing ids are left out)."""
        found: dict[str, Chunk] = {}
        for at in range(0, len(ids), PAGE):
            page = self._collection.get(
                ids=list(ids[at : at + PAGE]), include=["documents", "metadatas"]
            )
            found.update((c.id, c) for c in _to_chunks(dict(page)))
        return [found[i] for i in ids if i in found]

    def add(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Upsert chunks with their embeddings."""
        for at in range(0, len(chunks), PAGE):
            batch = chunks[at : at + PAGE]
            self._collection.upsert(
                ids=[c.id for c in batch],
                embeddings=np.asarray(vectors[at : at + PAGE], dtype=np.float32),
                documents=[c.text for c in batch],
                metadatas=[_metadata(c) for c in batch],
            )
        if chunks:
            self._bump_version()

    def move(self, chunks: Sequence[Chunk]) -> None:
        """Give existing chunks new metadata (offsets, section) without re-embedding."""
        for at in range(0, len(chunks), PAGE):
            batch = chunks[at : at + PAGE]
            self._collection.update(
                ids=[c.id for c in batch], metadatas=[_metadata(c) for c in batch]
            )
        if chunks:
            self._bump_version()

    def delete(self, ids: Iterable[str]) -> None:
        """Remove chunks by id."""
        ids = list(ids)
        for at in range(0, len(ids), PAGE):
            self._collection.delete(ids=ids[at : at + PAGE])
        if ids:
            self._bump_version()

    def search(self, vector: Sequence[float], k: int) -> list[tuple[Chunk, float]]:
        """The ``k`` nearest chunks with their cosine similarity, best first."""
        if k <= 0 or self.count() == 0:
            return []
        result = self._collection.query(
            query_embeddings=np.asarray([vector], dtype=np.float32),
            n_results=k,
            include=["documents", "metadatas", "distances"],
        )
        page = {
            "ids": result["ids"][0],
            "documents": (result["documents"] or [[]])[0],
            "metadatas": (result["metadatas"] or [[]])[0],
        }
        distances = (result["distances"] or [[]])[0]
        return [
            (chunk, 1.0 - distance)
            for chunk, distance in zip(_to_chunks(page), distances, strict=True)
        ]


def _file_id(path: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, path).hex


def _metadata(chunk: Chunk) -> dict[str, Any]:
    return chunk.model_dump(exclude={"id", "text"})


def _to_chunks(page: dict[str, Any]) -> Iterator[Chunk]:
    for chunk_id, text, metadata in zip(
        page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True
    ):
        yield Chunk(id=chunk_id, text=text or "", **dict(metadata))


def reset_index(settings: Settings) -> None:
    """Drop the chunks and file records of ``settings``' index, whatever embedded them."""
    client = open_client(settings)
    existing = {c.name for c in client.list_collections()}
    for name in (settings.collection, settings.collection + _FILES_SUFFIX):
        if name in existing:
            client.delete_collection(name)


def open_index(settings: Settings) -> ChunkIndex:
    """The index described by ``settings``."""
    from rag.embeddings import embedder_id

    return ChunkIndex(open_client(settings), settings.collection, embedder_id(settings))
