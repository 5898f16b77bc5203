"""The formats suite through the chain: citations into HTML, PDF, Word and PowerPoint
files, every one checked against an extraction independent of the loaders."""

from collections import Counter
from pathlib import Path

import pytest

from evals.evaluate import evaluate
from evals.suite import load_suite
from rag.settings import Settings
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_every_citation_of_every_format_is_valid(tmp_path: Path) -> None:
    rows = load_suite(REPO / "evals/suites/formats.jsonl")
    corpus = REPO / "evals/corpora/formats"
    [run] = evaluate(rows, "formats", Settings(data_dir=tmp_path / "data"), corpus, ["hybrid"])
    cited = Counter(Path(c.source).suffix for row in run.rows for c in row.citations)
    assert set(cited) == {".html", ".pdf", ".docx", ".pptx"}, cited
    assert run.metrics["citation_validity"] == 1.0
    assert run.intervals["citation_validity"].questions >= 29
