"""The default answerer: no LLM, the best-supported sentences, each cited.

Every retrieved passage is cut into sentences; each sentence is scored by
    score = SIMILARITY_WEIGHT * cosine(question, sentence)
            + (1 - SIMILARITY_WEIGHT) * share of the question's terms it contains
and the best one to ``max_sentences`` become the answer. Below
``abstain_below`` the answer is an abstention: nothing is quoted.
"""

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.models import Chunk, Citation, Passage
from rag.settings import Settings
from rag.text import sentence_spans, tokenize

ABSTENTION = "I could not find this in the documents."
# Weights and threshold calibrated on evals/suites/seeds.jsonl (see README).
SIMILARITY_WEIGHT = 0.7
# Further sentences join the answer only when nearly as good as the best one.
_FOLLOWER_MARGIN = 0.1
_MIN_WORDS = 4
# Sentence vectors of this many chunks stay cached: popular passages recur.
_CACHED_CHUNKS = 20_000


@dataclass(frozen=True)
class _Sentences:
    """The candidate sentences of one chunk: offsets in its file, terms, vectors."""

    spans: list[tuple[int, int]]
    terms: list[set[str]]
    vectors: np.ndarray


class ExtractiveAnswerer:
    """Selects and cites sentences from retrieved passages."""

    def __init__(self, embeddings: Embeddings, settings: Settings) -> None:
        """Use ``embeddings`` for similarity; thresholds come from ``settings``."""
        self._embeddings = embeddings
        self._settings = settings
        self._cache: OrderedDict[str, _Sentences] = OrderedDict()
        self._cache_lock = threading.Lock()  # the UI and API answer from several threads

    def _sentences(self, chunk: Chunk) -> _Sentences:
        with self._cache_lock:
            if chunk.id in self._cache:
                self._cache.move_to_end(chunk.id)
                return self._cache[chunk.id]
        spans = [
            (s.start, s.end)
            for s in sentence_spans(chunk.text)
            if chunk.text[s.start : s.end].lstrip("#").strip() != chunk.section  # a heading
            and len(chunk.text[s.start : s.end].split()) >= _MIN_WORDS
        ]
        quotes = [chunk.text[start:end] for start, end in spans]
        vectors = np.array(self._embeddings.embed_documents(quotes)) if quotes else np.zeros((0,))
        sentences = _Sentences(spans, [set(t) for t in tokenize(quotes)], vectors)
        with self._cache_lock:
            self._cache[chunk.id] = sentences
            if len(self._cache) > _CACHED_CHUNKS:
                self._cache.popitem(last=False)
        return sentences

    def score(self, question: str, passages: Sequence[Passage]) -> list[Citation]:
        """Every distinct candidate sentence as an unnumbered citation, best first."""
        question_vector = np.array(self._embeddings.embed_query(question))
        question_terms = set(tokenize([question])[0])
        seen: set[tuple[str, int, int]] = set()
        scored = []
        for passage in passages:
            chunk = passage.chunk
            sentences = self._sentences(chunk)
            if not sentences.spans:
                continue
            cosines = sentences.vectors @ question_vector
            for (start, end), terms, cosine in zip(
                sentences.spans, sentences.terms, cosines, strict=True
            ):
                key = (chunk.path, chunk.start + start, chunk.start + end)
                if key in seen:
                    continue
                seen.add(key)
                overlap = len(question_terms & terms) / len(question_terms) if question_terms else 0
                score = SIMILARITY_WEIGHT * float(cosine) + (1 - SIMILARITY_WEIGHT) * overlap
                scored.append(
                    Citation(
                        n=0,
                        source=chunk.source,
                        section=chunk.section,
                        start=key[1],
                        end=key[2],
                        quote=chunk.text[start:end],
                        score=round(score, 4),
                    )
                )
        return sorted(scored, key=lambda c: -c.score)

    def abstains(self, question: str, passages: Sequence[Passage]) -> bool:
        """Whether the evidence is too weak to answer (the best sentence is below the bar)."""
        return self._weak(self.score(question, passages))

    def _weak(self, ranked: list[Citation]) -> bool:
        return not ranked or ranked[0].score < self._settings.abstain_below

    def answer(self, question: str, passages: Sequence[Passage]) -> tuple[str, list[Citation]]:
        """The answer text with ``[n]`` markers and its citations (none: an abstention)."""
        ranked = self.score(question, passages)
        if self._weak(ranked):
            return ABSTENTION, []
        floor = max(self._settings.abstain_below, ranked[0].score - _FOLLOWER_MARGIN)
        chosen = [c for c in ranked[: self._settings.max_sentences] if c.score >= floor]
        citations = [c.model_copy(update={"n": n}) for n, c in enumerate(chosen, start=1)]
        return " ".join(f"{c.quote} [{c.n}]" for c in citations), citations
