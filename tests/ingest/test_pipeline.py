"""Ingest is idempotent and incremental against a real Chroma index."""

import shutil
from pathlib import Path

import pytest

from ingest.pipeline import ingest
from rag.embeddings import load_embeddings
from rag.index import ChunkIndex, open_index
from rag.settings import Settings

pytestmark = pytest.mark.slow


def run(paths: list[Path], settings: Settings, index: ChunkIndex):
    return ingest(paths, settings, index, load_embeddings(settings))


def test_second_ingest_embeds_nothing(corpus: Path, settings: Settings) -> None:
    index = open_index(settings)
    first = run([corpus], settings, index)
    assert (first.files, first.removed, first.unchanged) == (1, 0, 0)
    assert first.added == index.count() > 5
    second = run([corpus], settings, index)
    assert (second.added, second.removed, second.unchanged) == (0, 0, first.added)
    assert "0 added, 0 removed" in second.summary()


def test_an_edit_replaces_only_that_files_chunks(corpus: Path, settings: Settings) -> None:
    other = corpus / "other.md"
    other.write_text("# Llamas\n\nLlamas hum when they are content. They live in the Andes.\n")
    index = open_index(settings)
    run([corpus], settings, index)
    before = index.ids_by_path()
    seed = corpus / "netflix-generative-ai.txt"
    seed.write_text(seed.read_text().replace("$11.5 billion", "$12.5 billion"))
    report = run([corpus], settings, index)
    after = index.ids_by_path()
    assert after[str(other.resolve())] == before[str(other.resolve())]
    replaced = before[str(seed.resolve())] - after[str(seed.resolve())]
    assert report.added == report.removed == len(replaced) >= 1
    assert any("$12.5 billion" in c.text for c in index.all_chunks())
    assert not any("$11.5 billion" in c.text for c in index.all_chunks())


def test_a_deleted_file_loses_its_chunks(corpus: Path, settings: Settings) -> None:
    other = corpus / "other.txt"
    other.write_text("Llamas hum when they are content.\n")
    index = open_index(settings)
    run([corpus], settings, index)
    count = index.count()
    other.unlink()
    report = run([corpus], settings, index)
    assert report.removed == 1 and index.count() == count - 1
    assert str(other.resolve()) not in index.ids_by_path()


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
