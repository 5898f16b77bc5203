"""What the tuning of the answer reads, observed once per question: its first ``POOL``
passages under the tuned fusion, each one's score, relevance and candidate sentences.

The answer's similarity weight and abstention threshold (evals/tune.py) and the
re-ranking by best sentence (evals/tune_rerank.py) are each chosen by re-ordering
and re-scoring these, in seconds.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from evals.relevance import has_gold, passage_relevant
from evals.suite import SuiteRow
from rag.answer.extractive import Signal
from rag.chain import Chain
from rag.settings import Settings

POOL = 20  # passages observed per question: the deepest re-ranking tried reads no further
K = Settings.model_fields["k"].default  # passages the answerer sees


@dataclass
class Observed:
    """One question's first ``POOL`` passages under the tuned fusion: each one's
    retrieval score, relevance and candidate sentences, and the order the
    answerer sees them in (retrieval order until a re-ranking is chosen)."""

    row: SuiteRow
    scores: list[float]
    relevant: list[bool]
    signals: list[list[Signal]]
    order: list[int]

    def best(self, weight: float, order: Sequence[int] | None = None) -> Signal | None:
        """The sentence the answer would start with at ``weight``: the best of
        the first ``K`` passages' sentences, in ``order`` (else ``self.order``)."""
        shown = (s for i in (self.order if order is None else order)[:K] for s in self.signals[i])
        return max(shown, key=lambda s: s.score(weight), default=None)


def observe(
    rows: Sequence[SuiteRow], settings: Settings, on_row: Callable[[], None]
) -> list[Observed]:
    """Retrieve once per question (without re-ranking) and keep each passage's signals."""
    chain = Chain(settings)
    observed = []
    for row in rows:
        passages = chain.retriever.retrieve(row.question, POOL)
        observed.append(
            Observed(
                row,
                [p.score for p in passages],
                [has_gold(row) and passage_relevant(row, p.chunk) for p in passages],
                [chain.answerer.signals(row.question, [p]) for p in passages],
                list(range(len(passages))),
            )
        )
        on_row()
    return observed
