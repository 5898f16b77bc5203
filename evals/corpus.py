"""Suites about another corpus get their own cached index, never the user's."""

import hashlib
from pathlib import Path

from ingest.pipeline import IngestReport, discover, ingest
from rag.chain import Chain
from rag.errors import RagError
from rag.models.embeddings import load_embeddings
from rag.settings import Settings


def corpus_key(corpus: Path, settings: Settings) -> str:
    """A hash of the folder's place, its files (names and bytes) and the settings that
    shape the index: the index records where the files are, and evals read them there."""
    files, _, missing, _ = discover([corpus])
    if missing or not files:
        raise RagError(f"corpus {corpus} is missing or holds no supported files")
    digest = hashlib.sha256(str(corpus.resolve()).encode())
    for path in files:
        digest.update(str(path.relative_to(corpus.resolve())).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    digest.update(
        f"{settings.embedding_model}|{settings.chunk_size}|{settings.chunk_overlap}".encode()
    )
    return digest.hexdigest()[:16]


def corpus_settings(corpus: Path, settings: Settings) -> Settings:
    """``settings`` pointed at the cached index of ``corpus`` (embedded Chroma)."""
    cache = settings.data_dir / "eval-cache" / corpus_key(corpus, settings)
    return settings.model_copy(update={"data_dir": cache, "chroma_url": None})


def ingest_corpus(corpus: Path, settings: Settings) -> IngestReport:
    """Bring the cached index up to date (embeds nothing when it already is)."""
    chain = Chain(settings)
    report = ingest([corpus], settings, chain.index, load_embeddings(settings))
    if not report.ok:
        raise RagError(f"nothing in {corpus} could be ingested")
    return report
