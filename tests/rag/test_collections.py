"""Collections and source filters through the chain, over a real index and real models."""

import contextlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness.corpora import (
    ENGINEERING_QUESTION,
    HR_QUESTION,
    REMOTE_QUESTION,
    Deployment,
    build_deployment,
)
from ingest.pipeline import ingest
from rag.catalog import Collections
from rag.chain import Chain
from rag.errors import NotFound
from rag.models.embeddings import load_embeddings
from rag.retrieve.collections import list_collections
from rag.retrieve.hybrid import HybridRetriever
from rag.retrieve.index import collection_names, open_client, open_index, reset_index
from rag.retrieve.scope import SourceScope
from rag.settings import Settings

pytestmark = pytest.mark.slow


def _sources(answer_sources: list[str], folder: str) -> bool:
    return bool(answer_sources) and all(s.startswith(folder) for s in answer_sources)


def test_a_question_about_the_second_collection_is_answered_from_it_alone(
    deployment: Deployment,
) -> None:
    engineering = deployment.catalog.get("engineering")
    answer = engineering.answer(ENGINEERING_QUESTION)
    assert "Tuesday and Thursday" in answer.answer
    assert _sources([c.source for c in answer.citations], "eng/")
    assert _sources([p.chunk.source for p in answer.passages], "eng/")
    # Each collection retrieves from its own files only, whatever it is asked.
    in_hr = deployment.chain.answer(ENGINEERING_QUESTION)
    assert _sources([p.chunk.source for p in in_hr.passages], "hr/")
    in_engineering = engineering.answer(HR_QUESTION)
    assert _sources([p.chunk.source for p in in_engineering.passages], "eng/")


def test_collections_share_the_models_and_answer_from_several_threads(
    deployment: Deployment,
) -> None:
    chain, catalog = deployment.chain, deployment.catalog
    engineering = catalog.get("engineering")
    assert engineering.answerer is chain.answerer and engineering.embeddings is chain.embeddings
    assert catalog.get("hr") is chain and catalog.get(None) is chain

    def ask(name: str) -> list[str]:
        question = ENGINEERING_QUESTION if name == "engineering" else HR_QUESTION
        return [c.source for c in catalog.get(name).answer(question).citations]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(ask, ["engineering", "hr"] * 4))
    for name, sources in zip(["engineering", "hr"] * 4, results, strict=True):
        assert _sources(sources, "eng/" if name == "engineering" else "hr/")
    # Every thread got the same open collection.
    assert catalog.get("engineering") is engineering


def test_open_collections_are_bounded(tmp_path: Path) -> None:
    deployment = build_deployment(tmp_path)
    ops = deployment.settings.model_copy(update={"collection": "ops"})
    with contextlib.chdir(tmp_path):
        ingest([tmp_path / "eng"], ops, open_index(ops, create=True), load_embeddings(ops))
    catalog = Collections(Chain(deployment.settings.model_copy(update={"max_collections_open": 1})))
    first = catalog.get("engineering")
    assert catalog.get("engineering") is first
    with pytest.raises(NotFound):  # a missing one is not kept
        catalog.get("missing")
    assert catalog.get("engineering") is first
    assert catalog.get("ops") is catalog.get("ops")  # closes "engineering"...
    assert list(catalog._open) == ["ops"]  # (the default "hr" is not counted)
    reopened = catalog.get("engineering")  # ...which opens again, as a new chain
    assert reopened is not first and list(catalog._open) == ["engineering"]
    assert {c.source for c in reopened.answer(ENGINEERING_QUESTION).citations} == {"eng/deploy.md"}


def test_a_collection_that_does_not_exist_is_not_found_and_not_created(
    deployment: Deployment,
) -> None:
    with pytest.raises(NotFound, match="no collection 'nope'"):
        deployment.catalog.get("nope")
    assert collection_names(open_client(deployment.settings)) == ["engineering", "hr"]
    listed = {c.name: (c.files, c.chunks, c.default) for c in list_collections(deployment.settings)}
    assert listed["hr"][0] == 7 and listed["hr"][2] and listed["engineering"][:2] == (2, 2)


def test_a_source_filter_changes_the_cited_documents(deployment: Deployment) -> None:
    chain = deployment.chain
    unfiltered = chain.answer(REMOTE_QUESTION)
    assert {c.source for c in unfiltered.citations} == {"hr/policies/remote-work.md"}
    filtered = chain.answer(REMOTE_QUESTION, sources=["hr/guides/"])
    assert {c.source for c in filtered.citations} == {
        "hr/guides/first-week.md",
        "hr/guides/remote-setup.md",
    }
    assert _sources([p.chunk.source for p in filtered.passages], "hr/guides/")


@pytest.mark.parametrize("side", ["bm25", "dense"])
def test_the_filter_holds_on_each_side_alone(deployment: Deployment, side: str) -> None:
    retriever = Chain(deployment.settings.model_copy(update={"retriever": side})).retriever
    assert isinstance(retriever, HybridRetriever)  # the one that takes a scope
    unfiltered = [p.chunk.source for p in retriever.retrieve(REMOTE_QUESTION, 3)]
    assert any(s.startswith("hr/policies/") for s in unfiltered)  # so the filter has work
    scope = SourceScope.parse(["hr/guides/"])
    within = [p.chunk.source for p in retriever.retrieve(REMOTE_QUESTION, 3, scope)]
    # Three of the three guides: ranked inside the filter, not cut down after ranking.
    assert sorted(within) == sorted(
        ["hr/guides/first-week.md", "hr/guides/remote-setup.md", "hr/guides/meetings.md"]
    )


def test_a_filter_that_matches_nothing_says_so(deployment: Deployment) -> None:
    with pytest.raises(NotFound, match="no documents under docs/policies in collection 'hr'"):
        deployment.chain.answer(REMOTE_QUESTION, sources=["docs/policies/"])
    with pytest.raises(NotFound, match="collection 'engineering'"):
        deployment.catalog.get("engineering").answer(REMOTE_QUESTION, sources=["hr/"])


def test_a_collection_removed_and_rebuilt_while_open_is_followed(tmp_path: Path) -> None:
    deployment = build_deployment(tmp_path)
    engineering = deployment.catalog.get("engineering")
    assert engineering.answer(ENGINEERING_QUESTION).citations
    reset_index(engineering.settings)  # as `rag ingest --collection engineering --reset` does
    with pytest.raises(NotFound, match="collection 'engineering' was removed"):
        deployment.catalog.get("engineering").answer(ENGINEERING_QUESTION)
    rebuilt = open_index(engineering.settings, create=True)
    with contextlib.chdir(tmp_path):
        ingest([tmp_path / "eng"], engineering.settings, rebuilt, engineering.embeddings)
    answer = deployment.catalog.get("engineering").answer(ENGINEERING_QUESTION)
    assert {c.source for c in answer.citations} == {"eng/deploy.md"}


def test_a_file_record_is_found_after_the_collection_is_rebuilt(tmp_path: Path) -> None:
    # As the source view reads it: a server's open index, then `rag ingest --reset`.
    from langchain_core.embeddings import DeterministicFakeEmbedding

    from rag.schema import source_id

    (tmp_path / "docs").mkdir()
    leave = tmp_path / "docs" / "leave.md"
    leave.write_text("# Leave\n\nStaff get twenty-five days of annual leave.\n")
    settings = Settings(data_dir=tmp_path / "data")
    fake = DeterministicFakeEmbedding(size=8)
    served = open_index(settings)
    ingest([tmp_path / "docs"], settings, served, fake)
    reset_index(settings)
    ingest([tmp_path / "docs"], settings, open_index(settings, create=True), fake)
    record = served.file_record(source_id(str(leave.resolve())))
    assert record is not None and record.path == str(leave.resolve())
