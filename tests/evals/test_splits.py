"""Tune/test splits: deterministic, disjoint, and by article for SQuAD."""

import hashlib
import json
from pathlib import Path

from evals.splits import split_halves, split_of
from evals.squad import build_squad
from evals.suite import SuiteRow, in_split, load_suite
from tests.conftest import REPO


def test_a_suite_row_is_split_by_the_parity_of_its_id_hash() -> None:
    # The rule is "even first byte of sha256(id) -> tune": sha256("seeds-001") starts
    # with 0x88 (even), sha256("seeds-003") with 0x23 (odd).
    assert hashlib.sha256(b"seeds-001").digest()[0] == 0x88
    assert split_of("seeds-001") == "tune" and split_of("seeds-003") == "test"
    assert SuiteRow(id="x", question="q", answers=["a"], split="test").split == "test"


def test_suite_splits_are_disjoint_and_cover_every_row() -> None:
    rows = load_suite(REPO / "evals/suites/seeds.jsonl")
    tune, test = in_split(rows, "tune"), in_split(rows, "test")
    assert {r.id for r in tune}.isdisjoint(r.id for r in test)
    assert len(tune) + len(test) == len(rows) == len(in_split(rows, "all"))
    assert tune and test and any(not r.answerable for r in test)


def test_split_halves_puts_half_the_keys_in_tune_whatever_their_order() -> None:
    keys = [f"article {n}" for n in range(7)]
    halves = split_halves(keys)
    assert sum(s == "tune" for s in halves.values()) == 4  # 7 keys: 4 tune, 3 test
    assert split_halves(reversed(keys)) == halves


def test_squad_questions_of_one_article_share_its_split(tmp_path: Path) -> None:
    def article(title: str, n: int) -> dict:
        context = f"{title} is a topic. It has {n} facts."
        qas = [
            {"id": f"{title}-{i}", "question": f"How many facts has {title}?",
             "answers": [{"text": str(n), "answer_start": context.index(str(n))}]}
            for i in range(5)
        ]  # fmt: skip
        return {"title": title, "paragraphs": [{"context": context, "qas": qas}]}

    source = tmp_path / "squad.json"
    source.write_text(json.dumps({"data": [article(t, n) for n, t in enumerate("ABCD")]}))
    _, rows = build_squad(source, tmp_path / "cache")
    by_article: dict[str, set[str]] = {}
    for row in rows:
        by_article.setdefault(row.source or "", set()).add(row.split or "")
    assert all(len(splits) == 1 for splits in by_article.values())
    assert sorted(s for (split,) in by_article.values() for s in [split]) == [
        "test", "test", "tune", "tune"
    ]  # fmt: skip
