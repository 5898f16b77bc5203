"""The catalog of a deployment: several named document sets (collections), one process.

Each collection is its own index (rag.retrieve.index: a Chroma collection and its file
manifest) with its own BM25 state (rag.retrieve.lexical, saved per collection) and its
own manifest cache (rag.retrieve.scope). What costs seconds or memory once per process,
the embedder and the answerers, is loaded once and shared by the chains over
every collection (``Chain(..., models=...)``); sentence vectors are cached by
content-addressed chunk id, so one cache serves every collection.

A server keeps at most ``max_collections_open`` collections open and closes the
least recently used past that: an open collection holds its BM25 state in memory.
A chain already handed out stays valid after it is closed here; it is merely
no longer shared.
"""

import threading
from collections import OrderedDict
from functools import cached_property
from typing import TYPE_CHECKING

from pydantic import BaseModel

from rag.errors import ChromaUnavailable, NotFound, RagError
from rag.settings import Settings, check_collection_name

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

    from rag.chain import Chain


class CollectionInfo(BaseModel):
    """One collection as `rag collections` and ``GET /api/collections`` list it."""

    name: str
    files: int
    chunks: int
    default: bool


def list_collections(settings: Settings, client: "ClientAPI | None" = None) -> list[CollectionInfo]:
    """Every collection of the deployment ``settings`` describe, with its sizes, by name.

    The default collection is listed even before anything is ingested into it.
    """
    from rag.retrieve.index import collection_names, collection_sizes, open_client

    client = client or open_client(settings)
    try:
        names = collection_names(client)
        sizes = {name: collection_sizes(client, name) for name in names}
    except Exception as error:  # chromadb raises plain exceptions when its server fails
        raise ChromaUnavailable(f"Chroma did not list the collections: {error}") from None
    return [
        CollectionInfo(
            name=name,
            files=sizes.get(name, (0, 0))[0],
            chunks=sizes.get(name, (0, 0))[1],
            default=name == settings.collection,
        )
        for name in sorted({*names, settings.collection})
    ]


def missing_collection(name: str) -> NotFound:
    """What asking collection ``name`` raises when there is none: word for word what
    ``rag.retrieve.index`` says, so that a caller refused a collection (ui.access) cannot tell
    the refusal from a missing collection (tests/ui/test_collection_access.py checks)."""
    return NotFound(
        f"no collection {name!r}: `rag collections` lists them, "
        f"`rag ingest --collection {name} PATH` creates it"
    )


def valid_name(name: str) -> str:
    """``name``, or a ``RagError`` saying what a collection name may hold."""
    try:
        return check_collection_name(name)
    except ValueError as error:
        raise RagError(f"collection {name!r}: {error}") from None


class Collections:
    """The chains over a deployment's collections, sharing the models of one chain."""

    def __init__(self, chain: "Chain") -> None:
        """Serve ``chain``'s collection, and the others with ``chain``'s models."""
        self._default = chain
        self._open: OrderedDict[str, Chain] = OrderedDict()
        self._lock = threading.Lock()

    @cached_property
    def _client(self) -> "ClientAPI":
        from rag.retrieve.index import open_client

        return open_client(self._default.settings)

    def get(self, name: str | None) -> "Chain":
        """The chain answering from collection ``name`` (None: the default collection).

        Raises:
            RagError: ``name`` cannot name a collection.
            NotFound: no collection of that name was ingested.
        """
        settings = self._default.settings
        if name is None or name == settings.collection:
            return self._default
        valid_name(name)
        with self._lock:
            if name in self._open:
                self._open.move_to_end(name)
                return self._open[name]
        from rag.chain import Chain

        chain = Chain(settings.model_copy(update={"collection": name}), models=self._default)
        # Open the index (NotFound when there is none) and load its BM25 state, unlocked.
        _ = chain.retriever
        with self._lock:
            chain = self._open.setdefault(name, chain)  # another thread may have won
            self._open.move_to_end(name)
            while len(self._open) > settings.max_collections_open:
                self._open.popitem(last=False)
        return chain

    def list(self) -> list[CollectionInfo]:
        """Every collection with its sizes."""
        return list_collections(self._default.settings, self._client)
