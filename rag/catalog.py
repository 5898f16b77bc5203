"""The catalogue of a deployment: a chain over each collection asked for, one process.

Each collection is its own index (rag.retrieve.index: a Chroma collection and its
file manifest) with its own BM25 state (rag.retrieve.lexical, saved per collection)
and its own manifest cache (rag.retrieve.scope). What costs seconds or memory once
per process, the embedder and the answerers, is loaded once (rag.shared) and shared
by the chains over every collection. The surfaces (the CLI, the server) hold a
``Collections``; a ``Chain`` knows nothing of the others.

A server keeps at most ``max_collections_open`` collections open and closes the
least recently used past that: an open collection holds its BM25 state in memory.
A chain already handed out stays valid after it is closed here; it is merely
no longer shared.
"""

import threading
from collections import OrderedDict
from functools import cached_property
from typing import TYPE_CHECKING

from rag.chain import Chain
from rag.retrieve.collections import CollectionInfo, list_collections, valid_name
from rag.settings import Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI


class Collections:
    """The chains over a deployment's collections, sharing the models of its default
    chain."""

    def __init__(self, default: Chain) -> None:
        """Serve ``default``'s collection with it, and the others with its models."""
        self.default = default
        self._open: OrderedDict[str, Chain] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def settings(self) -> Settings:
        """The deployment's settings (its default collection's)."""
        return self.default.settings

    @cached_property
    def _client(self) -> "ClientAPI":
        from rag.retrieve.index import open_client

        return open_client(self.settings)

    def get(self, name: str | None) -> Chain:
        """The chain answering from collection ``name`` (None: the default collection).

        Raises:
            RagError: ``name`` cannot name a collection.
            NotFound: no collection of that name was ingested.
        """
        settings = self.settings
        if name is None or name == settings.collection:
            return self.default
        valid_name(name)
        with self._lock:
            if name in self._open:
                self._open.move_to_end(name)
                return self._open[name]
        chain = Chain(settings.model_copy(update={"collection": name}), models=self.default.models)
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
        return list_collections(self.settings, self._client)
