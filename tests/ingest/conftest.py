"""Small real documents of every supported type, and broken ones."""

import os
from pathlib import Path

import pytest

from harness.documents import write_pdf


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, Path]:
    """A zero-byte file, random binary, a truncated PDF and Latin-1 text."""
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "random.txt").write_bytes(os.urandom(4096))
    whole = write_pdf(tmp_path / "whole.pdf", ["A complete sentence about llamas."]).read_bytes()
    (folder / "truncated.pdf").write_bytes(whole[: len(whole) // 3])
    (folder / "latin1.txt").write_bytes("Café au lait, crème brûlée.".encode("latin-1"))
    return {p.stem: p for p in folder.iterdir()}
