"""Source filters: restrict a question to the files under some path prefixes.

A prefix names a folder or a file by whole path components, as sources are
shown (``docs/policies/`` matches ``docs/policies/leave.md``, not
``docs/policies-old/x.md``); an absolute prefix also matches the files' absolute
paths. The filter is resolved against the index's file manifest, which is kept
in memory and read again only when the index changes, into the set of matching
file paths. Both retrievers then rank inside that set: the dense side through a
Chroma ``where`` on ``path`` and the BM25 side over those files' rows. Chroma's
metadata filters have no prefix operator, and resolving through the manifest
needs nothing new in the chunks, so indexes built before filters existed work too.
"""

import posixpath
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.errors import NotFound, RagError

if TYPE_CHECKING:  # the API imports this module; Chroma loads only with the index
    from rag.retrieve.index import ChunkIndex

# Enough for any real question; keeps a request from naming thousands of prefixes.
MAX_PREFIXES = 20
MAX_PREFIX_CHARS = 1000


def _normalised(prefix: str) -> str:
    text = prefix.strip().replace("\\", "/")
    if not text:
        raise RagError("a source filter is empty: give a folder or file such as docs/policies/")
    if len(text) > MAX_PREFIX_CHARS:
        raise RagError(f"a source filter is longer than {MAX_PREFIX_CHARS} characters")
    return posixpath.normpath(text)


def _under(name: str, prefix: str) -> bool:
    if prefix in (".", "/"):
        return prefix == "." or name.startswith("/")
    return name == prefix or name.startswith(prefix.rstrip("/") + "/")


@dataclass(frozen=True)
class SourceScope:
    """The path prefixes a question is restricted to (any of them)."""

    prefixes: tuple[str, ...]

    @classmethod
    def parse(cls, sources: Sequence[str]) -> "SourceScope | None":
        """The scope of these prefixes, or None when there are none (no filter).

        Raises:
            RagError: a prefix is empty or too long, or there are too many.
        """
        if not sources:
            return None
        if len(sources) > MAX_PREFIXES:
            raise RagError(f"more than {MAX_PREFIXES} source filters")
        return cls(tuple(dict.fromkeys(_normalised(s) for s in sources)))

    def matches(self, source: str, path: str) -> bool:
        """Whether the file shown as ``source`` (at absolute ``path``) is in scope."""
        name = posixpath.normpath(source.replace("\\", "/"))
        return any(
            _under(name, p) or (p.startswith("/") and _under(path, p)) for p in self.prefixes
        )

    def describe(self) -> str:
        """The prefixes, for messages."""
        return " or ".join(self.prefixes)


class LiveFiles:
    """The sources of an index's files by path, read again only when the index changes."""

    def __init__(self, index: "ChunkIndex") -> None:
        """Follow ``index``'s file manifest."""
        self._index = index
        self._lock = threading.Lock()
        self._version: str | None = None
        self._sources: dict[str, str] = {}

    def paths_in(self, scope: SourceScope) -> list[str]:
        """The absolute paths of the files in ``scope``.

        Raises:
            NotFound: no file of the index is in scope.
        """
        version = self._index.version()
        with self._lock:
            if version != self._version:
                self._sources = {p: r.source for p, r in self._index.files().items()}
                self._version = version
            sources = self._sources
        paths = [path for path, source in sources.items() if scope.matches(source, path)]
        if not paths:
            raise NotFound(
                f"no documents under {scope.describe()} in collection {self._index.name!r}"
            )
        return paths
