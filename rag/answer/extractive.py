"""The default answerer: no LLM, the best-supported sentences, each cited.

Every retrieved passage is cut into sentences; each sentence is scored by
    score = answer_similarity_weight * cosine(question, sentence)
            + (1 - answer_similarity_weight) * share of the question's terms it contains
and the best one to ``max_sentences`` become the answer. Below
``abstain_below`` the answer is an abstention: nothing is quoted. Both settings
are chosen by ``rag eval tune`` on the tune splits (rag/tuned.json).

The answer is content: the headings that open a chunk, code (cut into "sentences"
it reads as fragments) and a sentence that only restates the question (no term
the question lacks) are never candidates. Code is quoted whole, after the sentence
that introduces it, when the question asks how to do something.
"""

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.retrieve.sentence_store import SentenceStore
from rag.schema import Chunk, Citation, Passage
from rag.settings import Settings
from rag.text import folded, sentence_spans, tokenize

ABSTENTION = "I could not find this in the documents."
# Further sentences join the answer only when nearly as good as the best one.
_FOLLOWER_MARGIN = 0.1
_MIN_WORDS = 4
# Sentence vectors of this many chunks stay cached: popular passages recur.
_CACHED_CHUNKS = 20_000
# A sentence that introduces a code block comes first for a how-to question only when it
# scores this close to the best: on the python3-doc tune questions (the first 36), "To create a
# virtual environment, ... run the venv module as a script:" trails by 0.002, while
# what's-new sentences that introduce examples trail by 0.015 and 0.033 and a better
# answer stood before them (evals/suites/python-docs-tune.jsonl, bench/realdocs.py).
_STEP_MARGIN = 0.01
_HOW_TO = re.compile(r"\bhow\s+(?:to|do|does|can|could|should|would|shall)\b", re.IGNORECASE)


def asks_how(question: str) -> bool:
    """Whether ``question`` asks how to do something (its answer may be code)."""
    return _HOW_TO.search(question) is not None


def quotable(chunk: Chunk) -> list[tuple[int, int]]:
    """The sentences of ``chunk`` an answer may quote (offsets in its text): long
    enough, not the headings that open the chunk (ingest marks where they end), not
    inside a code block. Their vectors are what the answerer and re-ranker score."""
    body = (chunk.body_start or chunk.start) - chunk.start
    return [
        (s.start, s.end)
        for s in sentence_spans(chunk.text, body)
        if len(chunk.text[s.start : s.end].split()) >= _MIN_WORDS
        and not _in_code(chunk, s.start, s.end)
    ]


def embed_sentences(
    chunks: Sequence[Chunk],
    embeddings: Embeddings,
    known: Mapping[str, Sequence[float]] | None = None,
) -> dict[str, np.ndarray]:
    """The vectors of each chunk's ``quotable`` sentences (chunks with none are left out),
    each distinct sentence embedded once: neighbouring chunks overlap, and a sentence in
    ``known`` (text to vector, as a one-sentence chunk just embedded) is not embedded again.
    Rounded to the store's float16 so that an answer does not change when they next come
    from it."""
    known = known or {}
    spans = {chunk.id: quotable(chunk) for chunk in chunks}
    texts = {chunk.id: [chunk.text[a:b] for a, b in spans[chunk.id]] for chunk in chunks}
    distinct = list(dict.fromkeys(text for found in texts.values() for text in found))
    if not distinct:
        return {}
    fresh = [text for text in distinct if text not in known]
    embedded = dict(zip(fresh, embeddings.embed_documents(fresh) if fresh else [], strict=True))
    rows = [known[text] if text in known else embedded[text] for text in distinct]
    vectors = np.array(rows, dtype=np.float16).astype(np.float32)
    row = {text: n for n, text in enumerate(distinct)}
    return {i: vectors[[row[t] for t in found]] for i, found in texts.items() if found}


def _in_code(chunk: Chunk, start: int, end: int) -> bool:
    """Whether chunk-relative ``start``-``end`` overlaps one of the chunk's code blocks."""
    at, to = chunk.start + start, chunk.start + end
    return any(a < to and at < b for a, b in chunk.code or [])


def selected(ranked: Sequence[Citation], floor: float, most: int) -> list[Citation]:
    """The answer's sentences: of the first ``most`` of ``ranked`` (best first), those
    within the follower margin of the best and not below ``floor``."""
    if not ranked:
        return []
    bar = max(floor, ranked[0].score - _FOLLOWER_MARGIN)
    return [c for c in ranked[:most] if c.score >= bar]


@dataclass(frozen=True)
class Signal:
    """One candidate sentence (an unnumbered, unscored citation) and what scores it."""

    citation: Citation
    cosine: float
    overlap: float

    def score(self, similarity_weight: float) -> float:
        """The weighted sum of cosine and term overlap."""
        return similarity_weight * self.cosine + (1 - similarity_weight) * self.overlap


@dataclass(frozen=True)
class _Sentences:
    """The candidate sentences of one chunk: offsets in its file, terms, vectors."""

    spans: list[tuple[int, int]]
    terms: list[set[str]]
    vectors: np.ndarray


class ExtractiveAnswerer:
    """Selects and cites sentences from retrieved passages."""

    def __init__(
        self, embeddings: Embeddings, settings: Settings, store: SentenceStore | None = None
    ) -> None:
        """Use ``embeddings`` for similarity; thresholds come from ``settings``.

        Args:
            embeddings: the embedder of questions and sentences.
            settings: thresholds and limits.
            store: sentence vectors kept on disk across processes (none: memory only).
        """
        self._embeddings = embeddings
        self._settings = settings
        self._store = store
        self._cache: OrderedDict[str, _Sentences] = OrderedDict()
        self._cache_lock = threading.Lock()  # the UI and API answer from several threads

    def _sentences(self, chunks: Sequence[Chunk], dims: int) -> dict[str, _Sentences]:
        """The candidate sentences of each chunk: from memory, from the store (when
        stored by an embedder of ``dims`` dimensions: an ingest given another embedder
        than the settings name stores vectors the question cannot be compared with),
        or embedded now (all missing chunks in one call, then stored)."""
        found: dict[str, _Sentences] = {}
        with self._cache_lock:
            for chunk in chunks:
                if chunk.id in self._cache:
                    self._cache.move_to_end(chunk.id)
                    found[chunk.id] = self._cache[chunk.id]
        missing = {c.id: c for c in chunks if c.id not in found}
        spans = {i: quotable(c) for i, c in missing.items()}
        stored = self._store.get(i for i in missing if spans[i]) if self._store else {}
        stored = {i: v for i, v in stored.items() if len(v) == len(spans[i]) and v.shape[1] == dims}
        to_embed = [missing[i] for i in missing if spans[i] and i not in stored]
        if to_embed:
            embedded = embed_sentences(to_embed, self._embeddings)
            if self._store:
                self._store.put(embedded)
            stored |= embedded
        for chunk_id, chunk in missing.items():
            texts = [chunk.text[a:b] for a, b in spans[chunk_id]]
            found[chunk_id] = _Sentences(
                spans[chunk_id],
                [set(t) for t in tokenize(texts)] if texts else [],
                stored.get(chunk_id, np.zeros((0,))),
            )
        with self._cache_lock:
            for chunk_id in missing:
                self._cache[chunk_id] = found[chunk_id]
            while len(self._cache) > _CACHED_CHUNKS:
                self._cache.popitem(last=False)
        return found

    def _measured(
        self, question: str, passages: Sequence[Passage]
    ) -> list[tuple[_Sentences, np.ndarray, list[float], list[bool]]]:
        """Each passage's candidate sentences with their cosines, term overlaps, and
        whether each only restates the question (it has no term the question lacks)."""
        question_vector = np.array(self._embeddings.embed_query(question))
        question_terms = set(tokenize([question])[0])
        by_chunk = self._sentences([p.chunk for p in passages], len(question_vector))
        measured = []
        for passage in passages:
            sentences = by_chunk[passage.chunk.id]
            cosines = sentences.vectors @ question_vector if sentences.spans else np.zeros(0)
            overlaps = [
                len(question_terms & terms) / len(question_terms) if question_terms else 0.0
                for terms in sentences.terms
            ]
            echoes = [bool(question_terms) and terms <= question_terms for terms in sentences.terms]
            measured.append((sentences, cosines, overlaps, echoes))
        return measured

    def signals(self, question: str, passages: Sequence[Passage]) -> list[Signal]:
        """Every distinct candidate sentence with its cosine and term overlap, in
        passage order (``rag eval tune`` sweeps the weight over these)."""
        seen: set[str] = set()
        signals = []
        for passage, (sentences, cosines, overlaps, echoes) in zip(
            passages, self._measured(question, passages), strict=True
        ):
            chunk = passage.chunk
            for (start, end), cosine, overlap, echo in zip(
                sentences.spans, cosines, overlaps, echoes, strict=True
            ):
                # One sentence text is one candidate, wherever it recurs: in the
                # overlap of two chunks, or in near-duplicate documents.
                key = folded(chunk.text[start:end])
                if echo or key in seen:
                    continue
                seen.add(key)
                citation = Citation.quoting(
                    chunk, chunk.start + start, chunk.start + end, also=passage.also
                )
                signals.append(Signal(citation, float(cosine), overlap))
        return signals

    def best_sentences(self, question: str, passages: Sequence[Passage]) -> list[float]:
        """Each passage's best sentence score (0 when it has no candidate sentence),
        what rag.retrieve.rerank blends with the retrieval score."""
        weight = self._settings.answer_similarity_weight
        return [
            float(np.max(weight * cosines + (1 - weight) * np.array(overlaps))) if overlaps else 0.0
            for _, cosines, overlaps, _ in self._measured(question, passages)
        ]

    def score(self, question: str, passages: Sequence[Passage]) -> list[Citation]:
        """Every distinct candidate sentence as an unnumbered citation, best first."""
        weight = self._settings.answer_similarity_weight
        scored = [
            s.citation.model_copy(update={"score": round(s.score(weight), 4)})
            for s in self.signals(question, passages)
        ]
        return sorted(scored, key=lambda c: -c.score)

    def ranked(
        self, question: str, passages: Sequence[Passage], standalone: str | None = None
    ) -> list[Citation]:
        """``score`` for ``question``; for a follow-up, each sentence scores the mean of
        its scores for ``question`` and for ``standalone`` (the follow-up made to stand
        alone, rag.answer.followup). "Which country is it from?" names no subject: the
        subject then comes from the earlier turn, the ask from this one."""
        own = self.score(question, passages)
        if not standalone or standalone.strip() == question.strip():
            return own
        context = {(c.source, c.start): c.score for c in self.score(standalone, passages)}
        mixed = [
            c.model_copy(update={"score": round((c.score + context[(c.source, c.start)]) / 2, 4)})
            for c in own
        ]
        return sorted(mixed, key=lambda c: -c.score)

    def weak(self, ranked: Sequence[Citation]) -> bool:
        """Whether the best of the ``ranked`` sentences is below the bar (off-topic)."""
        return not ranked or ranked[0].score < self._settings.abstain_below

    def answer(
        self, question: str, passages: Sequence[Passage], standalone: str | None = None
    ) -> tuple[str, list[Citation]]:
        """The answer text with ``[n]`` markers and its citations (none: an abstention);
        ``standalone``: the follow-up ``question`` made to stand alone (see ``ranked``)."""
        return self.choose(self.ranked(question, passages, standalone), passages, question)

    def choose(
        self, ranked: Sequence[Citation], passages: Sequence[Passage], question: str
    ) -> tuple[str, list[Citation]]:
        """The answer made of the best ``ranked`` sentences (an abstention when ``weak``).

        For a how-to ``question``, each chosen sentence that a code block follows runs on
        through that code (the step and its command); the first such comes first when
        it scores within ``_STEP_MARGIN`` of the best."""
        if self.weak(ranked):
            return ABSTENTION, []
        chosen = selected(ranked, self._settings.abstain_below, self._settings.max_sentences)
        if asks_how(question):
            runs_on = [with_code(c, passages) for c in chosen]
            best = chosen[0].score
            steps = [
                n
                for n, (c, run) in enumerate(zip(chosen, runs_on, strict=True))
                if run != c and best - c.score <= _STEP_MARGIN
            ]
            order = [*steps[:1], *(n for n in range(len(chosen)) if n not in steps[:1])]
            chosen = [runs_on[n] for n in order]
        citations = [c.model_copy(update={"n": n}) for n, c in enumerate(chosen, start=1)]
        return " ".join(f"{c.quote} [{c.n}]" for c in citations), citations


def with_code(citation: Citation, passages: Sequence[Passage]) -> Citation:
    """``citation`` extended through the code block that follows it in its passage, with
    nothing but white space between (the command a sentence ending "run:" introduces);
    ``citation`` itself when no code follows."""
    passage = citation.passage_in(passages)
    if passage is None:
        return citation
    chunk = passage.chunk
    following = [(a, b) for a, b in chunk.code or [] if a >= citation.end]
    if not following:
        return citation
    start, end = min(following)
    if chunk.text[citation.end - chunk.start : start - chunk.start].strip():
        return citation
    return Citation.quoting(chunk, citation.start, end, score=citation.score, also=citation.also)
