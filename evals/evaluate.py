"""Run a suite under one or several configurations, each on the same corpus."""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evals.corpus import corpus_settings, ingest_corpus
from evals.pubmedqa import build_pubmedqa
from evals.recipe import RECIPE_CHUNK_OVERLAP, RECIPE_CHUNK_SIZE, RECIPE_K, LangChainRecipe
from evals.reranked import Reranked
from evals.runner import RunResult, run_suite
from evals.squad import build_squad
from evals.suite import SuiteRow, in_split, load_suite, sample
from rag.chain import Chain, PassageRetriever
from rag.errors import RagError
from rag.settings import Settings

# Configurations `--retriever` names and `--baselines` runs, in order: ours (the tuned
# defaults), ours without the re-ranking, each side of ours alone, the LangChain
# recipe, txtai's hybrid search as txtai ships it, and txtai's passages re-ranked by
# our re-ranker (so that the re-ranking's share of a difference shows).
CONFIGURATIONS = [
    "hybrid",
    "hybrid-no-rerank",
    "bm25",
    "dense",
    "langchain",
    "txtai",
    "txtai-rerank",
]
# The settings that decide which passages and sentences a question gets (the
# answerability gate's training data depends on exactly these).
EVIDENCE_SHAPING = (
    "embedding_model",
    "chunk_size",
    "chunk_overlap",
    "k",
    "retriever",
    "fusion",
    "candidates",
    "dense_weight",
    "bm25_weight",
    "rrf_k",
    "rerank_depth",
    "rerank_weight",
    "answer_similarity_weight",
)
# What our answerer decides with, whatever retrieved the passages.
ANSWERING = ("answer_similarity_weight", "abstain_below", "max_sentences")
OWN = ("hybrid", "bm25", "dense")
RETRIEVAL = ("fusion", "candidates", "dense_weight", "bm25_weight", "rrf_k")
RowCallback = Callable[[str, int], Callable[[], None]]
"""Given a run's name and row count, returns what to call after each row."""


def load_rows(
    suite: str,
    squad_file: Path | None,
    corpus: Path | None,
    limit: int | None,
    seed: int,
    settings: Settings,
    split: str = "all",
) -> tuple[str, list[SuiteRow], Path | None]:
    """The suite's name, its rows of ``split`` (sampled) and the corpus to index for it.

    ``suite`` is a JSONL file, or ``squad`` / ``pubmedqa`` with ``squad_file`` the
    official JSON (its articles / abstracts become the corpus).
    """
    if suite in ("squad", "pubmedqa"):
        if squad_file is None:
            raise RagError(f"usage: rag eval {suite} PATH-TO-THE.json")
        build = build_squad if suite == "squad" else build_pubmedqa
        corpus, rows = build(squad_file, settings.data_dir / "eval-cache")
        name = f"{'SQuAD 2.0' if suite == 'squad' else 'PubMedQA'} {squad_file.name}"
    else:
        name, rows = Path(suite).name, load_suite(Path(suite))
    if split != "all":
        name = f"{name} ({split} split)"
    return name, sample(in_split(rows, split), limit, seed), corpus


def _baseline(name: str, settings: Settings, corpus: Path | None) -> PassageRetriever:
    if corpus is None:
        raise RagError(f"the {name} baseline needs --corpus: it indexes the files itself")
    if name == "langchain":
        return LangChainRecipe(corpus, settings)
    from evals.txtai_baseline import TxtaiHybrid  # the optional `baselines` extra

    return TxtaiHybrid(corpus, settings)


def chain_of(name: str, settings: Settings, corpus: Path | None) -> Chain:
    """The chain that answers as configuration ``name`` (``CONFIGURATIONS``)."""
    if name in OWN:
        return Chain(settings.model_copy(update={"retriever": name}))
    if name == "hybrid-no-rerank":
        return Chain(settings.model_copy(update={"retriever": "hybrid", "rerank_depth": 0}))
    inner = _baseline(name.removesuffix("-rerank"), settings, corpus)
    if not name.endswith("-rerank"):
        return Chain(settings, retriever=inner)
    reranked = Reranked(inner, settings)
    chain = Chain(settings, retriever=reranked)
    reranked.answerer = chain.answerer
    return chain


def describe(name: str, settings: Settings) -> dict[str, Any]:
    """The settings that shaped configuration ``name``'s answers, and only those: a
    baseline reports its own chunking, retrieval and depth, never our fusion."""
    described: dict[str, Any] = settings.model_dump(
        mode="json", include={"embedding_model", *ANSWERING}
    )
    described["answer"] = "extractive" if settings.llm == "none" else settings.llm
    described["strict_citations"] = settings.strict_citations
    if name in OWN or name == "hybrid-no-rerank":
        own = settings.model_dump(
            mode="json",
            include={"chunk_size", "chunk_overlap", "k", "rerank_depth", "rerank_weight"},
        )
        described |= own | {"retriever": name.removesuffix("-no-rerank")}
        if name == "hybrid-no-rerank":
            described["rerank_depth"] = 0
        if name.startswith("hybrid"):
            described |= settings.model_dump(mode="json", include=set(RETRIEVAL))
        # rag.chain applies the gate with the built-in hybrid retrieval only.
        gated = name in ("hybrid", "hybrid-no-rerank") and settings.answerable_at > 0
        described["answerable_at"] = settings.answerable_at if gated else "off"
        return described
    baseline = name.removesuffix("-rerank")
    described |= {"chunk_size": RECIPE_CHUNK_SIZE, "chunk_overlap": RECIPE_CHUNK_OVERLAP}
    described["answerable_at"] = "off"  # the gate needs our retriever's scores
    if baseline == "langchain":
        described |= {
            "retriever": "LangChain recipe: RecursiveCharacterTextSplitter, Chroma similarity",
            "k": RECIPE_K,
        }
    else:
        from evals.txtai_baseline import TXTAI_K, TXTAI_SETTINGS

        described |= {"retriever": TXTAI_SETTINGS, "k": TXTAI_K}
    if name.endswith("-rerank"):
        described |= settings.model_dump(mode="json", include={"rerank_depth", "rerank_weight"})
    else:
        described["rerank_depth"] = 0
    return described


def evaluate(
    rows: Sequence[SuiteRow],
    suite: str,
    settings: Settings,
    corpus: Path | None,
    configurations: Sequence[str],
    on_row: RowCallback | None = None,
) -> list[RunResult]:
    """Score ``rows`` once per configuration.

    Args:
        rows: the suite.
        suite: its name, for reports.
        settings: the user's settings; each configuration changes only what its name says.
        corpus: a folder ingested into a cached index of its own (None: the user's index).
        configurations: names from ``CONFIGURATIONS``.
        on_row: progress reporting.

    Returns:
        One result per configuration, in order.
    """
    unknown = [name for name in configurations if name not in CONFIGURATIONS]
    if unknown:
        raise RagError(f"unknown configuration {unknown[0]!r}: use {', '.join(CONFIGURATIONS)}")
    if corpus is not None:
        settings = corpus_settings(corpus, settings)
        ingest_corpus(corpus, settings)
    results = []
    for name in configurations:
        chain = chain_of(name, settings, corpus)
        callback = on_row(name, len(rows)) if on_row else None
        results.append(run_suite(name, suite, rows, chain, describe(name, settings), callback))
    return results
