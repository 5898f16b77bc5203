"""Bad files cost one file each, never the run: `rag ingest` (a real process) ingests
the good files, names every bad one with its reason, prints no traceback, exits 0."""

import json
import os
import random
import resource
import subprocess
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from harness.documents import write_docx, write_pdf
from harness.servers import BIN
from ingest import loaders
from ingest.chunker import chunk_document
from ingest.pipeline import Discovered, discover
from rag.retrieve.index import open_index
from rag.settings import Settings

# The 5 MB file makes ~6,400 chunks: the static embedder keeps that to seconds.
STATIC = {"RAG_EMBEDDING_BACKEND": "static"}
LONG_LINE_BYTES = 5 * 1024 * 1024
MEMORY_CAP = 4 * 1024**3  # address space of the `rag ingest` process
TITLE_CHARS = 100  # a title guessed from a first line is at most this long
GOOD = "Llamas hum softly when they are content. A llama herd sleeps standing in a circle.\n"
EXPECTED_SKIPS = {
    "docs/empty.txt": "empty file",
    "docs/binary.txt": "binary file",
    "docs/latin1.txt": "not UTF-8",
    "docs/corrupt.pdf": "corrupt or unreadable PDF",
    "docs/nul.txt": "binary file (contains NUL bytes)",
    "docs/corrupt.docx": "corrupt or unreadable Word document (not a .docx package",
    "docs/renamed.pptx": "corrupt or unreadable PowerPoint file (ValueError: file 'renamed.pptx'",
}


def _long_line() -> str:
    """5 MB of words on one line, without a single full stop."""
    words = "alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega".split()
    rng = random.Random(0)
    text = " ".join(rng.choice(words) for _ in range(LONG_LINE_BYTES // 5))
    return text[:LONG_LINE_BYTES]


def _pdf_with_a_wrong_xref_offset(folder: Path) -> Path:
    """A readable PDF whose startxref points nowhere: pypdf recovers, with warnings."""
    whole = write_pdf(folder.parent / "whole.pdf", ["Alpacas are smaller than llamas."])
    data = whole.read_bytes()
    path = folder / "shifted.pdf"
    path.write_bytes(data[: data.rfind(b"startxref")] + b"startxref\n999999\n%%EOF\n")
    return path


def write_bad_folder(root: Path) -> Path:
    """docs/: two good files, one readable-with-warnings PDF and every kind of bad file."""
    folder = root / "docs"
    folder.mkdir()
    (folder / "good.md").write_text("# Llamas\n\n" + GOOD)
    (folder / "good.txt").write_text(GOOD.replace("Llamas", "Alpacas"))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 16)
    (folder / "latin1.txt").write_bytes("Café au lait, crème brûlée.".encode("latin-1"))
    pdf = write_pdf(root / "whole.pdf", ["A complete sentence about llamas."]).read_bytes()
    (folder / "corrupt.pdf").write_bytes(pdf[: len(pdf) // 3])
    (folder / "nul.txt").write_bytes(b"Some text\x00with a NUL byte.\n")
    docx = write_docx(root / "whole.docx", [("A complete sentence about llamas.", "p")])
    (folder / "corrupt.docx").write_bytes(docx.read_bytes()[:1000])
    (folder / "renamed.pptx").write_bytes(docx.read_bytes())  # a Word file, misnamed
    (folder / "long-line.txt").write_text(_long_line())
    _pdf_with_a_wrong_xref_offset(folder)
    loop = folder / "loop"
    loop.mkdir()
    (loop / "inside.txt").write_text("Guanacos live in the Andes.\n")
    (loop / "parent").symlink_to("..", target_is_directory=True)  # docs/loop/parent -> docs
    (loop / "itself.txt").symlink_to("itself.txt")  # a link to itself
    return folder


@pytest.fixture(scope="module")
def ingested(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One real `rag ingest docs --json` over the bad folder."""
    root = tmp_path_factory.mktemp("bad-files")
    write_bad_folder(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(STATIC, RAG_DATA_DIR=str(root / "data"))
    result = subprocess.run(
        [str(BIN / "rag"), "ingest", "docs", "--json"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        # A regression that blows memory up fails here instead of starving the machine.
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP)),
    )
    return root, result


@pytest.mark.slow
def test_rag_ingest_names_each_bad_file_and_ingests_the_rest(
    ingested: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _, result = ingested
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    # good.md, good.txt, long-line.txt, shifted.pdf, loop/inside.txt: each once.
    assert report["files"] == 5
    skipped = {s["source"]: s["reason"] for s in report["skipped"]}
    assert set(skipped) == set(EXPECTED_SKIPS)
    for source, reason in EXPECTED_SKIPS.items():
        assert reason in skipped[source]
        assert f"skipped {source}: {reason}" in " ".join(result.stderr.split())


@pytest.mark.slow
def test_a_5mb_line_becomes_chunks_no_longer_than_chunk_size(
    ingested: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    root, result = ingested
    assert result.returncode == 0, result.stderr
    settings = Settings(data_dir=root / "data", embedding_backend="static")
    chunks = open_index(settings).chunks_of(str(root / "docs" / "long-line.txt"))
    assert len(chunks) > LONG_LINE_BYTES // settings.chunk_size
    assert max(len(c.text) for c in chunks) <= settings.chunk_size
    assert chunks[-1].end > LONG_LINE_BYTES - settings.chunk_size  # the whole line is covered


@pytest.mark.slow
def test_pypdf_warnings_name_the_file(
    ingested: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _, result = ingested
    lines = result.stderr.splitlines()
    assert any(
        line.startswith("warning: docs/shifted.pdf: ") and "startxref" in line for line in lines
    ), result.stderr
    # No anonymous pypdf line: every line that mentions startxref names its file.
    assert all("docs/" in line for line in lines if "startxref" in line), result.stderr


def test_a_5mb_first_line_is_not_copied_into_every_chunk(tmp_path: Path) -> None:
    # The first line was the title, and the section, of all ~6,400 chunks: 64 GB of
    # metadata, and the kernel killed `rag ingest` out of memory.
    path = tmp_path / "long-line.txt"
    path.write_text(_long_line())
    document = loaders.load_text(path, "long-line.txt")
    chunks = chunk_document(document, 800, 150)
    assert len(chunks) > LONG_LINE_BYTES // 800
    assert max(len(c.title) + len(c.section) for c in chunks) <= 2 * TITLE_CHARS
    assert document.title == document.text[: len(document.title)]


def test_discover_walks_a_symlink_loop_once(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.txt").write_text("A.\n")
    (folder / "sub" / "parent").symlink_to("..", target_is_directory=True)
    (folder / "b.txt").symlink_to("b.txt")
    found: list[Discovered] = []
    walker = threading.Thread(target=lambda: found.append(discover([folder])), daemon=True)
    walker.start()
    walker.join(timeout=30)
    assert found, "discover() did not return within 30 s"
    assert found[0] == Discovered([folder / "sub" / "a.txt"], [folder], [], [])


@pytest.mark.slow
def test_a_loader_that_raises_costs_one_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(path: Path, source: str) -> loaders.SourceDocument:
        raise ZeroDivisionError("division by zero in a parser")

    monkeypatch.setitem(loaders.LOADERS, ".md", broken)
    monkeypatch.setenv("RAG_EMBEDDING_BACKEND", "static")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "good.txt").write_text(GOOD)
    (tmp_path / "docs" / "parser-bug.md").write_text("# Title\n\n" + GOOD)
    result = CliRunner().invoke(app, ["ingest", "docs"])
    assert result.exit_code == 0, result.output
    assert "Ingested 1 file, 1 skipped" in result.stdout
    assert (
        "skipped docs/parser-bug.md: the loader failed: ZeroDivisionError: division by zero "
        "in a parser" in " ".join(result.stderr.split())
    )
    assert result.exception is None
