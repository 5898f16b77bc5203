"""The bundled seeds suite is well formed and its evidence is verbatim."""

from collections import Counter

from evals.suite import load_suite
from tests.conftest import REPO, SEED_FILE, SEEDS


def test_seeds_suite_shape_and_evidence() -> None:
    rows = load_suite(REPO / "evals/suites/seeds.jsonl")
    text = (SEEDS / SEED_FILE).read_text(encoding="utf-8")
    counts = Counter(row.answerable for row in rows)
    assert len(rows) >= 40 and counts[False] >= len(rows) / 4
    for row in rows:
        assert all(snippet in text for snippet in row.evidence), row.id
        if row.answerable:
            assert row.evidence and any(a.lower() in text.lower() for a in row.answers), row.id
        else:
            assert row.answers == [] and row.evidence == []
