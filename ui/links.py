"""Signed links to the source view and to original PDFs, made for one caller
(ui.source serves them; ui.tokens signs them)."""

from urllib.parse import urlencode

from ui.access import Caller
from ui.security import Guard


class SourceLinks:
    """Signed links to the source view and original PDFs of citations from one collection,
    for one caller."""

    def __init__(
        self,
        guard: Guard,
        default: str,
        collection: str | None = None,
        caller: Caller | None = None,
    ) -> None:
        """Sign with ``guard``'s key, for ``collection`` (None: the server's ``default``,
        which links leave unnamed) and ``caller`` (None: anonymous)."""
        self._guard = guard
        self._default = default
        self._collection = collection or default
        self._caller = caller or Caller()
        self._named = {"collection": self._collection} if self._collection != default else {}

    def in_collection(self, collection: str | None) -> "SourceLinks":
        """The links of citations from ``collection`` (None: the default one)."""
        return SourceLinks(self._guard, self._default, collection, self._caller)

    def for_caller(self, caller: Caller) -> "SourceLinks":
        """The same links, made for ``caller``."""
        return SourceLinks(self._guard, self._default, self._collection, caller)

    def _query(self, file_id: str, **values: int) -> str:
        token = self._guard.tokens.source_token(self._collection, file_id, self._caller)
        return urlencode({**values, **self._named, "token": token})

    def view(self, file_id: str, start: int, end: int, prefix: str = "") -> str:
        """``source/{id}?...#quote``: the document with ``start``-``end`` marked."""
        return f"{prefix}source/{file_id}?{self._query(file_id, start=start, end=end)}#quote"

    def original(self, file_id: str, page: int | None, prefix: str = "") -> str | None:
        """``file/{id}?...#page=N``: the PDF at ``page`` (None when there is no page)."""
        if page is None:
            return None
        return f"{prefix}file/{file_id}?{self._query(file_id)}#page={page}"
