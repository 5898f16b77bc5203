"""Ingest files into the index, incrementally: only what changed is embedded.

Each file's record in the index's manifest holds a digest of its bytes and of
the settings that shape its chunks; a file whose digest is unchanged is not
even read again. A changed file is chunked anew: chunk ids are content
addresses (rag.schema.Chunk, ingest.chunker.chunk_id), so comparing them with
the ids the index holds for that file tells exactly what to embed, what only
moved (new offsets, same text: metadata updated, no embedding) and what to
remove. A file's record is written only after all its chunks are, so a run
killed at any moment is completed, not duplicated, by the next one.
"""

import hashlib
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from langchain_core.embeddings import Embeddings
from pydantic import BaseModel

from ingest.chunker import chunk_document
from ingest.document import LoadError
from ingest.loaders import LOADERS, file_type, load
from rag.answer.extractive import embed_sentences
from rag.retrieve.index import ChunkIndex, FileRecord
from rag.retrieve.sentence_store import SentenceStore, sentence_store
from rag.schema import Chunk
from rag.settings import Settings

ProgressCallback = Callable[[int, int], None]
"""Called with (files done, files in all)."""
# New chunks are embedded and written once this many are waiting: big enough
# batches for the embedder, small enough that memory stays flat at any size.
_FLUSH_CHUNKS = 512
# Part of every file's digest: a new value makes the next ingest chunk every file
# again, once. Chunk ids are content addresses, so chunks whose text is the same
# only get their new metadata (locations, added in "2"), without embedding. "3": HTML
# read as the page shows it, .rst.txt parsed as reStructuredText, and where the headings
# that open a chunk end (Chunk.body_start).
_CHUNK_FORMAT = "3"
# A folder's example questions for the UI: a hidden file, so it is never ingested.
EXAMPLES_FILE = ".rag-examples"
_MAX_EXAMPLES = 10
_MAX_EXAMPLE_CHARS = 200


class SkippedFile(BaseModel):
    """A file that was not ingested, and why."""

    source: str
    reason: str


class IngestReport(BaseModel):
    """What one ingest run did."""

    files: int = 0
    added: int = 0
    removed: int = 0
    moved: int = 0
    unchanged: int = 0
    skipped: list[SkippedFile] = []
    sphinx_copies: int = 0
    """Sphinx's ``_sources`` copies left out because their rendered pages are ingested."""
    seconds: float = 0.0
    stages: dict[str, float] = {}
    """Seconds spent in each stage: parse and chunk, embed chunks, embed sentences,
    Chroma (reads and writes of chunks), manifest (file records)."""

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Add the time the ``with`` block takes to stage ``name``."""
        began = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - began
            self.stages[name] = round(self.stages.get(name, 0.0) + spent, 3)

    @property
    def ok(self) -> bool:
        """False only when nothing at all could be ingested."""
        return self.files > 0

    def summary(self) -> str:
        """The one-line summary printed at the end of a run."""
        files = f"{self.files} file{'s' if self.files != 1 else ''}"
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        moved = f", {self.moved} moved" if self.moved else ""
        copies = self.sphinx_copies
        sphinx = (
            f"; {copies} Sphinx source cop{'y' if copies == 1 else 'ies'} skipped: "
            f"{'its rendered page is' if copies == 1 else 'their rendered pages are'} ingested"
            if copies
            else ""
        )
        return (
            f"Ingested {files}{skipped}: {self.added} added, {self.removed} removed{moved}, "
            f"{self.unchanged} unchanged chunks in {self.seconds:.1f}s{sphinx}"
        )


def display_name(path: Path) -> str:
    """The path relative to the working directory when inside it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


class Discovered(NamedTuple):
    """What the paths given to an ingest hold, all absolute."""

    files: list[Path]
    """The files to load."""
    folders: list[Path]
    """The folders walked."""
    missing: list[Path]
    """The paths that do not exist."""
    sphinx_copies: list[Path]
    """Sphinx's source copies (``<build>/_sources/<p>.rst.txt``) of pages that are
    among ``files`` (``<build>/<p>.html``), left out of ``files``: the page says the same
    as its source, rendered."""


def discover(paths: Iterable[Path]) -> Discovered:
    """Expand the paths given by the user into the files to load."""
    files: dict[Path, None] = {}
    folders, missing = [], []
    for given in paths:
        path = given.resolve()
        if path.is_dir():
            folders.append(path)
            for candidate in sorted(path.rglob("*")):
                if (
                    candidate.is_file()
                    and file_type(candidate) in LOADERS
                    and not _is_hidden(candidate, path)
                ):
                    files[candidate] = None
        elif path.is_file():
            files[path] = None
        else:
            missing.append(path)
    copies = {path for path in files if any(page in files for page in _rendered_pages(path))}
    kept = [path for path in files if path not in copies]
    return Discovered(kept, folders, missing, sorted(copies))


# A Sphinx build keeps each page's source as _sources/<page><source suffix><link suffix>:
# "library/os.rst.txt" for library/os.html (the link suffix is ".txt" unless configured).
_SPHINX_SOURCES = "_sources"
_SOURCE_SUFFIXES = (".rst", ".md", ".txt")
_PAGE_SUFFIXES = (".html", ".htm")


def _rendered_pages(path: Path) -> set[Path]:
    """Where Sphinx would have put the page rendered from ``path``, if ``path`` lies in a
    ``_sources`` folder (empty otherwise)."""
    parts = path.parts[:-1]
    if _SPHINX_SOURCES not in parts:
        return set()
    at = len(parts) - 1 - parts[::-1].index(_SPHINX_SOURCES)
    name = path.name.removesuffix(".txt")
    for suffix in _SOURCE_SUFFIXES:
        if name.endswith(suffix):
            name = name.removesuffix(suffix)
            break
    folder = Path(*parts[:at], *parts[at + 1 :])
    return {folder / f"{name}{suffix}" for suffix in _PAGE_SUFFIXES}


def file_digest(path: Path, source: str, settings: Settings) -> str:
    """Changes when the file's bytes, its name, the chunking settings or the chunk
    format change."""
    digest = hashlib.sha256(path.read_bytes())
    digest.update(
        f"\0{source}\0{settings.chunk_size}\0{settings.chunk_overlap}\0{_CHUNK_FORMAT}".encode()
    )
    return digest.hexdigest()


def _load_chunks(path: Path, source: str, settings: Settings) -> list[Chunk]:
    if path.stat().st_size > settings.max_file_mb * 1024 * 1024:
        raise LoadError(f"larger than {settings.max_file_mb:g} MB (RAG_MAX_FILE_MB)")
    try:
        document = load(path, source)
    except (LoadError, OSError):
        raise
    except Exception as error:  # a parser's own bug must cost one file, not the run
        raise LoadError(f"the loader failed: {type(error).__name__}: {error}") from error
    chunks = chunk_document(document, settings.chunk_size, settings.chunk_overlap)
    if not chunks:
        raise LoadError("no text to index")
    return chunks


@dataclass
class _FileUpdate:
    """What one changed file needs: chunks to embed, to move and to remove."""

    record: FileRecord
    new: list[Chunk]
    moved: list[Chunk]
    stale: set[str]


def _plan(
    path: Path, record: FileRecord, settings: Settings, index: ChunkIndex, report: IngestReport
) -> _FileUpdate:
    with report.stage("parse and chunk"):
        chunks = _load_chunks(path, record.source, settings)
    with report.stage("Chroma"):
        indexed = index.chunk_spans(str(path))
    new = [c for c in chunks if c.id not in indexed]
    moved = [c for c in chunks if c.id in indexed and indexed[c.id] != c.metadata()]
    stale = set(indexed) - {c.id for c in chunks}
    return _FileUpdate(record.model_copy(update={"chunks": len(chunks)}), new, moved, stale)


def _apply(
    updates: list[_FileUpdate],
    index: ChunkIndex,
    embeddings: Embeddings,
    store: SentenceStore | None,
    report: IngestReport,
) -> None:
    """Embed and write the new chunks (and their sentences, into ``store``), then moves
    and removals, then the file records."""
    new = [c for u in updates for c in u.new]
    stale = {i for u in updates for i in u.stale}
    if new:
        with report.stage("embed chunks"):
            vectors = embeddings.embed_documents([c.text for c in new])
        with report.stage("Chroma"):
            index.add(new, vectors)
        if store is not None:
            with report.stage("embed sentences"):
                known = dict(zip((c.text for c in new), vectors, strict=True))
                store.put(embed_sentences(new, embeddings, known))
    with report.stage("Chroma"):
        index.move([c for u in updates for c in u.moved])
        index.delete(stale)
    if store is not None:
        store.delete(stale)
    with report.stage("manifest"):
        index.record_files([u.record for u in updates])


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
        on_progress: receives (files done, files in all).

    Returns:
        Counts of files and chunks, and the files skipped with their reasons.
    """
    began = time.perf_counter()
    report = IngestReport()
    files, folders, missing, copies = discover(paths)
    report.skipped += [SkippedFile(source=display_name(p), reason="not found") for p in missing]
    report.sphinx_copies = len(copies)
    # The answerer's sentence vectors, embedded now so that a first question costs what
    # a second one does (rag.answer.extractive); settings.sentence_vectors = "query" defers them.
    store = sentence_store(settings) if settings.sentence_vectors == "ingest" else None
    with report.stage("manifest"):
        known = index.files()
    index.begin_ingest()
    pending: list[_FileUpdate] = []
    for done, path in enumerate(files, start=1):
        source = display_name(path)
        try:
            record = FileRecord(
                path=str(path),
                source=source,
                digest=file_digest(path, source, settings),
                chunks=0,
                version=uuid.uuid4().hex,
            )
            previous = known.get(str(path))
            if previous is not None and previous.digest == record.digest:
                report.files += 1
                report.unchanged += previous.chunks
                continue
            update = _plan(path, record, settings, index, report)
        except (LoadError, OSError) as error:
            report.skipped.append(SkippedFile(source=source, reason=str(error)))
            continue
        finally:
            if on_progress:
                on_progress(done, len(files))
        report.files += 1
        report.added += len(update.new)
        report.moved += len(update.moved)
        report.removed += len(update.stale)
        report.unchanged += update.record.chunks - len(update.new) - len(update.moved)
        pending.append(update)
        if sum(len(u.new) for u in pending) >= _FLUSH_CHUNKS:
            _apply(pending, index, embeddings, store, report)
            pending = []
    _apply(pending, index, embeddings, store, report)
    for gone in _gone(known, folders, missing, {str(p) for p in files}):
        report.removed += index.forget_file(gone)
    for copy in copies:  # indexed by an ingest that did not yet leave them out
        if str(copy) in known:
            report.removed += index.forget_file(str(copy))
    examples = corpus_examples(folders)
    if examples:
        index.set_examples(examples)
    index.end_ingest()
    report.seconds = time.perf_counter() - began
    return report


def corpus_examples(folders: Iterable[Path]) -> list[str]:
    """The example questions the walked folders name in their ``EXAMPLES_FILE`` (one a
    line; blank lines and ``#`` comments skipped), at most ``_MAX_EXAMPLES``."""
    questions: list[str] = []
    for folder in folders:
        listed = folder / EXAMPLES_FILE
        if listed.is_file():
            lines = (line.strip() for line in listed.read_text(errors="replace").splitlines())
            questions += [line[:_MAX_EXAMPLE_CHARS] for line in lines if line and line[0] != "#"]
    return list(dict.fromkeys(questions))[:_MAX_EXAMPLES]
