"""Past 32,766 chunks (SQLite's limit of variables per statement) everything still works.

Cheap deterministic vectors stand in for the model: this test is about reads and
writes at size, not about meaning. BM25 carries the retrieval check.
"""

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from langchain_core.embeddings import DeterministicFakeEmbedding
from typer.testing import CliRunner

from cli.main import app
from ingest.pipeline import ingest
from rag.catalog import Collections
from rag.chain import Chain
from rag.retrieve.hybrid import build_retriever
from rag.settings import Settings
from ui.api import build_api
from ui.security import Guard

pytestmark = pytest.mark.slow

FILES, SENTENCES = 337, 100  # 33,700 chunks: one sentence each at chunk_size 100
NEEDLE = "The llama census counted 4,217 animals in the Peruvian highlands."


def write_corpus(folder: Path) -> None:
    folder.mkdir()
    for number in range(FILES):
        lines = [
            f"Entry {row} of ledger {number} lists parcel {number * SENTENCES + row} as shipped "
            "on schedule."
            for row in range(SENTENCES)
        ]
        if number == 217:
            lines[50] = NEEDLE
        (folder / f"ledger-{number:03d}.txt").write_text(" ".join(lines) + "\n")


def test_an_index_above_33000_chunks_ingests_answers_and_forgets(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", chunk_size=100, chunk_overlap=0)
    fake = DeterministicFakeEmbedding(size=16)
    write_corpus(tmp_path / "docs")
    chain = Chain(settings)
    first = ingest([tmp_path / "docs"], settings, chain.index, fake)
    assert first.added == chain.index.count() == FILES * SENTENCES > 32_766

    # Random vectors make the dense side noise, which convex fusion would weigh as
    # much as BM25: the retrieval check is BM25's alone.
    lexical = settings.model_copy(update={"retriever": "bm25"})
    chain = Chain(settings, retriever=build_retriever(lexical, chain.index, fake))
    passages = chain.ranked("How many animals did the llama census count?", 5)
    assert passages[0].chunk.text == NEEDLE
    assert passages[0].chunk.source == "docs/ledger-217.txt"

    api = FastAPI()
    api.include_router(build_api(Collections(chain), Guard(settings)))
    ready = TestClient(api).get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["chunks"] == FILES * SENTENCES and ready.json()["sources"] == FILES

    (tmp_path / "docs" / "ledger-000.txt").unlink()
    again = CliRunner().invoke(
        app, ["ingest", "docs", "--json"], env={"RAG_CHUNK_SIZE": "100", "RAG_CHUNK_OVERLAP": "0"}
    )
    assert again.exit_code == 0, again.output
    assert '"added":0' in again.stdout and f'"removed":{SENTENCES}' in again.stdout

    assert chain.index.delete_source("docs/ledger-217.txt") == SENTENCES
    assert chain.index.count() == (FILES - 2) * SENTENCES
    after = chain.ranked("How many animals did the llama census count?", 5)
    assert all(p.chunk.source != "docs/ledger-217.txt" for p in after)
