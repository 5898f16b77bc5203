"""The default answerer: no LLM, the best-supported sentences, each cited.

Every retrieved passage is cut into sentences; each sentence is scored by
    score = SIMILARITY_WEIGHT * cosine(question, sentence)
            + (1 - SIMILARITY_WEIGHT) * share of the question's terms it contains
and the best one to ``max_sentences`` become the answer. Below
``abstain_below`` the answer is an abstention: nothing is quoted.
"""

from collections.abc import Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.models import Citation, Passage
from rag.settings import Settings
from rag.text import sentence_spans, tokenize

ABSTENTION = "I could not find this in the documents."
SIMILARITY_WEIGHT = 0.7
# Further sentences join the answer only when nearly as good as the best one.
_FOLLOWER_MARGIN = 0.1
_MIN_WORDS = 4


def _candidates(passages: Sequence[Passage]) -> list[Citation]:
    """Every distinct sentence of the passages, as an unnumbered citation."""
    seen: set[tuple[str, int, int]] = set()
    candidates = []
    for passage in passages:
        chunk = passage.chunk
        for span in sentence_spans(chunk.text):
            quote = chunk.text[span.start : span.end]
            key = (chunk.path, chunk.start + span.start, chunk.start + span.end)
            if key in seen or quote == chunk.section or len(quote.split()) < _MIN_WORDS:
                continue
            seen.add(key)
            candidates.append(
                Citation(
                    n=0,
                    source=chunk.source,
                    section=chunk.section,
                    start=key[1],
                    end=key[2],
                    quote=quote,
                    score=0.0,
                )
            )
    return candidates


class ExtractiveAnswerer:
    """Selects and cites sentences from retrieved passages."""

    def __init__(self, embeddings: Embeddings, settings: Settings) -> None:
        """Use ``embeddings`` for similarity; thresholds come from ``settings``."""
        self._embeddings = embeddings
        self._settings = settings

    def score(self, question: str, passages: Sequence[Passage]) -> list[Citation]:
        """Every candidate sentence with its score, best first."""
        candidates = _candidates(passages)
        if not candidates:
            return []
        vectors = np.array(self._embeddings.embed_documents([c.quote for c in candidates]))
        similarity = vectors @ np.array(self._embeddings.embed_query(question))
        question_terms = set(tokenize([question])[0])
        sentence_terms = tokenize([c.quote for c in candidates])
        for candidate, cosine, terms in zip(candidates, similarity, sentence_terms, strict=True):
            overlap = (
                len(question_terms & set(terms)) / len(question_terms) if question_terms else 0.0
            )
            candidate.score = round(
                SIMILARITY_WEIGHT * float(cosine) + (1 - SIMILARITY_WEIGHT) * overlap, 4
            )
        return sorted(candidates, key=lambda c: -c.score)

    def answer(self, question: str, passages: Sequence[Passage]) -> tuple[str, list[Citation]]:
        """The answer text with ``[n]`` markers and its citations (none: an abstention)."""
        ranked = self.score(question, passages)
        if not ranked or ranked[0].score < self._settings.abstain_below:
            return ABSTENTION, []
        floor = max(self._settings.abstain_below, ranked[0].score - _FOLLOWER_MARGIN)
        chosen = [c for c in ranked[: self._settings.max_sentences] if c.score >= floor]
        citations = [c.model_copy(update={"n": n}) for n, c in enumerate(chosen, start=1)]
        return " ".join(f"{c.quote} [{c.n}]" for c in citations), citations
