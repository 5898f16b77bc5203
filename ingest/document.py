"""What a loader produces: the extracted text of one file and its headings."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Heading:
    """A heading that starts at ``start`` in the document's text."""

    start: int
    end: int
    text: str


@dataclass
class SourceDocument:
    """The extracted text of one file; chunk offsets point into ``text``."""

    text: str
    source: str
    path: str
    title: str
    headings: list[Heading] = field(default_factory=list)


class LoadError(Exception):
    """A file that cannot be ingested; the message says why."""
