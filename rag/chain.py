"""The one entry point every surface calls: ``Chain.answer(question, history)``."""

import re
import time
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

from rag.answer.followup import standalone_question
from rag.errors import LlmUnavailable, RagError
from rag.schema import Answer, Citation, Passage, Timings
from rag.settings import Settings

# Chroma, the embedder, LangChain and the LLM client are imported where first used,
# so that importing this module (every command, the server) stays fast.
if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from rag.answer.answerability import Gate
    from rag.answer.extractive import ExtractiveAnswerer
    from rag.answer.generative import GenerativeAnswerer
    from rag.catalog import CollectionInfo, Collections
    from rag.retrieve.index import ChunkIndex
    from rag.retrieve.scope import SourceScope

# Streamed pieces: a word with the white space after it.
_PIECE = re.compile(r"\S+\s*")


class PassageRetriever(Protocol):
    """Anything that ranks passages for a question (ours, or a baseline's)."""

    def retrieve(self, query: str, k: int | None = None) -> list[Passage]:
        """The ``k`` best passages, best first."""
        ...


class Chain:
    """Retrieval plus answering, built once from one ``Settings``."""

    def __init__(
        self,
        settings: Settings,
        retriever: PassageRetriever | None = None,
        models: "Chain | None" = None,
    ) -> None:
        """Nothing heavy happens here; the model and index open on first use.

        Args:
            settings: the configuration.
            retriever: replaces the hybrid retriever (evals use it for baselines).
            models: a chain over another collection whose embedder and answerers
                this one shares (rag.catalog), instead of loading its own.
        """
        self.settings = settings
        self._retriever = retriever
        self._models = models

    def collection(self, name: str | None) -> "Chain":
        """The chain over collection ``name`` of this deployment (None: this chain's own
        collection), sharing this chain's models.

        Raises:
            NotFound: there is no such collection.
            RagError: ``name`` cannot name a collection.
        """
        return (self._models or self)._collections.get(name)

    def collections(self) -> list["CollectionInfo"]:
        """Every collection of this deployment, with its file and chunk counts."""
        return (self._models or self)._collections.list()

    @cached_property
    def _collections(self) -> "Collections":
        from rag.catalog import Collections

        return Collections(self)

    @cached_property
    def index(self) -> "ChunkIndex":
        """The Chroma index."""
        from rag.retrieve.index import open_index

        return open_index(self.settings)

    @cached_property
    def embeddings(self) -> "Embeddings":
        """The embedder ``settings`` choose (one per process, shared by every chain)."""
        if self._models is not None:
            return self._models.embeddings
        from rag.models.embeddings import load_embeddings

        return load_embeddings(self.settings)

    @cached_property
    def _queries(self) -> "Embeddings":
        # Retriever and answerer share one embedding of each question.
        if self._models is not None:
            return self._models._queries
        from rag.models.embeddings import QueryCache

        return QueryCache(self.embeddings)

    @cached_property
    def retriever(self) -> PassageRetriever:
        """The hybrid retriever over the index, unless another was given."""
        if self._retriever is not None:
            return self._retriever
        from rag.retrieve.hybrid import build_retriever

        return build_retriever(self.settings, self.index, self._queries)

    @cached_property
    def answerer(self) -> "ExtractiveAnswerer":
        """The extractive answerer, its sentence vectors kept in ``data_dir/cache``."""
        if self._models is not None:
            return self._models.answerer
        from rag.answer.extractive import ExtractiveAnswerer
        from rag.retrieve.sentence_store import sentence_store

        return ExtractiveAnswerer(self._queries, self.settings, sentence_store(self.settings))

    def ranked(self, question: str, k: int) -> list[Passage]:
        """The ``k`` best passages; the first ``settings.k`` are those ``answer`` uses."""
        return self._retrieve(question, k, None)

    @cached_property
    def generator(self) -> "GenerativeAnswerer":
        """The LLM answerer (only when ``settings.llm`` is not ``none``)."""
        if self._models is not None:
            return self._models.generator
        from rag.answer.generative import GenerativeAnswerer
        from rag.models.llm import create_chat_model

        return GenerativeAnswerer(create_chat_model(self.settings))

    def _check_question(self, question: str) -> str:
        question = question.strip()
        if not question:
            raise RagError("the question is empty")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise RagError(f"the question is longer than {limit} characters")
        return question

    def answer(
        self,
        question: str,
        history: Sequence[str] = (),
        k: int | None = None,
        *,
        sources: Sequence[str] = (),
    ) -> Answer:
        """Answer ``question`` from the indexed documents, with exact citations.

        Args:
            question: what the user asked.
            history: earlier questions of the conversation, oldest first; a
                follow-up is retrieved together with the last one (rag.answer.followup),
                or rewritten by the LLM when one is configured.
            k: passages to retrieve (``settings.k`` when None).
            sources: path prefixes (folders or files) to restrict retrieval to
                (rag.retrieve.scope); none: every document of the collection.

        Returns:
            The answer, its citations, whether it abstained, and stage timings.

        Raises:
            NotFound: no document is under ``sources``.
            RagError: the question is empty or too long, the index is empty, or
                the LLM failed (without ``llm_fallback=extractive``).
        """
        *_, last = self.stream(question, history, k, sources=sources)
        assert isinstance(last, Answer)
        return last

    def stream(
        self,
        question: str,
        history: Sequence[str] = (),
        k: int | None = None,
        *,
        sources: Sequence[str] = (),
    ) -> Iterator[str | Answer]:
        """Yield the answer text as it is produced, then the complete ``Answer``.

        The extractive answer is whole at once; it is cut into words so that
        every surface renders it the way a generating LLM streams.
        """
        from rag.retrieve.scope import SourceScope

        question = self._check_question(question)
        scope = SourceScope.parse(sources)
        if self.index.count() == 0:  # before any model loads: a clear error, at once
            raise RagError("the index is empty: run `rag ingest` first")
        if self.settings.llm == "none":
            answer = self._extractive(question, history, k, scope)
            yield from self.pieces(answer.answer)
            yield answer
            return
        try:
            yield from self._generative(question, history, k, scope)
        except LlmUnavailable as error:
            if self.settings.llm_fallback != "extractive":
                raise
            answer = self._extractive(question, history, k, scope)
            answer.notice = f"{error}; showing the extractive answer instead"
            yield answer

    def _retrieve(self, query: str, k: int | None, scope: "SourceScope | None") -> list[Passage]:
        """The ``k`` best passages: retrieved, then the first ``rerank_depth`` re-ranked
        by their best sentence (rag.retrieve.rerank; only with the built-in retriever: evals
        measure the baselines' retrievers as they are)."""
        from rag.retrieve.hybrid import HybridRetriever

        k = k or self.settings.k
        own = isinstance(self.retriever, HybridRetriever)
        depth = self.settings.rerank_depth if own else 0
        if scope is None:
            pool = self.retriever.retrieve(query, max(k, depth))
        elif isinstance(self.retriever, HybridRetriever):
            pool = self.retriever.retrieve(query, max(k, depth), scope)
        else:
            raise RagError("source filters work with the built-in retrievers only")
        if depth:
            from rag.retrieve.rerank import rerank

            best = self.answerer.best_sentences(query, pool[:depth])
            pool = rerank(pool[:depth], best, self.settings.rerank_weight) + pool[depth:]
        return pool[:k]

    def _extractive(
        self, question: str, history: Sequence[str], k: int | None, scope: "SourceScope | None"
    ) -> Answer:
        from rag.answer.extractive import ABSTENTION

        answerer, _ = self.answerer, self.retriever  # load models outside the timings
        began = time.perf_counter()
        standalone = standalone_question(question, history)
        passages = self._retrieve(standalone, k, scope)
        retrieved = time.perf_counter()
        ranked, answerable, declined = self._judge(question, passages, standalone)
        text, citations = (
            (ABSTENTION, []) if declined else answerer.choose(ranked, passages, question)
        )
        answer = _answer(question, text, citations, passages, began, retrieved)
        answer.answerable = answerable
        return answer

    @cached_property
    def gate(self) -> "Gate":
        """The answerability gate (rag/gate.json)."""
        from rag.answer.answerability import Gate

        return Gate.load()

    def _judge(
        self, question: str, passages: list[Passage], standalone: str
    ) -> tuple[list[Citation], float | None, bool]:
        """The answerer's ranked sentences, the gate's probability that the passages
        answer the question, and whether to decline: the best sentence is below
        ``abstain_below`` (off-topic) or the probability below ``answerable_at``.

        The probability is None, and only ``abstain_below`` decides, unless the
        retriever is the built-in hybrid one: the gate learned from evidence with
        both sides' scores and BM25's document frequencies.
        """
        from rag.answer.answerability import features, question_terms
        from rag.retrieve.hybrid import HybridRetriever

        ranked = self.answerer.ranked(question, passages, standalone)
        answerable = None
        if isinstance(self.retriever, HybridRetriever) and self.settings.retriever == "hybrid":
            terms = question_terms(standalone)
            chunks, held = self.retriever.bm25.current().document_frequencies(terms)
            vector = features(standalone, passages, ranked, held, chunks)
            answerable = round(self.gate.probability(vector), 4)
        gated = answerable is not None and answerable < self.settings.answerable_at
        return ranked, answerable, self.answerer.weak(ranked) or gated

    def _generative(
        self, question: str, history: Sequence[str], k: int | None, scope: "SourceScope | None"
    ) -> Iterator[str | Answer]:
        from rag.answer.citation_check import check_answer
        from rag.answer.extractive import ABSTENTION

        generator, _ = self.generator, self.retriever  # load models outside the timings
        began = time.perf_counter()
        standalone = generator.standalone_question(question, history)
        passages = self._retrieve(standalone, k, scope)
        retrieved = time.perf_counter()
        strict = self.settings.strict_citations
        answerable = None
        if strict:
            # Strict: the extractive answerer's decision to decline applies first,
            # so strict answers never abstain less often than extractive ones.
            _, answerable, declined = self._judge(question, passages, standalone)
            if declined:
                answer = _answer(question, ABSTENTION, [], passages, began, retrieved)
                answer.standalone_question = standalone
                answer.answerable = answerable
                yield answer
                return
        generated = ""
        for token in generator.stream(standalone, passages):
            generated += token
            yield token
        if ABSTENTION.rstrip(".") in generated:
            answer = _answer(question, ABSTENTION, [], passages, began, retrieved)
            answer.standalone_question = standalone
            yield answer
            return
        checked = check_answer(generated, passages, self.embeddings, self.settings, strict)
        text, citations, notice = checked.text, checked.citations, None
        if not checked.sentences:  # nothing but white space or markers: nothing was said
            answer = _answer(question, ABSTENTION, [], passages, began, retrieved)
            answer.standalone_question = standalone
            answer.sentences = []
            yield answer
            return
        if strict and not citations:
            text, citations = self.answerer.answer(question, passages, standalone)
            notice = "no generated sentence was supported by the passages: extractive answer shown"
        answer = _answer(question, text, citations, passages, began, retrieved)
        answer.answerable = answerable
        answer.abstained = not text or (notice is not None and not citations)
        answer.standalone_question = standalone
        answer.sentences = checked.sentences
        answer.verified = None if checked.verified is None else round(checked.verified, 4)
        answer.notice = notice
        yield answer

    @staticmethod
    def pieces(text: str) -> list[str]:
        """``text`` cut into streamable pieces: each word with the space after it."""
        return [piece.group() for piece in _PIECE.finditer(text)]


def _answer(
    question: str,
    text: str,
    citations: list[Citation],
    passages: list[Passage],
    began: float,
    retrieved: float,
) -> Answer:
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
