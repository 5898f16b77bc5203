"""Text put together from blocks (paragraphs, table rows, pages), with exact offsets.

HTML, PDF, Word and PowerPoint files have no text of their own to cite: their
loaders add each block here, one paragraph each (blocks are separated by a blank
line), and keep the offsets it returns for headings, pages and slides.
"""

import re
from dataclasses import dataclass, field

from ingest.document import Heading
from rag.text import Span

SEPARATOR = "\n\n"
_SPACES = re.compile(r"[ \t\n\r\f]+")  # what CSS collapses; a no-break space is kept


def flatten(text: str) -> str:
    """``text`` on one line: runs of white space (line breaks, tabs) become one space."""
    return " ".join(text.split())


def collapse(text: str) -> str:
    """``text`` as a browser shows a paragraph of it: runs of white space (not no-break
    spaces) become one space, no-break spaces plain ones, the ends trimmed."""
    return _SPACES.sub(" ", text).replace("\xa0", " ").strip()


@dataclass
class Extracted:
    """The text a page or markup file shows, its headings (with levels) and its title."""

    text: str
    headings: list[Heading] = field(default_factory=list)
    title: str = ""
    code: list[Span] = field(default_factory=list)


class Blocks:
    """The text of a document, a block at a time."""

    def __init__(self) -> None:
        """Start empty."""
        self._parts: list[str] = []
        self._length = 0
        self.headings: list[Heading] = []
        self.code: list[Span] = []

    def add(self, block: str) -> Span | None:
        """Append ``block`` as a paragraph of its own.

        Returns:
            Its span in the text, or None when it is blank (and left out).
        """
        if not block.strip():
            return None
        start = self._length + (len(SEPARATOR) if self._parts else 0)
        self._parts.append(block)
        self._length = start + len(block)
        return Span(start, self._length)

    def heading(self, text: str, level: int) -> Span | None:
        """Append ``text`` as a heading of ``level``, kept in ``headings``."""
        span = self.add(text)
        if span is not None:
            self.headings.append(Heading(span.start, span.end, text, level))
        return span

    def code_block(self, text: str) -> Span | None:
        """Append ``text`` as a block of code (kept as written), kept in ``code``."""
        span = self.add(text)
        if span is not None:
            self.code.append(span)
        return span

    def text(self) -> str:
        """The blocks so far, separated by blank lines."""
        return SEPARATOR.join(self._parts)
