"""The same ingest-and-ask flow against a real Chroma server on loopback."""

from pathlib import Path

import pytest

from harness.servers import chroma_server, free_port
from ingest.pipeline import ingest
from rag.chain import Chain
from rag.errors import RagError
from rag.models.embeddings import load_embeddings
from rag.settings import Settings

pytestmark = [pytest.mark.server, pytest.mark.slow]


def test_ingest_and_ask_through_a_chroma_server(corpus: Path, tmp_path: Path) -> None:
    with chroma_server(tmp_path / "chroma-server") as url:
        settings = Settings(chroma_url=url, data_dir=tmp_path / "unused")
        chain = Chain(settings)
        first = ingest([corpus], settings, chain.index, load_embeddings(settings))
        again = ingest([corpus], settings, chain.index, load_embeddings(settings))
        answer = chain.answer("Which film used AI tools to de-age characters?")
        off_topic = chain.answer("What is the capital of Argentina?")
    assert first.added > 0 and again.added == 0 and again.unchanged == first.added
    assert "Happy Gilmore 2" in answer.answer
    assert off_topic.abstained
    # The index lives on the server; only derived caches (BM25 state, sentence
    # vectors) are kept locally, beside no local Chroma.
    assert not (tmp_path / "unused" / "chroma").exists()
    assert {p.name for p in (tmp_path / "unused").iterdir()} <= {"bm25", "cache"}


def test_an_unreachable_server_is_a_clear_error() -> None:
    settings = Settings(chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(RagError, match="cannot reach the Chroma server"):
        Chain(settings).index.count()
