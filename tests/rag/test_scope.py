"""Source filters and collection names, without models: matching and BM25 restriction."""

import pytest

from rag.errors import RagError
from rag.retrieve.index import chroma_name
from rag.retrieve.lexical import Bm25
from rag.retrieve.scope import MAX_PREFIXES, SourceScope
from rag.schema import Chunk
from rag.settings import Settings, SettingsInvalid, load_settings


def _scope(*prefixes: str) -> SourceScope:
    scope = SourceScope.parse(prefixes)
    assert scope is not None
    return scope


def test_a_prefix_matches_whole_path_components() -> None:
    scope = _scope("docs/policies/")
    assert scope.matches("docs/policies/leave.md", "/srv/docs/policies/leave.md")
    assert scope.matches("docs/policies/2024/old.md", "/x")
    assert not scope.matches("docs/policies-old/leave.md", "/x")
    assert not scope.matches("docs/guides/policies/leave.md", "/x")
    # Without the trailing slash, or with ./ in front, it means the same folder; a file too.
    assert _scope("./docs/policies").matches("docs/policies/leave.md", "/x")
    assert _scope("docs/policies/leave.md").matches("docs/policies/leave.md", "/x")


def test_an_absolute_prefix_also_matches_absolute_paths() -> None:
    scope = _scope("/srv/intranet/hr")
    assert scope.matches("hr/leave.md", "/srv/intranet/hr/leave.md")
    assert not scope.matches("hr/leave.md", "/srv/intranet/hr-archive/leave.md")


def test_no_prefix_means_no_filter_and_bad_ones_are_refused() -> None:
    assert SourceScope.parse([]) is None
    with pytest.raises(RagError, match="empty"):
        SourceScope.parse(["  "])
    with pytest.raises(RagError, match="more than"):
        SourceScope.parse([f"d{i}/" for i in range(MAX_PREFIXES + 1)])


def _chunk(path: str, number: int, text: str) -> Chunk:
    return Chunk(
        id=f"{path}#{number}",
        text=text,
        source=path.lstrip("/"),
        path=path,
        title="t",
        section="s",
        start=0,
        end=len(text),
    )


def test_bm25_ranks_only_the_chunks_of_the_files_in_scope() -> None:
    bm25 = Bm25()
    bm25.add_file("/a.md", "1", [_chunk("/a.md", i, "llamas hum llamas hum") for i in range(3)])
    bm25.add_file("/b.md", "1", [_chunk("/b.md", i, f"llamas hum softly {i}") for i in range(3)])
    unfiltered = [chunk_id for chunk_id, _ in bm25.search("llamas hum", 2)]
    assert all(i.startswith("/a.md") for i in unfiltered)  # /a.md's chunks rank first
    within = bm25.search("llamas hum", 2, paths={"/b.md"})
    # k chunks from /b.md, not the empty list that dropping /a.md's hits afterwards gives.
    assert [i.split("#")[0] for i, _ in within] == ["/b.md", "/b.md"]
    assert bm25.search("llamas", 2, paths={"/gone.md"}) == []


def test_collection_names_follow_chroma_rules_without_dots_or_path_characters() -> None:
    assert Settings(collection="hr").collection == "hr"
    assert Settings(collection="team_docs-2").collection == "team_docs-2"
    for bad in ("../x", "a/b", "a.b", "-x", "", "x" * 64, "ü"):
        with pytest.raises(SettingsInvalid, match="collection name"):
            load_settings(collection=bad)
    # Chroma wants 3 characters at least: short names get a suffix no name can have.
    assert chroma_name("documents") == "documents"
    assert chroma_name("hr") == "hr.collection"
