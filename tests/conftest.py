"""Shared fixtures: isolated settings, a copy of the seeds, one chain per corpus."""

import os
import shutil
from pathlib import Path

import pytest

from harness.corpora import Deployment, build_deployment
from rag.chain import Chain
from rag.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SEED_FILE = "netflix-generative-ai.txt"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in its own folder with no RAG_* variables or rag.toml leaking in."""
    for name in list(os.environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A writable copy of seeds/ at ./seeds in the test's folder."""
    return Path(shutil.copytree(SEEDS, tmp_path / "seeds"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with the index in the test's own folder."""
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture(scope="session")
def seeded_chain(tmp_path_factory: pytest.TempPathFactory) -> Chain:
    """One chain over an index of the seeds, shared by read-only tests."""
    from ingest.pipeline import ingest
    from rag.models.embeddings import load_embeddings

    root = tmp_path_factory.mktemp("seeded")
    corpus_dir = Path(shutil.copytree(SEEDS, root / "seeds"))
    chain = Chain(Settings(data_dir=root / "data"))
    report = ingest([corpus_dir], chain.settings, chain.index, load_embeddings(chain.settings))
    assert report.added > 0
    return chain


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """Two collections, ``hr`` (the default) and ``engineering``, shared by read-only tests."""
    return build_deployment(tmp_path_factory.mktemp("deployment"))


@pytest.fixture(scope="session")
def located_chain(tmp_path_factory: pytest.TempPathFactory) -> Chain:
    """One chain over PDF, .pptx, .docx and Markdown files (harness.documents), shared by
    read-only tests of locations and of the source view."""
    from harness.documents import write_located_corpus
    from ingest.pipeline import ingest
    from rag.models.embeddings import load_embeddings

    root = tmp_path_factory.mktemp("located")
    folder = write_located_corpus(root / "docs")
    chain = Chain(Settings(data_dir=root / "data"))
    report = ingest([folder], chain.settings, chain.index, load_embeddings(chain.settings))
    assert report.files == 5 and not report.skipped, report
    return chain
