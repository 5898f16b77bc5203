"""The one entry point every surface calls: ``Chain.answer(question, history)``."""

import math
import re
import time
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

from rag.answer.followup import standalone_question
from rag.errors import LlmUnavailable, RagError
from rag.schema import Answer, CheckedSentence, Citation, Passage, Timings
from rag.settings import Settings
from rag.shared import SharedModels

# Chroma, the embedder, LangChain and the LLM client are imported where first used,
# so that importing this module (every command, the server) stays fast.
if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from rag.answer.answerability import Gate
    from rag.answer.extractive import ExtractiveAnswerer
    from rag.answer.generative import GenerativeAnswerer
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
        models: SharedModels | None = None,
    ) -> None:
        """Nothing heavy happens here; the models and the index open on first use.

        Args:
            settings: the configuration.
            retriever: replaces the hybrid retriever (evals use it for baselines).
            models: the models to answer with, shared with the chains over the other
                collections of a deployment (rag.catalog); None: this chain's own.
        """
        self.settings = settings
        self._retriever = retriever
        self.models = models or SharedModels(settings)

    @cached_property
    def index(self) -> "ChunkIndex":
        """The Chroma index."""
        from rag.retrieve.index import open_index

        return open_index(self.settings)

    @property
    def embeddings(self) -> "Embeddings":
        """The embedder ``settings`` choose (shared: ``models``)."""
        return self.models.embeddings

    @cached_property
    def retriever(self) -> PassageRetriever:
        """The hybrid retriever over the index, unless another was given."""
        if self._retriever is not None:
            return self._retriever
        from rag.retrieve.hybrid import build_retriever

        return build_retriever(self.settings, self.index, self.models.queries)

    @property
    def answerer(self) -> "ExtractiveAnswerer":
        """The extractive answerer (shared: ``models``)."""
        return self.models.answerer

    @property
    def generator(self) -> "GenerativeAnswerer":
        """The LLM answerer (shared: ``models``; only when ``settings.llm`` is not ``none``)."""
        return self.models.generator

    @property
    def gate(self) -> "Gate":
        """The answerability gate (shared: ``models``)."""
        return self.models.gate

    def ranked(self, question: str, k: int) -> list[Passage]:
        """The ``k`` best passages; the first ``settings.k`` are those ``answer`` uses."""
        return self._retrieve(question, k, None)

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
            notice = f"{error}; showing the extractive answer instead"
            yield self._extractive(question, history, k, scope, notice)

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
        self,
        question: str,
        history: Sequence[str],
        k: int | None,
        scope: "SourceScope | None",
        notice: str | None = None,
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
        timings = _timings(began, retrieved)
        return _answer(
            question, text, citations, passages, timings, answerable=answerable, notice=notice
        )

    def _judge(
        self, question: str, passages: list[Passage], standalone: str
    ) -> tuple[list[Citation], float | None, bool]:
        """The answerer's ranked sentences, the gate's probability that the passages
        answer the question, and whether to decline (rag.answer.answerability.declined:
        the best sentence is below ``abstain_below``, off-topic, or the probability is
        below ``answerable_at``).

        The probability is None, and only ``abstain_below`` decides, unless the
        retriever is the built-in hybrid one: the gate learned from evidence with
        both sides' scores and BM25's document frequencies.
        """
        from rag.answer.answerability import declined, features, question_terms
        from rag.retrieve.hybrid import HybridRetriever

        ranked = self.answerer.ranked(question, passages, standalone)
        answerable = None
        if isinstance(self.retriever, HybridRetriever) and self.settings.retriever == "hybrid":
            terms = question_terms(standalone)
            chunks, held = self.retriever.bm25.current().document_frequencies(terms)
            vector = features(standalone, passages, ranked, held, chunks)
            answerable = round(self.gate.probability(vector), 4)
        best = ranked[0].score if ranked else -math.inf
        probability = math.inf if answerable is None else answerable
        floor, threshold = self.settings.abstain_below, self.settings.answerable_at
        return ranked, answerable, bool(declined(best, probability, floor, threshold))

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

        def abstention(
            answerable: float | None = None, sentences: list[CheckedSentence] | None = None
        ) -> Answer:
            """The abstention, with what was found before it was decided."""
            return _answer(
                question,
                ABSTENTION,
                [],
                passages,
                _timings(began, retrieved),
                standalone_question=standalone,
                sentences=sentences,
                answerable=answerable,
            )

        strict = self.settings.strict_citations
        answerable = None
        if strict:
            # Strict: the extractive answerer's decision to decline applies first,
            # so strict answers never abstain less often than extractive ones.
            _, answerable, declined = self._judge(question, passages, standalone)
            if declined:
                yield abstention(answerable=answerable)
                return
        generated = ""
        for token in generator.stream(standalone, passages):
            generated += token
            yield token
        if ABSTENTION.rstrip(".") in generated:
            yield abstention()
            return
        checked = check_answer(generated, passages, self.embeddings, self.settings, strict)
        text, citations, notice = checked.text, checked.citations, None
        if not checked.sentences:  # nothing but white space or markers: nothing was said
            yield abstention(sentences=[])
            return
        if strict and not citations:
            text, citations = self.answerer.answer(question, passages, standalone)
            notice = "no generated sentence was supported by the passages: extractive answer shown"
        yield _answer(
            question,
            text,
            citations,
            passages,
            _timings(began, retrieved),
            abstained=not text or (notice is not None and not citations),
            standalone_question=standalone,
            sentences=checked.sentences,
            verified=None if checked.verified is None else round(checked.verified, 4),
            notice=notice,
            answerable=answerable,
        )

    @staticmethod
    def pieces(text: str) -> list[str]:
        """``text`` cut into streamable pieces: each word with the space after it."""
        return [piece.group() for piece in _PIECE.finditer(text)]


def _timings(began: float, retrieved: float) -> Timings:
    """Milliseconds spent retrieving (``began`` to ``retrieved``), answering (since), and
    in all."""
    done = time.perf_counter()
    return Timings(
        retrieve=round((retrieved - began) * 1000, 1),
        answer=round((done - retrieved) * 1000, 1),
        total=round((done - began) * 1000, 1),
    )


def _answer(
    question: str,
    text: str,
    citations: list[Citation],
    passages: list[Passage],
    timings: Timings,
    *,
    abstained: bool | None = None,
    standalone_question: str | None = None,
    sentences: list[CheckedSentence] | None = None,
    verified: float | None = None,
    notice: str | None = None,
    answerable: float | None = None,
) -> Answer:
    """The answer, built once from what the chain computed; it abstained when it
    cites nothing, unless ``abstained`` says otherwise."""
    return Answer(
        question=question,
        answer=text,
        abstained=not citations if abstained is None else abstained,
        citations=citations,
        timings_ms=timings,
        standalone_question=standalone_question,
        sentences=sentences,
        verified=verified,
        notice=notice,
        answerable=answerable,
        passages=passages,
    )
