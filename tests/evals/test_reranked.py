"""A baseline's passages re-ranked exactly as ours are (evals/reranked.py)."""

from collections.abc import Sequence

from evals.reranked import Reranked
from rag.schema import Chunk, Passage
from rag.settings import Settings


def _passage(name: str, score: float) -> Passage:
    chunk = Chunk(id=name, text=name, source="f", path="/f", title="", section="", start=0, end=1)
    return Passage(chunk=chunk, score=score)


class Baseline:
    """A retriever with a fixed ranking, and what it was asked for."""

    def __init__(self) -> None:
        self.asked: list[int | None] = []

    def retrieve(self, query: str, k: int | None = None) -> list[Passage]:
        self.asked.append(k)
        return [_passage("a", 1.0), _passage("b", 0.5), _passage("c", 0.0)][: k or 3]


class Sentences:
    """Best sentence scores as the answerer would give them: c holds the answer."""

    def best_sentences(self, question: str, passages: Sequence[Passage]) -> list[float]:
        return [{"a": 0.0, "b": 0.0, "c": 1.0}[p.chunk.id] for p in passages]


def test_the_first_passages_are_reordered_by_their_best_sentence() -> None:
    # Weight 0.1 on the min-max normalised retrieval score: a 0.1, b 0.05, c 0.9.
    baseline = Baseline()
    reranked = Reranked(baseline, Settings(rerank_depth=3, rerank_weight=0.1))
    reranked.answerer = Sentences()
    assert [p.chunk.id for p in reranked.retrieve("q", 2)] == ["c", "a"]
    assert baseline.asked == [3]  # the pool is the re-ranking depth, not k


def test_depth_zero_leaves_the_baseline_as_it_ranks() -> None:
    reranked = Reranked(Baseline(), Settings(rerank_depth=0))
    reranked.answerer = Sentences()
    assert [p.chunk.id for p in reranked.retrieve("q", 2)] == ["a", "b"]
