"""Ingest files into the index, incrementally: only what changed is embedded.

Chunk ids are hashes of path, position and text, so comparing the ids a file
chunks into with the ids the index holds for it tells exactly what to add and
what to remove. No manifest is kept beside Chroma: it would be a second truth.
"""

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from langchain_core.embeddings import Embeddings
from pydantic import BaseModel

from ingest.chunker import chunk_document
from ingest.document import LoadError
from ingest.loaders import LOADERS, load
from rag.index import ChunkIndex
from rag.models import Chunk
from rag.settings import Settings

ProgressCallback = Callable[[int, int], None]
"""Called with (chunks embedded so far, chunks to embed)."""


class SkippedFile(BaseModel):
    """A file that was not ingested, and why."""

    source: str
    reason: str


class IngestReport(BaseModel):
    """What one ingest run did."""

    files: int = 0
    added: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[SkippedFile] = []
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """False only when nothing at all could be ingested."""
        return self.files > 0

    def summary(self) -> str:
        """The one-line summary printed at the end of a run."""
        files = f"{self.files} file{'s' if self.files != 1 else ''}"
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return (
            f"Ingested {files}{skipped}: {self.added} added, {self.removed} removed, "
            f"{self.unchanged} unchanged chunks in {self.seconds:.1f}s"
        )


def display_name(path: Path) -> str:
    """The path relative to the working directory when inside it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[Path], list[Path]]:
    """Expand the paths given by the user.

    Returns:
        (files to load, folders walked, paths that do not exist), all absolute.
    """
    files: dict[Path, None] = {}
    folders, missing = [], []
    for given in paths:
        path = given.resolve()
        if path.is_dir():
            folders.append(path)
            for candidate in sorted(path.rglob("*")):
                if (
                    candidate.is_file()
                    and candidate.suffix.lower() in LOADERS
                    and not _is_hidden(candidate, path)
                ):
                    files[candidate] = None
        elif path.is_file():
            files[path] = None
        else:
            missing.append(path)
    return list(files), folders, missing


def _load_chunks(path: Path, settings: Settings) -> list[Chunk]:
    if path.stat().st_size > settings.max_file_mb * 1024 * 1024:
        raise LoadError(f"larger than {settings.max_file_mb:g} MB (RAG_MAX_FILE_MB)")
    document = load(path, display_name(path))
    chunks = chunk_document(document, settings.chunk_size, settings.chunk_overlap)
    if not chunks:
        raise LoadError("no text to index")
    return chunks


def _gone(
    indexed: Iterable[str], folders: list[Path], missing: list[Path], seen: set[str]
) -> set[str]:
    """Indexed paths under a walked folder (or named but missing) that no longer exist."""
    prefixes = tuple(f"{folder}{os.sep}" for folder in folders)
    missing_paths = {str(p) for p in missing}
    return {
        path
        for path in indexed
        if path not in seen
        and (path.startswith(prefixes) or path in missing_paths)
        and not Path(path).exists()
    }


def ingest(
    paths: Iterable[Path],
    settings: Settings,
    index: ChunkIndex,
    embeddings: Embeddings,
    on_progress: ProgressCallback | None = None,
) -> IngestReport:
    """Bring the index in line with the files under ``paths``.

    Args:
        paths: files and folders; folders are walked for supported file types.
        settings: chunking and size limits.
        index: the index to update.
        embeddings: the embedder for new chunks.
        on_progress: receives embedding progress.

    Returns:
        Counts of files and chunks, and the files skipped with their reasons.
    """
    began = time.perf_counter()
    report = IngestReport()
    files, folders, missing = discover(paths)
    report.skipped += [SkippedFile(source=display_name(p), reason="not found") for p in missing]
    indexed = index.ids_by_path()
    to_add: list[Chunk] = []
    to_remove: set[str] = set()
    for path in files:
        try:
            chunks = _load_chunks(path, settings)
        except (LoadError, OSError) as error:
            report.skipped.append(SkippedFile(source=display_name(path), reason=str(error)))
            continue
        report.files += 1
        old_ids = indexed.get(str(path), set())
        new_ids = {c.id for c in chunks}
        to_add += [c for c in chunks if c.id not in old_ids]
        to_remove |= old_ids - new_ids
        report.unchanged += len(old_ids & new_ids)
    for gone in _gone(indexed, folders, missing, {str(p) for p in files}):
        to_remove |= indexed[gone]

    batch = settings.embedding_batch_size * 4
    for at in range(0, len(to_add), batch):
        chunks = to_add[at : at + batch]
        index.add(chunks, embeddings.embed_documents([c.text for c in chunks]))
        if on_progress:
            on_progress(at + len(chunks), len(to_add))
    index.delete(to_remove)
    report.added, report.removed = len(to_add), len(to_remove)
    report.seconds = time.perf_counter() - began
    return report
