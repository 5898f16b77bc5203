"""What a loader produces: the extracted text of one file, its headings and pages."""

from dataclasses import dataclass, field

from rag.text import Span


@dataclass(frozen=True)
class Heading:
    """A heading that starts at ``start`` in the document's text.

    ``level`` (0 for a title, 1-6 for heading levels) is set by formats whose
    headings are the author's (Markdown, HTML, .docx); None where they are guessed
    from the layout (plain text, PDF) or stand for a slide (.pptx).
    """

    start: int
    end: int
    text: str
    level: int | None = None


@dataclass(frozen=True)
class Page:
    """Page (PDF) or slide (.pptx) ``number`` (1-based) begins at ``start`` in the text."""

    start: int
    number: int


@dataclass
class SourceDocument:
    """The extracted text of one file; chunk offsets point into ``text``.

    ``outline`` says that ``headings`` carry levels, so a citation can name its
    heading path; ``pages`` and ``slides`` list where each page or slide with text
    begins (empty for other formats); ``code`` holds the spans of code blocks (HTML
    ``<pre>``, reStructuredText literal blocks, Markdown fences), quoted whole or not
    at all.
    """

    text: str
    source: str
    path: str
    title: str
    headings: list[Heading] = field(default_factory=list)
    outline: bool = False
    pages: list[Page] = field(default_factory=list)
    slides: list[Page] = field(default_factory=list)
    code: list[Span] = field(default_factory=list)


class LoadError(Exception):
    """A file that cannot be ingested; the message says why."""
