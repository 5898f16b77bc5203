"""Example questions come from the corpus (its `.rag-examples` file) or the `examples`
setting, and none are shown when neither names any (issue 26)."""

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.pipeline import ingest
from rag.chain import Chain
from rag.models.embeddings import load_embeddings
from rag.settings import Settings
from tests.conftest import SEEDS
from ui.server import build_server

pytestmark = pytest.mark.slow
SEED_EXAMPLE = "Which film used AI tools to de-age characters?"


def shown_examples(chain: Chain) -> list[str]:
    """The example questions the UI's page offers."""
    config = TestClient(build_server(chain)).get("/config").json()
    datasets = [c for c in config["components"] if c.get("type") == "dataset"]
    return [str(sample[0]) for d in datasets for sample in d["props"]["samples"]]


def indexed(folder: Path, **settings: object) -> Chain:
    chain = Chain(Settings(data_dir=folder.parent / "data", secret_key="k" * 32, **settings))
    ingest([folder], chain.settings, chain.index, load_embeddings(chain.settings))
    return chain


def test_the_seeds_bring_their_own_examples(tmp_path: Path) -> None:
    chain = indexed(Path(shutil.copytree(SEEDS, tmp_path / "seeds")))
    assert SEED_EXAMPLE in shown_examples(chain)


def test_another_corpus_shows_none_of_the_seed_questions(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "leave.txt").write_text("Parental leave is twenty weeks long.\n")
    assert shown_examples(indexed(tmp_path / "docs")) == []


def test_a_corpus_file_names_its_examples_and_the_setting_overrides_it(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "leave.txt").write_text("Parental leave is twenty weeks long.\n")
    (tmp_path / "docs" / ".rag-examples").write_text("How long is parental leave?\n\n")
    chain = indexed(tmp_path / "docs")
    assert shown_examples(chain) == ["How long is parental leave?"]
    configured = Chain(chain.settings.model_copy(update={"examples": ["Who approves leave?"]}))
    assert shown_examples(configured) == ["Who approves leave?"]
