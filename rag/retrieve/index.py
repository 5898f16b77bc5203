"""The Chroma index: the one source of truth for chunks, vectors and metadata.

Embedded (``PersistentClient`` under ``data_dir``) by default, a Chroma server
(``HttpClient``) when ``chroma_url`` is set. Several named collections (document
sets) can share one client; each is two Chroma collections:

- ``<name>``: one record per chunk (text, vector, metadata);
- ``<name>.files``: one record per ingested file (its digest, chunk count and a
  version that changes whenever that file's chunks change). Incremental ingest,
  source listings and the BM25 side read this small manifest instead of every chunk.

Nothing reads a whole collection in one call: SQLite, under Chroma, refuses a
statement with more than 32,766 variables, so every read is paged. Every write
bumps a ``version`` in the chunk collection's metadata, so derived structures
(the BM25 index) can tell with one cheap read whether they are stale.
"""

import functools
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError
from pydantic import BaseModel

from rag.errors import ChromaUnavailable, NotFound, RagError
from rag.schema import Chunk, source_id
from rag.settings import Settings

# Records per request: far below SQLite's variable limit, few server round trips.
PAGE = 1000
# The record layout this code writes; older indexes (offset-based ids, no file
# manifest) are refused with a clear message rather than half-read.
LAYOUT = "2"
_FILES_SUFFIX = ".files"
# The collection a fresh install answers from (empty until ``rag ingest``).
DEFAULT_COLLECTION = str(Settings.model_fields["collection"].default)
P = ParamSpec("P")
R = TypeVar("R")
# Chroma names are at least 3 characters; shorter collection names (``hr``) get this
# suffix there. Collection names hold no dot, so no name can collide with another's.
_SHORT_SUFFIX = ".collection"
# File paths per filtered dense query: a ``$in`` list far below SQLite's variable limit.
_PATHS_PER_QUERY = 1000


def chroma_name(name: str) -> str:
    """The Chroma collection holding the chunks of collection ``name``."""
    return name if len(name) >= 3 else name + _SHORT_SUFFIX


def collection_names(client: ClientAPI) -> list[str]:
    """The collections this project made in ``client`` (those with a file manifest), sorted."""
    names = {c.name for c in client.list_collections()}
    return sorted(
        name.removesuffix(_SHORT_SUFFIX)
        for name in names
        if not name.endswith(_FILES_SUFFIX) and name + _FILES_SUFFIX in names
    )


def collection_sizes(client: ClientAPI, name: str) -> tuple[int, int]:
    """(files, chunks) of collection ``name``, whatever embedded it."""
    chunks = client.get_collection(chroma_name(name)).count()
    return client.get_collection(chroma_name(name) + _FILES_SUFFIX).count(), chunks


def collection_exists(client: ClientAPI, name: str) -> bool:
    """Whether collection ``name`` holds an index (chunks and a file manifest)."""
    try:
        client.get_collection(chroma_name(name) + _FILES_SUFFIX)
        client.get_collection(chroma_name(name))
    except (NotFoundError, ValueError):
        return False
    return True


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
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
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


def _followed(
    method: Callable[Concatenate["ChunkIndex", P], R],
) -> Callable[Concatenate["ChunkIndex", P], R]:
    """Run ``method``; when its collection was removed since it was opened (another
    process ran ``rag ingest --reset``), rebind to the one now under that name and run
    it once more. A long-running server thus follows a rebuilt collection."""

    @functools.wraps(method)
    def run(self: "ChunkIndex", *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except NotFoundError:
            self._rebind()
            return method(self, *args, **kwargs)

    return run


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

    def __init__(self, client: ClientAPI, name: str, embedder: str, *, create: bool = True) -> None:
        """Open (or create) the collections and check they were built by ``embedder``.

        Args:
            client: the Chroma client.
            name: the collection name.
            embedder: what embeds the vectors (model and backend), recorded with them.
            create: create the collection when there is none; otherwise ``NotFound``.

        Raises:
            NotFound: there is no such collection and ``create`` is false.
        """
        self._client = client
        self._name = name
        self._chroma_name = chroma_name(name)
        self._embedder = embedder
        if not create and not collection_exists(client, name):
            raise NotFound(
                f"no collection {name!r}: `rag collections` lists them, "
                f"`rag ingest --collection {name} PATH` creates it"
            )
        self._collection = self._client.get_or_create_collection(
            self._chroma_name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": self._embedder, "version": "0", "layout": LAYOUT},
            embedding_function=None,
        )
        # The manifest needs no vectors; Chroma stores a 1-dimensional one per record.
        self._files = self._client.get_or_create_collection(
            self._chroma_name + _FILES_SUFFIX, embedding_function=None
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

    @property
    def name(self) -> str:
        """The collection's name."""
        return self._name

    def _removed(self) -> NotFound:
        return NotFound(
            f"the collection {self._name!r} was removed: ingest it again "
            f"(`rag ingest --collection {self._name} PATH`)"
        )

    def _rebind(self) -> None:
        """Use the collections now under this name (the ones opened were removed)."""
        try:
            self._collection = self._client.get_collection(
                self._chroma_name, embedding_function=None
            )
            self._files = self._client.get_collection(
                self._chroma_name + _FILES_SUFFIX, embedding_function=None
            )
        except NotFoundError:
            raise self._removed() from None

    def version(self) -> str:
        """A token that changes whenever the collection's content changes."""
        return str(self._fresh_metadata().get("version", "0"))

    def _fresh_metadata(self) -> dict[str, Any]:
        # Another process (a second app replica, `rag ingest`) may have written since.
        try:
            return dict(self._client.get_collection(self._chroma_name).metadata or {})
        except NotFoundError:
            raise self._removed() from None

    def _bump_version(self) -> None:
        metadata = self._fresh_metadata()
        metadata["version"] = uuid.uuid4().hex
        self._collection.modify(metadata=metadata)

    def examples(self) -> list[str]:
        """The example questions the ingested corpus names (its ``.rag-examples`` file)."""
        stored = self._fresh_metadata().get("examples")
        return list(json.loads(stored)) if isinstance(stored, str) and stored else []

    def set_examples(self, questions: Sequence[str]) -> None:
        """Record the corpus's example questions (replacing any recorded before)."""
        metadata = self._fresh_metadata()
        metadata["examples"] = json.dumps(list(questions))
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

    @_followed
    def count(self) -> int:
        """Number of chunks in the index."""
        return self._collection.count()

    # The file manifest.

    @_followed
    def files(self) -> dict[str, FileRecord]:
        """Every ingested file's record, by absolute path."""
        records = {}
        for page in _paged(self._files, include=["metadatas"]):
            for metadata in page["metadatas"]:
                record = FileRecord.model_validate(metadata)
                records[record.path] = record
        return records

    @_followed
    def file_record(self, file_id: str) -> FileRecord | None:
        """The record of the file whose id (``rag.schema.source_id``) is ``file_id``."""
        found = self._files.get(ids=[file_id], include=["metadatas"])
        metadatas = found["metadatas"] or []
        return FileRecord.model_validate(metadatas[0]) if metadatas else None

    def record_files(self, records: Sequence[FileRecord]) -> None:
        """Write the manifest records of files whose chunks are all in the index."""
        for at in range(0, len(records), PAGE):
            batch = records[at : at + PAGE]
            self._files.upsert(
                ids=[source_id(r.path) for r in batch],
                embeddings=np.ones((len(batch), 1), dtype=np.float32),
                metadatas=[r.model_dump() for r in batch],
            )

    def forget_file(self, path: str) -> int:
        """Remove a file's chunks, then its record; returns how many chunks there were."""
        ids = list(self.chunk_spans(path))
        self.delete(ids)
        self._files.delete(ids=[source_id(path)])
        return len(ids)

    def sources(self) -> Counter[str]:
        """Chunk counts per source file (from the manifest: no chunk is read)."""
        return Counter({r.source: r.chunks for r in self.files().values()})

    def delete_source(self, source: str) -> int:
        """Remove every chunk of ``source``; returns how many there were."""
        paths = [p for p, r in self.files().items() if r.source == source]
        return sum(self.forget_file(path) for path in paths)

    # Chunks.

    @_followed
    def chunk_spans(self, path: str) -> dict[str, dict[str, Any]]:
        """The metadata of each chunk of the file at ``path``, by chunk id."""
        spans: dict[str, dict[str, Any]] = {}
        for page in _paged(self._collection, where={"path": path}, include=["metadatas"]):
            spans.update(zip(page["ids"], page["metadatas"], strict=True))
        return spans

    @_followed
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

    @_followed
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
                metadatas=[c.metadata() for c in batch],
            )
        if chunks:
            self._bump_version()

    def move(self, chunks: Sequence[Chunk]) -> None:
        """Give existing chunks new metadata (offsets, section) without re-embedding."""
        for at in range(0, len(chunks), PAGE):
            batch = chunks[at : at + PAGE]
            self._collection.update(
                ids=[c.id for c in batch], metadatas=[c.metadata() for c in batch]
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

    @_followed
    def copies(self, fingerprints: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        """The (chunk id, source) of every chunk holding each of ``fingerprints``' texts:
        one filtered read of at most a few rows a text, never the whole collection."""
        found: dict[str, list[tuple[str, str]]] = {}
        wanted = list(dict.fromkeys(fingerprints))
        for at in range(0, len(wanted), PAGE):
            where: Any = {"fingerprint": {"$in": wanted[at : at + PAGE]}}
            page = self._collection.get(where=where, include=["metadatas"])
            for chunk_id, metadata in zip(page["ids"], page["metadatas"] or [], strict=True):
                key = str(metadata["fingerprint"])
                found.setdefault(key, []).append((chunk_id, str(metadata["source"])))
        return found

    @_followed
    def search(
        self, vector: Sequence[float], k: int, paths: Sequence[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        """The ``k`` nearest chunks with their cosine similarity, best first.

        Args:
            vector: the query's embedding.
            k: how many chunks.
            paths: when given, only chunks of the files at these absolute paths are
                searched (a ``where`` filter inside Chroma's search, a query per
                1,000 paths, merged by similarity).
        """
        if k <= 0 or self.count() == 0:
            return []
        if paths is None:
            return self._nearest(vector, k, None)
        found = [
            hit
            for at in range(0, len(paths), _PATHS_PER_QUERY)
            for hit in self._nearest(vector, k, list(paths[at : at + _PATHS_PER_QUERY]))
        ]
        return sorted(found, key=lambda hit: -hit[1])[:k]

    def _nearest(
        self, vector: Sequence[float], k: int, paths: list[str] | None
    ) -> list[tuple[Chunk, float]]:
        where: Any = None if paths is None else {"path": {"$in": paths}}
        result = self._collection.query(
            query_embeddings=np.asarray([vector], dtype=np.float32),
            n_results=k,
            where=where,
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


def _to_chunks(page: dict[str, Any]) -> Iterator[Chunk]:
    for chunk_id, text, metadata in zip(
        page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True
    ):
        yield Chunk.from_record(chunk_id, text or "", dict(metadata))


def reset_index(settings: Settings) -> None:
    """Drop the chunks and file records of ``settings``' index, whatever embedded them."""
    client = open_client(settings)
    existing = {c.name for c in client.list_collections()}
    name = chroma_name(settings.collection)
    for chroma in (name, name + _FILES_SUFFIX):
        if chroma in existing:
            client.delete_collection(chroma)


def open_index(settings: Settings, *, create: bool = False) -> ChunkIndex:
    """The index described by ``settings``.

    Only ingest creates a collection (``create``); opening one that does not exist
    to ask it is ``NotFound``. The built-in default collection is the exception: a
    fresh install has it, empty, so that asking says to run ``rag ingest``.
    """
    from rag.models.embeddings import embedder_id

    create = create or settings.collection == DEFAULT_COLLECTION
    return ChunkIndex(
        open_client(settings), settings.collection, embedder_id(settings), create=create
    )
