"""Check generated sentences against the passages they cite.

A sentence is **supported** when some passage it cites (every retrieved
passage, if it cites none) holds a sentence close to it:

    support = citation_similarity_weight * cosine
              + (1 - citation_similarity_weight) * term overlap

where term overlap is the share of the generated sentence's content words the
passage sentence contains, ``support >= citation_supported_at``, and the
sentence is grounded in that passage: no number or name the passage lacks, no
negation the best sentence lacks (rag/answer/grounding.py). Both settings are chosen by
``rag eval tune`` on true claims and hard negatives of the tune splits. The
passage sentence that gives the best support becomes the citation's quote, so a
generated answer still cites exact character spans. Markers that point at no
passage are removed.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.answer.grounding import ungrounded
from rag.schema import CheckedSentence, Citation, Passage
from rag.settings import Settings
from rag.text import sentence_spans, tokenize

_MARKER = re.compile(r"\s*\[(\d+)\]")
# A passage sentence that addresses the model ("Ignore all previous instructions",
# "Reply only with ...") is an injected instruction, not evidence: it never counts
# as support, so an answer that obeys it cannot cite it (and strict mode drops it).
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b[^.!?]{0,40}\b(instructions?|prompts?|rules)\b"
    r"|\b(reply|respond|answer|output|say|print|write)\s+(only|just|nothing\s+but)\b"
    r"|\b(reply|respond|answer)\s+with\s+(only|just|the\s+words?)\b"
    r"|\byou\s+are\s+now\b|\bsystem\s+prompt\b|\bnew\s+instructions?\b",
    re.IGNORECASE,
)


def instruction_like(sentence: str) -> bool:
    """Whether a passage sentence reads as an instruction to the model."""
    return bool(_INSTRUCTION.search(sentence))


@dataclass
class CheckedAnswer:
    """The answer text with valid markers only, its citations and sentence checks."""

    text: str
    citations: list[Citation]
    sentences: list[CheckedSentence]

    @property
    def verified(self) -> float | None:
        """Share of sentences that are supported (None: no sentence was checked)."""
        if not self.sentences:
            return None
        return sum(s.supported for s in self.sentences) / len(self.sentences)


def _passage_sentences(passage: Passage) -> list[tuple[int, int, str]]:
    chunk = passage.chunk
    return [
        (chunk.start + s.start, chunk.start + s.end, chunk.text[s.start : s.end])
        for s in sentence_spans(chunk.text)
        if not instruction_like(chunk.text[s.start : s.end])
    ]


@dataclass(frozen=True)
class Support:
    """How one passage sentence supports a claim."""

    passage: int
    start: int
    end: int
    quote: str
    """The passage sentence: ``quote`` is ``source_text[start:end]``."""
    cosine: float
    overlap: float
    ungrounded: str | None
    """What the claim states that this sentence's passage does not (None: nothing)."""

    def score(self, similarity_weight: float) -> float:
        """The weighted sum of cosine and term overlap."""
        return similarity_weight * self.cosine + (1 - similarity_weight) * self.overlap


def best_support(supports: Sequence[Support], similarity_weight: float) -> Support | None:
    """The support that scores highest at ``similarity_weight``."""
    return max(supports, key=lambda s: s.score(similarity_weight), default=None)


def _claims(text: str, passages: int) -> list[tuple[str, list[int]]]:
    """Each sentence of ``text`` without markers, and the passages it cites."""
    claims = []
    for span in sentence_spans(text):
        raw = text[span.start : span.end]
        cites = [int(n) for n in _MARKER.findall(raw) if 1 <= int(n) <= passages]
        plain = _MARKER.sub("", raw).strip()
        if any(c.isalnum() for c in plain):  # "." left of "[1] [2]." is no sentence
            claims.append((plain, list(dict.fromkeys(cites))))
    return claims


def supports(
    claims: Sequence[tuple[str, list[int]]],
    passages: Sequence[Passage],
    embeddings: Embeddings,
) -> list[list[Support]]:
    """For each claim, every sentence of the passages it cites (all, if none) with
    its cosine, term overlap and grounding."""
    candidates = [_passage_sentences(p) for p in passages]
    flat = [quote for sentences in candidates for _, _, quote in sentences]
    vectors = np.array(embeddings.embed_documents([c for c, _ in claims] + flat))
    claim_vectors, sentence_vectors = vectors[: len(claims)], vectors[len(claims) :]
    flat_terms = [set(t) for t in tokenize(flat)]
    offsets = np.cumsum([0] + [len(c) for c in candidates])
    found = []
    for index, (claim, cites) in enumerate(claims):
        terms = set(tokenize([claim])[0])
        of_claim = []
        for p in (c - 1 for c in cites) if cites else range(len(passages)):
            for at in range(offsets[p], offsets[p + 1]):
                start, end, quote = candidates[p][at - offsets[p]]
                of_claim.append(
                    Support(
                        passage=p,
                        start=start,
                        end=end,
                        quote=quote,
                        cosine=float(claim_vectors[index] @ sentence_vectors[at]),
                        overlap=len(terms & flat_terms[at]) / len(terms) if terms else 0.0,
                        ungrounded=ungrounded(claim, quote, passages[p].chunk.text),
                    )
                )
        found.append(of_claim)
    return found


def check_answer(
    text: str,
    passages: Sequence[Passage],
    embeddings: Embeddings,
    settings: Settings,
    strict: bool,
) -> CheckedAnswer:
    """Verify each sentence of a generated answer.

    Args:
        text: the generated answer, with ``[n]`` markers (n from 1).
        passages: the numbered passages the model was given.
        embeddings: for cosine similarity.
        settings: the citation check's weight and threshold.
        strict: drop unsupported sentences from the text.

    Returns:
        The cleaned text, one citation per (sentence, passage) support, and the checks.
    """
    claims = _claims(text, len(passages))
    if not claims:
        return CheckedAnswer("", [], [])
    weight = settings.citation_similarity_weight
    checked: list[CheckedSentence] = []
    citations: list[Citation] = []
    kept: list[str] = []
    found = supports(claims, passages, embeddings)
    for (claim, cites), of_claim in zip(claims, found, strict=True):
        best = best_support(of_claim, weight)
        support = best.score(weight) if best else 0.0
        supported = (
            best is not None and support >= settings.citation_supported_at and not best.ungrounded
        )
        checked.append(
            CheckedSentence(text=claim, cites=cites, supported=supported, support=round(support, 4))
        )
        if strict and not supported:
            continue
        markers = ""
        if supported and best is not None:
            chunk = passages[best.passage].chunk
            n = len(citations) + 1
            citations.append(Citation.quoting(chunk, best.start, best.end, n, round(support, 4)))
            markers = f" [{n}]"
        kept.append(claim + markers)
    return CheckedAnswer(" ".join(kept), citations, checked)
