"""Run a suite under one or several configurations, each on the same corpus."""

from collections.abc import Callable, Sequence
from pathlib import Path

from evals.corpus import corpus_settings, ingest_corpus
from evals.pubmedqa import build_pubmedqa
from evals.recipe import RECIPE_CHUNK_OVERLAP, RECIPE_CHUNK_SIZE, RECIPE_K, LangChainRecipe
from evals.runner import RunResult, run_suite
from evals.squad import build_squad
from evals.suite import SuiteRow, in_split, load_suite, sample
from rag.chain import Chain
from rag.errors import RagError
from rag.settings import Settings

BASELINES = ["hybrid", "bm25", "dense", "langchain", "txtai"]
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


def _chain(name: str, settings: Settings, corpus: Path | None) -> Chain:
    if name == "langchain":
        if corpus is None:
            raise RagError("the LangChain baseline needs --corpus: it indexes the files itself")
        return Chain(settings, retriever=LangChainRecipe(corpus, settings))
    if name == "txtai":
        if corpus is None:
            raise RagError("the txtai baseline needs --corpus: it indexes the files itself")
        from evals.txtai_baseline import TxtaiHybrid  # the optional `baselines` extra

        return Chain(settings, retriever=TxtaiHybrid(corpus, settings))
    return Chain(settings.model_copy(update={"retriever": name}))


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
        settings: the user's settings; each configuration changes only the retriever.
        corpus: a folder ingested into a cached index of its own (None: the user's index).
        configurations: retriever names, ``langchain`` for the plain recipe, or
            ``txtai`` for txtai's hybrid search on the recipe's chunks.
        on_row: progress reporting.

    Returns:
        One result per configuration, in order.
    """
    if corpus is not None:
        settings = corpus_settings(corpus, settings)
        ingest_corpus(corpus, settings)
    results = []
    for name in configurations:
        chain = _chain(name, settings, corpus)
        deciding = {"abstain_below", "answerable_at", "max_sentences"}
        described = settings.model_dump(mode="json", include=set(EVIDENCE_SHAPING) | deciding)
        if name in ("langchain", "txtai"):
            described |= {
                "retriever": "langchain recipe" if name == "langchain" else "txtai hybrid",
                "chunk_size": RECIPE_CHUNK_SIZE,
                "chunk_overlap": RECIPE_CHUNK_OVERLAP,
                "k": RECIPE_K if name == "langchain" else 5,
            }
        else:
            described["retriever"] = name
        callback = on_row(name, len(rows)) if on_row else None
        described["answer"] = "extractive" if settings.llm == "none" else settings.llm
        described["strict_citations"] = settings.strict_citations
        results.append(run_suite(name, suite, rows, chain, described, callback))
    return results


def parse_gates(gates: Sequence[str]) -> dict[str, float]:
    """``["hit@5=0.9", ...]`` as ``{"hit@5": 0.9}``, with a clear error when malformed."""
    parsed = {}
    for gate in gates:
        name, _, value = gate.partition("=")
        try:
            parsed[name.strip()] = float(value)
        except ValueError:
            raise RagError(f"--fail-under takes METRIC=VALUE, not {gate!r}") from None
    return parsed


def failed_gates(result: RunResult, gates: dict[str, float]) -> list[str]:
    """A message for each gate ``result`` does not reach (unknown metrics fail too)."""
    failures = []
    for name, floor in gates.items():
        if name not in result.metrics:
            failures.append(f"{name}: no such metric (known: {', '.join(result.metrics)})")
        elif not result.metrics[name] >= floor:
            failures.append(f"{name} = {result.metrics[name]:.3f} is below {floor}")
    return failures
