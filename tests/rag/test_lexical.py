"""The incremental BM25 scores exactly as bm25s does, before and after a file changes."""

from pathlib import Path

import bm25s
import numpy as np
import pytest

from rag.retrieve.lexical import Bm25
from rag.schema import Chunk
from rag.text import tokenize

FILES = {
    "/a.txt": ["Llamas hum when they are content.", "Alpacas are smaller than llamas."],
    "/b.txt": ["The Andes are home to llamas and vicuñas.", "Vicuñas have very fine wool."],
    "/c.txt": ["Camels store fat in their humps.", "Camels and llamas are related."],
}
QUERIES = ["llamas hum", "fine wool vicuñas", "camels humps fat", "related llamas"]


def chunks(path: str, texts: list[str]) -> list[Chunk]:
    return [
        Chunk(
            id=f"{path}#{n}", text=t, source=path, path=path, title="", section="", start=0, end=1
        )
        for n, t in enumerate(texts)
    ]


def reference_scores(files: dict[str, list[str]], query: str) -> dict[str, float]:
    """bm25s (Lucene variant, its defaults) rebuilt from scratch over ``files``."""
    corpus = [c for path, texts in files.items() for c in chunks(path, texts)]
    model = bm25s.BM25()
    model.index(tokenize([c.text for c in corpus]), show_progress=False)
    scores = model.get_scores(tokenize([query])[0])
    return {c.id: float(s) for c, s in zip(corpus, scores, strict=True) if s > 0}


def ours(bm25: Bm25, query: str) -> dict[str, float]:
    return dict(bm25.search(query, k=100))


@pytest.mark.parametrize("query", QUERIES)
def test_scores_equal_bm25s_then_follow_a_change(query: str, tmp_path: Path) -> None:
    bm25 = Bm25()
    for path, texts in FILES.items():
        bm25.add_file(path, "v1", chunks(path, texts))
    expected = reference_scores(FILES, query)
    assert expected and ours(bm25, query) == pytest.approx(expected, rel=1e-5)

    changed = {**FILES, "/b.txt": ["Vicuñas graze high in the Andes, far from llamas."]}
    del changed["/c.txt"]
    bm25.add_file("/b.txt", "v2", chunks("/b.txt", changed["/b.txt"]))
    bm25.drop_file("/c.txt")
    assert ours(bm25, query) == pytest.approx(reference_scores(changed, query), rel=1e-5)

    bm25.save(tmp_path / "bm25.npz")
    loaded = Bm25.load(tmp_path / "bm25.npz")
    assert loaded.files.keys() == {"/a.txt", "/b.txt"}
    assert ours(loaded, query) == pytest.approx(reference_scores(changed, query), rel=1e-5)


def test_an_unreadable_saved_state_starts_empty(tmp_path: Path) -> None:
    (tmp_path / "bm25.npz").write_bytes(np.zeros(10).tobytes())
    (tmp_path / "bm25.json").write_text("{}")
    assert Bm25.load(tmp_path / "bm25.npz").files == {}


def test_a_state_handed_out_never_changes_under_a_search(tmp_path: Path) -> None:
    # A search runs outside LiveBm25's lock: an ingest landing meanwhile must not
    # change the state it reads (its rows, its file map), or a filtered search fails
    # or returns another file's chunks.
    from langchain_core.embeddings import DeterministicFakeEmbedding

    from ingest.pipeline import ingest
    from rag.retrieve.index import open_index
    from rag.retrieve.lexical import LiveBm25
    from rag.settings import Settings

    docs = tmp_path / "docs"
    docs.mkdir()
    for name, texts in FILES.items():
        (docs / name.strip("/")).write_text("\n\n".join(texts) + "\n")
    settings = Settings(data_dir=tmp_path / "data")
    index = open_index(settings)
    fake = DeterministicFakeEmbedding(size=8)
    ingest([docs], settings, index, fake)
    live = LiveBm25(index, tmp_path / "bm25" / "state.npz")
    b = str((docs / "b.txt").resolve())
    before = live.current()
    found = before.search("vicuñas wool", 5, {b})
    assert found and all(chunk_id in {c.id for c in index.chunks_of(b)} for chunk_id, _ in found)

    (docs / "b.txt").unlink()
    (docs / "d.txt").write_text("Vicuñas and their wool, again and again.\n")
    ingest([docs], settings, index, fake)
    after = live.current()
    assert after is not before
    assert before.search("vicuñas wool", 5, {b}) == found  # the state it had
    assert after.search("vicuñas wool", 5, {b}) == []  # b.txt is gone now
    assert sorted(p.name for p in (tmp_path / "bm25").iterdir()) == ["state.json", "state.npz"]
