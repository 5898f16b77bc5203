"""The one entry point every surface calls: ``Chain.answer(question, history)``."""

import re
import time
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Protocol

from rag.embeddings import load_embeddings
from rag.errors import RagError
from rag.extractive import ExtractiveAnswerer
from rag.followup import standalone_question
from rag.index import ChunkIndex, open_index
from rag.models import Answer, Passage, Timings
from rag.retrieval import build_retriever
from rag.settings import Settings

# Streamed pieces: a word with the white space after it.
_PIECE = re.compile(r"\S+\s*")


class PassageRetriever(Protocol):
    """Anything that ranks passages for a question (ours, or a baseline's)."""

    def retrieve(self, query: str, k: int | None = None) -> list[Passage]:
        """The ``k`` best passages, best first."""
        ...


class Chain:
    """Retrieval plus answering, built once from one ``Settings``."""

    def __init__(self, settings: Settings, retriever: PassageRetriever | None = None) -> None:
        """Nothing heavy happens here; the model and index open on first use.

        Args:
            settings: the configuration.
            retriever: replaces the hybrid retriever (evals use it for baselines).
        """
        self.settings = settings
        self._retriever = retriever

    @cached_property
    def index(self) -> ChunkIndex:
        """The Chroma index."""
        return open_index(self.settings)

    @cached_property
    def retriever(self) -> PassageRetriever:
        """The hybrid retriever over the index, unless another was given."""
        return self._retriever or build_retriever(
            self.settings, self.index, load_embeddings(self.settings)
        )

    @cached_property
    def answerer(self) -> ExtractiveAnswerer:
        """The extractive answerer."""
        return ExtractiveAnswerer(load_embeddings(self.settings), self.settings)

    def ranked(self, question: str, k: int) -> list[Passage]:
        """The ``k`` best passages; the first ``settings.k`` are those ``answer`` uses."""
        return self.retriever.retrieve(question, k)

    def answer(self, question: str, history: Sequence[str] = (), k: int | None = None) -> Answer:
        """Answer ``question`` from the indexed documents, with exact citations.

        Args:
            question: what the user asked.
            history: earlier questions of the conversation, oldest first; a
                follow-up is retrieved together with the last one (rag.followup).
            k: passages to retrieve (``settings.k`` when None).

        Returns:
            The answer, its citations, whether it abstained, and stage timings.

        Raises:
            RagError: the question is empty or too long, or the index is empty.
        """
        question = question.strip()
        if not question:
            raise RagError("the question is empty")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise RagError(f"the question is longer than {limit} characters")
        retriever, answerer = self.retriever, self.answerer  # load models outside the timings
        began = time.perf_counter()
        passages = retriever.retrieve(standalone_question(question, history), k)
        if not passages and self.index.count() == 0:
            raise RagError("the index is empty: run `rag ingest` first")
        retrieved = time.perf_counter()
        text, citations = answerer.answer(question, passages)
        done = time.perf_counter()
        return Answer(
            question=question,
            answer=text,
            abstained=not citations,
            citations=citations,
            timings_ms=Timings(
                retrieve=round((retrieved - began) * 1000, 1),
                answer=round((done - retrieved) * 1000, 1),
                total=round((done - began) * 1000, 1),
            ),
            passages=passages,
        )

    def stream(self, question: str, history: Sequence[str] = ()) -> Iterator[str | Answer]:
        """Yield the answer text piece by piece, then the complete ``Answer``.

        The extractive answer is whole at once; it is cut into words so that
        every surface renders answers the same way a generating LLM streams them.
        """
        answer = self.answer(question, history)
        yield from self.pieces(answer.answer)
        yield answer

    @staticmethod
    def pieces(text: str) -> list[str]:
        """``text`` cut into streamable pieces: each word with the space after it."""
        return [piece.group() for piece in _PIECE.finditer(text)]
