"""The public data sets, where the machine has them (../shared/data beside the checkout)."""

from pathlib import Path

import pytest

from tests.conftest import REPO

DATA = (REPO.parent / "shared" / "data").resolve()


def _data_file(name: str) -> Path:
    path = DATA / name
    if not path.is_file():
        pytest.skip(f"{path} is not on this machine")
    return path


@pytest.fixture(scope="session")
def squad_file() -> Path:
    """SQuAD 2.0 half-dev (evals/README.md)."""
    return _data_file("squad-v2-dev-half.json")


@pytest.fixture(scope="session")
def pubmedqa_file() -> Path:
    """PubMedQA PQA-L."""
    return _data_file("pubmedqa-pqal.json")
