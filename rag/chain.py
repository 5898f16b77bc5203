"""The one entry point every surface calls: ``Chain.answer(question, history)``."""

import time
from collections.abc import Sequence
from functools import cached_property

from rag.embeddings import load_embeddings
from rag.errors import RagError
from rag.extractive import ExtractiveAnswerer
from rag.index import ChunkIndex, open_index
from rag.models import Answer, Timings
from rag.retrieval import HybridRetriever, build_retriever
from rag.settings import Settings

MAX_QUESTION_CHARS = 2000


class Chain:
    """Retrieval plus answering, built once from one ``Settings``."""

    def __init__(self, settings: Settings) -> None:
        """Nothing heavy happens here; the model and index open on first use."""
        self.settings = settings

    @cached_property
    def index(self) -> ChunkIndex:
        """The Chroma index."""
        return open_index(self.settings)

    @cached_property
    def retriever(self) -> HybridRetriever:
        """The LangChain retriever over the index."""
        return build_retriever(self.settings, self.index, load_embeddings(self.settings))

    @cached_property
    def answerer(self) -> ExtractiveAnswerer:
        """The extractive answerer."""
        return ExtractiveAnswerer(load_embeddings(self.settings), self.settings)

    def answer(self, question: str, history: Sequence[str] = ()) -> Answer:
        """Answer ``question`` from the indexed documents, with exact citations.

        Args:
            question: what the user asked.
            history: earlier questions of the conversation, oldest first.

        Returns:
            The answer, its citations, whether it abstained, and stage timings.

        Raises:
            RagError: the question is empty or too long, or the index is empty.
        """
        del history  # follow-up handling arrives with the chat UI
        question = question.strip()
        if not question:
            raise RagError("the question is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise RagError(f"the question is longer than {MAX_QUESTION_CHARS} characters")
        retriever, answerer = self.retriever, self.answerer  # load models outside the timings
        began = time.perf_counter()
        if self.index.count() == 0:
            raise RagError("the index is empty: run `rag ingest` first")
        passages = retriever.retrieve(question)
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
