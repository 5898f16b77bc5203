"""Check generated sentences against the passages they cite.

A sentence is **supported** when some passage it cites (every retrieved
passage, if it cites none) holds a sentence close to it:

    support = max over that passage's sentences of
              SIMILARITY_WEIGHT * cosine + (1 - SIMILARITY_WEIGHT) * term overlap

where term overlap is the share of the generated sentence's content words the
passage sentence contains, and ``support >= SUPPORTED_AT``. The passage sentence
that gives the best support becomes the citation's quote, so a generated answer
still cites exact character spans. Markers that point at no passage are removed.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.models import CheckedSentence, Citation, Passage
from rag.text import sentence_spans, tokenize

SIMILARITY_WEIGHT = 0.7
# Calibrated on claims made from evals/suites/seeds.jsonl (question + gold answer)
# against their evidence passage (supported) and a random other passage (not):
# bench/calibrate_citation_check.py gives 0.56 (accuracy 0.82 on 72 claims).
SUPPORTED_AT = 0.56
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


def check_answer(
    text: str, passages: Sequence[Passage], embeddings: Embeddings, strict: bool
) -> CheckedAnswer:
    """Verify each sentence of a generated answer.

    Args:
        text: the generated answer, with ``[n]`` markers (n from 1).
        passages: the numbered passages the model was given.
        embeddings: for cosine similarity.
        strict: drop unsupported sentences from the text.

    Returns:
        The cleaned text, one citation per (sentence, passage) support, and the checks.
    """
    claims = []
    for span in sentence_spans(text):
        raw = text[span.start : span.end]
        cites = [int(n) for n in _MARKER.findall(raw) if 1 <= int(n) <= len(passages)]
        plain = _MARKER.sub("", raw).strip()
        if any(c.isalnum() for c in plain):  # "." left of "[1] [2]." is no sentence
            claims.append((plain, list(dict.fromkeys(cites))))
    if not claims:
        return CheckedAnswer("", [], [])
    candidates = [_passage_sentences(p) for p in passages]
    flat = [quote for sentences in candidates for _, _, quote in sentences]
    vectors = np.array(embeddings.embed_documents([c for c, _ in claims] + flat))
    claim_vectors, sentence_vectors = vectors[: len(claims)], vectors[len(claims) :]
    flat_terms = [set(t) for t in tokenize(flat)]
    offsets = np.cumsum([0] + [len(c) for c in candidates])

    checked: list[CheckedSentence] = []
    citations: list[Citation] = []
    kept: list[str] = []
    for index, (claim, cites) in enumerate(claims):
        terms = set(tokenize([claim])[0])
        best: tuple[float, int, int] | None = None  # (support, passage, sentence index)
        for passage_index in (c - 1 for c in cites) if cites else range(len(passages)):
            for at in range(offsets[passage_index], offsets[passage_index + 1]):
                overlap = len(terms & flat_terms[at]) / len(terms) if terms else 0.0
                cosine = float(claim_vectors[index] @ sentence_vectors[at])
                support = SIMILARITY_WEIGHT * cosine + (1 - SIMILARITY_WEIGHT) * overlap
                if best is None or support > best[0]:
                    best = (support, passage_index, at - offsets[passage_index])
        support = best[0] if best else 0.0
        supported = support >= SUPPORTED_AT
        checked.append(
            CheckedSentence(text=claim, cites=cites, supported=supported, support=round(support, 4))
        )
        if strict and not supported:
            continue
        markers = ""
        if supported and best is not None:
            start, end, quote = candidates[best[1]][best[2]]
            chunk = passages[best[1]].chunk
            n = len(citations) + 1
            citations.append(
                Citation(
                    n=n,
                    source=chunk.source,
                    section=chunk.section,
                    start=start,
                    end=end,
                    quote=quote,
                    score=round(support, 4),
                )
            )
            markers = f" [{n}]"
        kept.append(claim + markers)
    return CheckedAnswer(" ".join(kept), citations, checked)
