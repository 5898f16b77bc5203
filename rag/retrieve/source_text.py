"""A document's extracted text, put back together from its chunks in the index.

The source view shows the text that citation offsets point into. The index
already holds it, chunk by chunk (in text order, overlapping); each chunk keeps
the white space between the text before it and its own start (``Chunk.gap``), so
the text is rebuilt exactly up to the end of its last chunk, without reading the
file again: the file may have changed since, or be on another machine than this
replica of the server. Reading one file's chunks is a paged ``where`` on its path,
never a read of the whole collection.
"""

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.retrieve.index import ChunkIndex, FileRecord
from rag.schema import Chunk, Location


@dataclass(frozen=True)
class SourceText:
    """One ingested file's record, its chunks in text order and the text they were cut from."""

    record: FileRecord
    chunks: list[Chunk]
    text: str

    @property
    def pages(self) -> list[tuple[int, int]]:
        """(offset, number) of each PDF page with text."""
        return _marks(self.chunks, lambda c: c.pages)

    @property
    def slides(self) -> list[tuple[int, int]]:
        """(offset, number) of each slide with text."""
        return _marks(self.chunks, lambda c: c.slides)

    def location(self, offset: int) -> Location | None:
        """Where the text at ``offset`` is (as in a citation); None for plain text."""
        starts = [c.start for c in self.chunks]
        at = bisect.bisect_right(starts, offset) - 1
        return self.chunks[at].location(offset) if at >= 0 else None


def _marks(
    chunks: Sequence[Chunk], of: Callable[[Chunk], list[tuple[int, int]] | None]
) -> list[tuple[int, int]]:
    """The (offset, number) marks of all ``chunks``, each once, in text order."""
    return sorted({mark for chunk in chunks for mark in of(chunk) or []})


def assemble(chunks: Sequence[Chunk]) -> str:
    """The text ``chunks`` (in text order) were cut from, up to the last one's end.

    Chunks of an index written before gaps were kept have none: their gaps become
    spaces, so every offset still points where it did.
    """
    parts: list[str] = []
    covered = 0
    for chunk in chunks:
        if chunk.start > covered:
            missing = chunk.start - covered
            parts.append(chunk.gap if len(chunk.gap) == missing else " " * missing)
            covered = chunk.start
        if chunk.end > covered:
            parts.append(chunk.text[covered - chunk.start :])
            covered = chunk.end
    return "".join(parts)


def source_text(index: ChunkIndex, record: FileRecord) -> SourceText:
    """The extracted text of the file ``record`` describes (one of ``index``'s files)."""
    chunks = index.chunks_of(record.path)  # sorted by start
    return SourceText(record, chunks, assemble(chunks))
