"""Fusion arithmetic, and BM25 derived from Chroma so the two never disagree."""

from pathlib import Path

import pytest

from ingest.pipeline import ingest
from rag.chain import Chain
from rag.models.embeddings import load_embeddings
from rag.retrieve.fusion import Hit, convex_fusion, reciprocal_rank_fusion
from rag.retrieve.hybrid import HybridRetriever
from rag.schema import Chunk, Passage
from rag.settings import Settings


def _passages(*ranked: tuple[str, float]) -> list[Passage]:
    """Passages of chunks named by id, with their scores."""
    made = [
        Chunk(id=i, text=i, source=i, path=i, title=i, section="", start=0, end=1)
        for i, _ in ranked
    ]
    return [Passage(chunk=c, score=s) for c, (_, s) in zip(made, ranked, strict=True)]


def test_weighted_rrf_by_hand() -> None:
    dense = _passages(("a", 0.9), ("b", 0.8))
    lexical = [Hit("b", 12.0), Hit("c", 3.0)]
    fused = reciprocal_rank_fusion([dense, lexical], [1.0, 2.0], rrf_k=1)
    # a: 1/(1+1) = 0.5; b: 1/(1+2) + 2/(1+1) = 1.333; c: 2/(1+2) = 0.667
    assert [(x, round(score, 3)) for x, score in fused] == [
        ("b", 1.333),
        ("c", 0.667),
        ("a", 0.5),
    ]


def test_convex_fusion_by_hand() -> None:
    dense = _passages(("a", 0.9), ("b", 0.7), ("c", 0.5))
    lexical = [Hit("c", 12.0), Hit("d", 8.0), Hit("a", 4.0)]
    # min-max: dense a=1, b=0.5, c=0; bm25 c=1, d=0.5, a=0 (b and d missing: 0).
    # weights 3 and 2 are 0.6 and 0.4: a=0.6, b=0.3, c=0.4, d=0.2
    fused = convex_fusion([dense, lexical], [3.0, 2.0])
    assert [(x, round(score, 3)) for x, score in fused] == [
        ("a", 0.6),
        ("c", 0.4),
        ("b", 0.3),
        ("d", 0.2),
    ]
    # One candidate, or equal scores, normalise to 1; an empty side adds nothing.
    assert convex_fusion([[Hit("a", 2.0)], []], [1.0, 1.0]) == [("a", 0.5)]
    assert convex_fusion([[Hit("a", 1.0), Hit("b", 1.0)]], [1.0]) == [("a", 1.0), ("b", 1.0)]


def test_a_weight_for_each_list() -> None:
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([[Hit("a", 1.0)], [Hit("b", 1.0)]], [1.0], rrf_k=60)


@pytest.mark.slow
@pytest.mark.parametrize("fusion", ["rrf", "convex"])
def test_both_fusions_find_the_revenue_passage(seeded_chain: Chain, fusion: str) -> None:
    settings = seeded_chain.settings.model_copy(update={"fusion": fusion})
    passages = Chain(settings).retriever.retrieve("How much revenue did Netflix report?", k=3)
    assert "$11.5 billion" in passages[0].chunk.text
    assert passages[0].score >= passages[1].score >= passages[2].score


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_each_mode_finds_the_revenue_passage(seeded_chain: Chain, mode: str) -> None:
    settings = seeded_chain.settings.model_copy(update={"retriever": mode})
    passages = Chain(settings).retriever.retrieve("How much revenue did Netflix report?", k=3)
    assert "$11.5 billion" in passages[0].chunk.text
    scored = passages[0].dense_score if mode == "dense" else passages[0].bm25_score
    assert scored is not None


@pytest.mark.slow
def test_langchain_invoke_returns_documents(seeded_chain: Chain) -> None:
    retriever = seeded_chain.retriever
    assert isinstance(retriever, HybridRetriever)  # a LangChain retriever too
    question = "Which film used AI to de-age characters?"
    documents = retriever.invoke(question)
    assert len(documents) == seeded_chain.settings.k
    assert "Happy Gilmore 2" in documents[0].page_content
    assert {"source", "section", "start", "end", "score"} <= set(documents[0].metadata)
    # The same passages, in the same order, as the chain's own call returns.
    passages = retriever.retrieve(question)
    assert [(d.id, d.metadata["score"]) for d in documents] == [(p.id, p.score) for p in passages]


@pytest.mark.slow
def test_bm25_follows_the_index_after_a_change(corpus: Path, settings: Settings) -> None:
    chain = Chain(settings.model_copy(update={"retriever": "bm25"}))
    embeddings = load_embeddings(settings)
    llamas = corpus / "llamas.txt"
    llamas.write_text("Llamas hum when they are content.\n")
    ingest([corpus], settings, chain.index, embeddings)
    assert chain.retriever.retrieve("llamas hum")[0].chunk.source == "seeds/llamas.txt"
    llamas.unlink()
    ingest([corpus], settings, chain.index, embeddings)
    assert all("llamas" not in p.chunk.source for p in chain.retriever.retrieve("llamas hum"))
