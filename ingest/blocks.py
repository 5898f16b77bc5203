"""Text put together from blocks (paragraphs, table rows, pages), with exact offsets.

HTML, PDF, Word and PowerPoint files have no text of their own to cite: their
loaders add each block here, one paragraph each (blocks are separated by a blank
line), and keep the offsets it returns for headings, pages and slides.
"""

from rag.text import Span

SEPARATOR = "\n\n"


def flatten(text: str) -> str:
    """``text`` on one line: runs of white space (line breaks, tabs) become one space."""
    return " ".join(text.split())


class Blocks:
    """The text of a document, a block at a time."""

    def __init__(self) -> None:
        """Start empty."""
        self._parts: list[str] = []
        self._length = 0

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

    def text(self) -> str:
        """The blocks so far, separated by blank lines."""
        return SEPARATOR.join(self._parts)
