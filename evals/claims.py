"""Claims for judging the citation check: true ones, and hard and easy negatives.

A true claim joins a question and its gold answer ("Which film used AI tools to
de-age characters: Happy Gilmore 2.") and is checked against the retrieved
passage holding its evidence. Its negatives:

- ``number``: the answer's first number changed (n -> n + 1), same passage;
- ``name``: the answer replaced by another capitalised answer of the set, same passage;
- ``negation``: "not" put before the answer, same passage;
- ``random``: the true claim against a passage holding another question's evidence.

Hard negatives share almost every word with the passage, so a check that only
measures similarity accepts them: this is what the old calibration (true claims
against random passages only) could not see. But they are exactly the edits the
grounding rule (rag/answer/grounding.py) was written against, so refusing them is close to
guaranteed. Two kinds the rule was not written against are measured beside them
and never tune anything (``HELD_OUT``):

- ``other``: a real sentence of another passage retrieved for the same question
  (on the topic, fluent, not in the gold passage and saying no gold answer),
  checked against the gold passage, as an answer citing the wrong passage is;
- ``mixed``: the first half of the gold passage's evidence sentence joined to the
  second half of such another sentence: a claim that mixes two passages.
"""

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from evals.relevance import fold, gold_in, passage_relevant
from evals.runner import passage_rank
from evals.suite import SuiteRow
from rag.answer.citation_check import Support, best_support, supports
from rag.chain import Chain
from rag.schema import Passage
from rag.text import sentence_spans

_NUMBER = re.compile(r"\d+")
ROWS_PER_SET = 400
KINDS = ("true", "number", "name", "negation", "random", "other", "mixed")
HELD_OUT = ("other", "mixed")  # measured, never used to choose the check's settings
MIN_WORDS = 6  # a sentence shorter than this is a heading or a fragment, not a claim


@dataclass(frozen=True)
class Claim:
    """A sentence to check against one passage, and what kind of claim it is."""

    text: str
    passage: Passage
    kind: str
    question: str = ""
    """The id of the row it was made from (claims of one question are resampled together)."""


@dataclass(frozen=True)
class CheckedClaim:
    """A claim's kind and how each sentence of its passage supports it."""

    kind: str
    supports: list[Support]
    question: str = ""

    def accepted(self, similarity_weight: float, supported_at: float) -> bool:
        """Whether the citation check with these settings calls the claim supported."""
        best = best_support(self.supports, similarity_weight)
        return (
            best is not None
            and best.score(similarity_weight) >= supported_at
            and not best.ungrounded
        )


def _claim(question: str, answer: str) -> str:
    return f"{question.strip().rstrip('?')}: {answer}."


def _changed_number(answer: str) -> str | None:
    match = _NUMBER.search(answer)
    if match is None:
        return None
    return answer[: match.start()] + str(int(match.group()) + 1) + answer[match.end() :]


def _sentences(passage: Passage) -> list[tuple[int, int, str]]:
    """The passage's sentences of at least MIN_WORDS words, with their offsets in its file."""
    chunk = passage.chunk
    spans = sentence_spans(chunk.text)
    return [
        (chunk.start + s.start, chunk.start + s.end, chunk.text[s.start : s.end])
        for s in spans
        if len(chunk.text[s.start : s.end].split()) >= MIN_WORDS
    ]


def _other_sentences(row: SuiteRow, gold: Passage, retrieved: Sequence[Passage]) -> list[str]:
    """Sentences of the question's other retrieved passages that the gold passage does
    not hold and that say no gold answer: claims it does not support."""
    held = fold(gold.chunk.text).text
    answers = [fold(a).text for a in row.answers]
    found = []
    for passage in retrieved:
        if passage.chunk.id == gold.chunk.id or passage_relevant(row, passage.chunk):
            continue
        for _, _, sentence in _sentences(passage):
            folded = fold(sentence).text
            if folded not in held and not any(a in folded for a in answers):
                found.append(sentence)
    return list(dict.fromkeys(found))


def _evidence_sentence(row: SuiteRow, gold: Passage) -> str | None:
    """The gold passage's sentence that overlaps the row's evidence, if any."""
    evidence = gold_in(row, gold.chunk.path).evidence
    for start, end, sentence in _sentences(gold):
        if any(e.start < end and start < e.end for e in evidence):
            return sentence
    return None


def _mixed(first: str, second: str) -> str:
    """The first half of ``first``'s words and the second half of ``second``'s."""
    head, tail = first.split(), second.split()
    return " ".join(head[: len(head) // 2] + tail[len(tail) // 2 :])


def make_claims(rows: Sequence[SuiteRow], chain: Chain, seed: int) -> list[Claim]:
    """Claims from up to ROWS_PER_SET answerable rows whose evidence was retrieved."""
    rng = random.Random(seed)
    chosen = list(rows) if len(rows) <= ROWS_PER_SET else rng.sample(list(rows), ROWS_PER_SET)
    found: list[tuple[SuiteRow, Passage, list[Passage]]] = []
    for row in chosen:
        passages = chain.ranked(row.question, chain.settings.k)
        rank = passage_rank(row, passages)
        if rank is not None:
            found.append((row, passages[rank - 1], passages))
    names = sorted({a for row, _, _ in found for a in row.answers if a[:1].isupper()})
    claims = []
    for row, passage, retrieved in found:

        def claim(text: str, kind: str, against: Passage = passage, row: SuiteRow = row) -> Claim:
            return Claim(text, against, kind, row.id)

        answer = min(row.answers, key=len)
        claims.append(claim(_claim(row.question, answer), "true"))
        number = _changed_number(answer)
        if number is not None:
            claims.append(claim(_claim(row.question, number), "number"))
        text = passage.chunk.text.lower()
        others = [n for n in names if n not in row.answers and n.lower() not in text]
        if answer[:1].isupper() and others:
            claims.append(claim(_claim(row.question, rng.choice(others)), "name"))
        claims.append(claim(_claim(row.question, f"not {answer}"), "negation"))
        unrelated = [p for r, p, _ in found if passage_rank(row, [p]) is None]
        if unrelated:
            claims.append(claim(_claim(row.question, answer), "random", rng.choice(unrelated)))
        elsewhere = _other_sentences(row, passage, retrieved)
        if elsewhere:
            other = rng.choice(elsewhere)
            claims.append(claim(other, "other"))
            evidence = _evidence_sentence(row, passage)
            if evidence is not None:
                claims.append(claim(_mixed(evidence, other), "mixed"))
    return claims


def check_claims(
    claims: Sequence[Claim], chain: Chain, on_claim: Callable[[], None]
) -> list[CheckedClaim]:
    """How each claim is supported by the sentences of its passage."""
    checked = []
    for claim in claims:
        found = supports([(claim.text, [])], [claim.passage], chain.embeddings)[0]
        checked.append(CheckedClaim(claim.kind, found, claim.question))
        on_claim()
    return checked
