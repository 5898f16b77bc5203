"""Typed data passed between layers: chunks, passages, citations, answers.

JSON output anywhere in the project is the ``model_dump()`` of these models.
"""

import bisect
import json
import uuid
from collections.abc import Iterable
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field


def _absent(value: object) -> bool:
    return value is None


def _empty(value: list[object]) -> bool:
    return not value


def source_id(path: str) -> str:
    """The opaque id of the ingested file at ``path`` (its manifest record's id):
    links name a file by it, never by its path."""
    return uuid.uuid5(uuid.NAMESPACE_URL, path).hex


class Location(BaseModel):
    """Where a quote is, in the terms a reader finds it by: the page (PDF) or slide
    (.pptx) its start is on, or the headings above it, outermost first (Markdown,
    HTML, .docx). Only the field that applies is present."""

    page: int | None = Field(None, exclude_if=_absent)
    slide: int | None = Field(None, exclude_if=_absent)
    headings: list[str] | None = Field(None, exclude_if=_absent)

    def describe(self) -> str:
        """As a reader says it: ``page 2``, ``slide 3`` or ``Leave › Carry over``."""
        if self.page is not None:
            return f"page {self.page}"
        if self.slide is not None:
            return f"slide {self.slide}"
        return " › ".join(self.headings or [])


# Chroma metadata holds scalars only (and refuses empty lists): these are stored as JSON.
_JSON_FIELDS = ("headings", "pages", "slides", "code")


def _number_at(starts: list[tuple[int, int]], offset: int) -> int:
    """The number of the page (or slide) in effect at ``offset``."""
    at = bisect.bisect_right([start for start, _ in starts], offset) - 1
    return starts[max(at, 0)][1]


class Chunk(BaseModel):
    """A contiguous slice ``text == source_text[start:end]`` of one document.

    ``headings``, ``pages`` and ``slides`` let a quote inside it be located
    without reading the file again (``location``); ``gap`` lets the document's
    text be put back together from its chunks (rag/retrieve/source_text.py).
    """

    id: str
    text: str
    source: str = Field(description="the file as the user named it, e.g. seeds/a.txt")
    path: str = Field(description="absolute path of the file")
    title: str
    section: str
    start: int
    end: int
    headings: list[str] | None = Field(
        None, description="its section's heading path, outermost first (Markdown, HTML, .docx)"
    )
    pages: list[tuple[int, int]] | None = Field(
        None,
        description="(offset, number) of the PDF page in effect at start, then of each "
        "page that begins inside the chunk",
    )
    slides: list[tuple[int, int]] | None = Field(None, description="the same, for slides")
    gap: str = Field(
        "", description="the text between the previous chunk's end and this start (white space)"
    )
    code: list[tuple[int, int]] | None = Field(
        None,
        exclude_if=_absent,
        description="the spans of code blocks inside the chunk (document offsets): quoted "
        "whole, after the sentence that introduces them, never cut into sentences",
    )
    fingerprint: str | None = Field(
        None,
        exclude_if=_absent,
        description="a hash of the text as copies of it read alike (rag.text.folded): "
        "chunks that share it are one text in retrieval, their other places 'also in'",
    )
    body_start: int | None = Field(
        None,
        exclude_if=_absent,  # Chroma metadata holds no None
        description="where the text after the headings that open the chunk begins (a document "
        "offset); None when no heading opens it. Headings are never quoted as answers.",
    )

    @property
    def source_id(self) -> str:
        """The opaque id of its file."""
        return source_id(self.path)

    def location(self, offset: int) -> Location | None:
        """Where the character at document offset ``offset`` (inside this chunk) is;
        None for plain text, whose headings are guesses."""
        if self.pages:
            return Location(page=_number_at(self.pages, offset))
        if self.slides:
            return Location(slide=_number_at(self.slides, offset))
        if self.headings is not None:
            return Location(headings=self.headings)
        return None

    def metadata(self) -> dict[str, Any]:
        """What Chroma stores beside the text: every field but id and text, as scalars."""
        stored = self.model_dump(exclude={"id", "text"})
        return {k: json.dumps(v) if k in _JSON_FIELDS else v for k, v in stored.items()}

    @classmethod
    def from_record(cls, chunk_id: str, text: str, metadata: dict[str, Any]) -> Self:
        """The chunk Chroma holds as ``chunk_id``, ``text`` and ``metadata``."""
        fields = {
            k: json.loads(v) if k in _JSON_FIELDS and isinstance(v, str) else v
            for k, v in metadata.items()
        }
        return cls(id=chunk_id, text=text, **fields)


class Passage(BaseModel):
    """A retrieved chunk with its fused score and the scores of each retriever;
    ``also``: the other files that hold the same text (rag.text.folded), counted once."""

    chunk: Chunk
    score: float
    dense_score: float | None = None
    bm25_score: float | None = None
    also: list[str] = Field(default_factory=list, exclude_if=_empty)

    @property
    def id(self) -> str:
        """Its chunk's id (what fusion ranks by: rag.retrieve.fusion)."""
        return self.chunk.id


class Citation(BaseModel):
    """Citation ``[n]``: ``quote`` is exactly ``source_text[start:end]``.

    ``location`` is where a reader finds the quote (None for plain text);
    ``source_id`` names the file in links to the source view (``/source/{id}``).
    """

    n: int
    source: str
    section: str
    start: int
    end: int
    quote: str
    score: float
    location: Location | None = None
    source_id: str | None = None
    also: list[str] = Field(
        default_factory=list,
        exclude_if=_empty,
        description="other files that hold the same text (copies: exports, mirrors)",
    )

    @classmethod
    def quoting(
        cls,
        chunk: Chunk,
        start: int,
        end: int,
        n: int = 0,
        score: float = 0.0,
        also: list[str] | None = None,
    ) -> Self:
        """Citation ``n`` of ``source_text[start:end]``, a span inside ``chunk``."""
        return cls(
            n=n,
            source=chunk.source,
            section=chunk.section,
            start=start,
            end=end,
            quote=chunk.text[start - chunk.start : end - chunk.start],
            score=score,
            location=chunk.location(start),
            source_id=chunk.source_id,
            also=also or [],
        )

    def passage_in(self, passages: Iterable[Passage]) -> Passage | None:
        """The passage among ``passages`` that holds this quote, if any."""
        return next(
            (
                p
                for p in passages
                if p.chunk.source == self.source
                and p.chunk.start <= self.start
                and self.end <= p.chunk.end
            ),
            None,
        )


class Timings(BaseModel):
    """Wall-clock milliseconds spent in each stage of one answer."""

    retrieve: float
    answer: float
    total: float


class CheckedSentence(BaseModel):
    """One generated sentence and whether a passage it cites supports it."""

    text: str
    cites: list[int]
    supported: bool
    support: float = Field(description="the best support score over the passages checked")


class Answer(BaseModel):
    """What every surface (CLI, UI, API, evals) receives for one question, built once
    by the chain from what it computed (frozen: no field changes afterwards).

    The generative path adds the last four fields; they are left out of the
    JSON when empty, so the extractive contract stays as it is.
    """

    model_config = ConfigDict(frozen=True)

    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    timings_ms: Timings
    standalone_question: str | None = Field(None, exclude_if=_absent)
    sentences: list[CheckedSentence] | None = Field(None, exclude_if=_absent)
    verified: float | None = Field(None, exclude_if=_absent)
    notice: str | None = Field(None, exclude_if=_absent)
    # The gate's probability that the passages answer the question (rag.answer.answerability).
    answerable: float | None = Field(None, exclude_if=_absent)
    passages: list[Passage] = Field(default_factory=list, exclude=True)
