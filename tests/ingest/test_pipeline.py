"""Ingest is idempotent and incremental against a real Chroma index."""

import shutil
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings

from ingest.loaders import LOADERS
from ingest.pipeline import ingest
from rag.models.embeddings import load_embeddings
from rag.retrieve.index import ChunkIndex, open_index
from rag.settings import Settings

pytestmark = pytest.mark.slow


def run(paths: list[Path], settings: Settings, index: ChunkIndex):
    return ingest(paths, settings, index, load_embeddings(settings))


class Recording(Embeddings):
    """The real embedder, noting every text it is asked to embed."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.texts: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts.extend(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def test_second_ingest_embeds_nothing(corpus: Path, settings: Settings) -> None:
    index = open_index(settings)
    first = run([corpus], settings, index)
    assert (first.files, first.removed, first.unchanged) == (1, 0, 0)
    assert first.added == index.count() > 5
    second = run([corpus], settings, index)
    assert (second.added, second.removed, second.moved) == (0, 0, 0)
    assert second.unchanged == first.added
    assert "0 added, 0 removed" in second.summary()


def test_an_edit_replaces_only_that_files_chunks(corpus: Path, settings: Settings) -> None:
    other = corpus / "other.md"
    other.write_text("# Llamas\n\nLlamas hum when they are content. They live in the Andes.\n")
    index = open_index(settings)
    run([corpus], settings, index)
    seed = corpus / "netflix-generative-ai.txt"
    before = {p: set(index.chunk_spans(str(p.resolve()))) for p in (seed, other)}
    seed.write_text(seed.read_text().replace("$11.5 billion", "$12.5 billion"))
    report = run([corpus], settings, index)
    after = {p: set(index.chunk_spans(str(p.resolve()))) for p in (seed, other)}
    assert after[other] == before[other]
    replaced = before[seed] - after[seed]
    assert report.added == report.removed == len(replaced) >= 1
    texts = [c.text for c in index.iter_chunks()]
    assert any("$12.5 billion" in t for t in texts)
    assert not any("$11.5 billion" in t for t in texts)


def test_a_paragraph_inserted_at_the_top_embeds_only_itself(
    corpus: Path, settings: Settings
) -> None:
    seed = corpus / "netflix-generative-ai.txt"
    index = open_index(settings)
    first = run([corpus], settings, index)
    original = seed.read_text()
    inserted = "Llamas hum softly when they are content, says the new preface.\n\n"
    seed.write_text(inserted + original)
    embedded = Recording(load_embeddings(settings))
    report = ingest([corpus], settings, index, embedded)
    # The preface is a chunk of its own, the only text embedded; every other chunk only moved.
    assert embedded.texts == [inserted.strip()]
    assert report.added == 1 and report.removed == 0
    assert report.moved == first.added and report.unchanged == 0
    text = seed.read_text()
    chunks = index.chunks_of(str(seed.resolve()))
    assert len(chunks) == first.added + 1
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert chunks[0].text == inserted.strip() and chunks[1].start == len(inserted)


def test_a_deleted_file_loses_its_chunks(corpus: Path, settings: Settings) -> None:
    other = corpus / "other.txt"
    other.write_text("Llamas hum when they are content.\n")
    index = open_index(settings)
    run([corpus], settings, index)
    count = index.count()
    other.unlink()
    report = run([corpus], settings, index)
    assert report.removed == 1 and index.count() == count - 1
    assert not index.chunk_spans(str(other.resolve()))
    assert str(other.resolve()) not in index.files()


def test_bad_files_are_skipped_and_good_ones_ingested(
    corpus: Path, bad_files: dict[str, Path], settings: Settings
) -> None:
    for path in bad_files.values():
        shutil.copy(path, corpus / path.name)
    report = run([corpus], settings, open_index(settings))
    assert report.files == 1 and report.added > 0
    reasons = {Path(s.source).name: s.reason for s in report.skipped}
    assert set(reasons) == {"empty.txt", "random.txt", "truncated.pdf", "latin1.txt"}
    assert "not UTF-8" in reasons["latin1.txt"] and "PDF" in reasons["truncated.pdf"]
    assert report.ok


def test_nothing_ingestible_is_not_ok(bad_files: dict[str, Path], settings: Settings) -> None:
    report = run([bad_files["empty"].parent], settings, open_index(settings))
    assert report.files == 0 and not report.ok


def test_sources_are_named_relative_to_the_working_folder(corpus: Path, settings: Settings) -> None:
    index = open_index(settings)
    run([corpus], settings, index)
    assert dict(index.sources()) == {"seeds/netflix-generative-ai.txt": index.count()}


def test_a_loader_that_raises_anything_skips_only_its_file(
    corpus: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    (corpus / "broken.md").write_text("# Llamas\n\nLlamas hum when they are content.\n")

    def parser_bug(path: Path, source: str) -> None:
        raise ZeroDivisionError("division by zero in the parser")

    monkeypatch.setitem(LOADERS, ".md", parser_bug)
    report = run([corpus], settings, open_index(settings))
    assert report.files == 1 and report.added > 0
    assert [(Path(s.source).name, s.reason) for s in report.skipped] == [
        ("broken.md", "the loader failed: ZeroDivisionError: division by zero in the parser")
    ]


def test_an_interrupted_ingest_is_reported_until_one_finishes(
    corpus: Path, settings: Settings
) -> None:
    class Failing(DeterministicFakeEmbedding):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            raise RuntimeError("killed")

    index = open_index(settings)
    assert index.unfinished_ingest() is None
    with pytest.raises(RuntimeError):
        ingest([corpus], settings, index, Failing(size=8))
    assert "did not finish" in (open_index(settings).unfinished_ingest() or "")
    run([corpus], settings, index)
    assert open_index(settings).unfinished_ingest() is None


def test_sphinx_source_copies_are_counted_and_leave_the_index(
    tmp_path: Path, settings: Settings
) -> None:
    build = tmp_path / "html"
    (build / "_sources").mkdir(parents=True)
    (build / "venv.html").write_text(
        "<html><body><div role='main'><h1>Virtual environments</h1>"
        "<p>Run the venv module as a script.</p></div></body></html>"
    )
    (build / "_sources" / "venv.rst.txt").write_text(
        "Virtual environments\n====================\n\nRun the :mod:`venv` module as a script.\n"
    )
    index = open_index(settings)
    sources_alone = run([build / "_sources"], settings, index)  # the page is not part of it
    assert (sources_alone.files, sources_alone.sphinx_copies) == (1, 0)
    copy = str((build / "_sources" / "venv.rst.txt").resolve())
    assert index.chunk_spans(copy)
    whole = run([build], settings, index)
    assert (whole.files, whole.sphinx_copies, whole.skipped) == (1, 1, [])
    assert whole.removed == sources_alone.added  # what the copy had indexed is gone
    assert not index.chunk_spans(copy) and copy not in index.files()
    assert whole.summary().endswith("; 1 Sphinx source copy skipped: its rendered page is ingested")
