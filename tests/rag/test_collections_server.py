"""Two collections and a source filter on a real Chroma server (`chroma run`)."""

from pathlib import Path

import pytest

from harness.corpora import ENGINEERING_QUESTION, REMOTE_QUESTION, build_deployment
from harness.servers import chroma_server
from rag.errors import ChromaUnavailable, NotFound
from rag.retrieve.collections import list_collections
from rag.retrieve.index import open_client

pytestmark = [pytest.mark.server, pytest.mark.slow]


def test_collections_and_filters_through_a_chroma_server(tmp_path: Path) -> None:
    with chroma_server(tmp_path / "chroma-server") as url:
        deployment = build_deployment(tmp_path, chroma_url=url)
        chain = deployment.chain
        listed = [(c.name, c.files) for c in list_collections(deployment.settings)]
        engineering = deployment.catalog.get("engineering").answer(ENGINEERING_QUESTION)
        filtered = chain.answer(REMOTE_QUESTION, sources=["hr/guides/"])
        with pytest.raises(NotFound):
            deployment.catalog.get("nope")
        client = open_client(deployment.settings)
    with pytest.raises(ChromaUnavailable):  # the server stopped: a clear error, not a 500
        list_collections(deployment.settings, client)
    assert listed == [("engineering", 2), ("hr", 7)]
    assert {c.source for c in engineering.citations} == {"eng/deploy.md"}
    cited = {c.source for c in filtered.citations}
    assert cited and all(source.startswith("hr/guides/") for source in cited)
    assert {p.chunk.source.split("/")[1] for p in filtered.passages} == {"guides"}
    assert not (tmp_path / "data" / "chroma").exists()  # the index lives on the server
