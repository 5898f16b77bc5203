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
against random passages only) could not see.
"""

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from evals.runner import passage_rank
from evals.suite import SuiteRow
from rag.chain import Chain
from rag.citation_check import Support, best_support, supports
from rag.models import Passage

_NUMBER = re.compile(r"\d+")
ROWS_PER_SET = 400
KINDS = ("true", "number", "name", "negation", "random")


@dataclass(frozen=True)
class Claim:
    """A sentence to check against one passage, and what kind of claim it is."""

    text: str
    passage: Passage
    kind: str


@dataclass(frozen=True)
class CheckedClaim:
    """A claim's kind and how each sentence of its passage supports it."""

    kind: str
    supports: list[Support]

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


def make_claims(rows: Sequence[SuiteRow], chain: Chain, seed: int) -> list[Claim]:
    """Claims from up to ROWS_PER_SET answerable rows whose evidence was retrieved."""
    rng = random.Random(seed)
    chosen = list(rows) if len(rows) <= ROWS_PER_SET else rng.sample(list(rows), ROWS_PER_SET)
    found: list[tuple[SuiteRow, Passage]] = []
    for row in chosen:
        passages = chain.ranked(row.question, chain.settings.k)
        rank = passage_rank(row, passages)
        if rank is not None:
            found.append((row, passages[rank - 1]))
    names = sorted({a for row, _ in found for a in row.answers if a[:1].isupper()})
    claims = []
    for row, passage in found:
        answer = min(row.answers, key=len)
        claims.append(Claim(_claim(row.question, answer), passage, "true"))
        number = _changed_number(answer)
        if number is not None:
            claims.append(Claim(_claim(row.question, number), passage, "number"))
        text = passage.chunk.text.lower()
        others = [n for n in names if n not in row.answers and n.lower() not in text]
        if answer[:1].isupper() and others:
            claims.append(Claim(_claim(row.question, rng.choice(others)), passage, "name"))
        claims.append(Claim(_claim(row.question, f"not {answer}"), passage, "negation"))
        unrelated = [p for r, p in found if passage_rank(row, [p]) is None]
        if unrelated:
            claims.append(Claim(_claim(row.question, answer), rng.choice(unrelated), "random"))
    return claims


def check_claims(
    claims: Sequence[Claim], chain: Chain, on_claim: Callable[[], None]
) -> list[CheckedClaim]:
    """How each claim is supported by the sentences of its passage."""
    checked = []
    for claim in claims:
        found = supports([(claim.text, [])], [claim.passage], chain.embeddings)[0]
        checked.append(CheckedClaim(claim.kind, found))
        on_claim()
    return checked
