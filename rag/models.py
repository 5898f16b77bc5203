"""Typed data passed between layers: chunks, passages, citations, answers.

JSON output anywhere in the project is the ``model_dump()`` of these models.
"""

from collections.abc import Iterable

from pydantic import BaseModel, Field


class Chunk(BaseModel):
    """A contiguous slice ``text == source_text[start:end]`` of one document."""

    id: str
    text: str
    source: str = Field(description="the file as the user named it, e.g. seeds/a.txt")
    path: str = Field(description="absolute path of the file")
    title: str
    section: str
    start: int
    end: int


class Passage(BaseModel):
    """A retrieved chunk with its fused score and the scores of each retriever."""

    chunk: Chunk
    score: float
    dense_score: float | None = None
    bm25_score: float | None = None


class Citation(BaseModel):
    """Citation ``[n]``: ``quote`` is exactly ``source_text[start:end]``."""

    n: int
    source: str
    section: str
    start: int
    end: int
    quote: str
    score: float

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


def _absent(value: object) -> bool:
    return value is None


class Answer(BaseModel):
    """What every surface (CLI, UI, API, evals) receives for one question.

    The generative path adds the last four fields; they are left out of the
    JSON when empty, so the extractive contract stays as it is.
    """

    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    timings_ms: Timings
    standalone_question: str | None = Field(None, exclude_if=_absent)
    sentences: list[CheckedSentence] | None = Field(None, exclude_if=_absent)
    verified: float | None = Field(None, exclude_if=_absent)
    notice: str | None = Field(None, exclude_if=_absent)
    passages: list[Passage] = Field(default_factory=list, exclude=True)
