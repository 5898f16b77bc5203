"""Tune / dev / final splits: deterministic, disjoint, whole articles, and held out."""

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from evals.leakage import shared_evidence
from evals.pubmedqa import build_pubmedqa
from evals.splits import membership, split_groups, split_of
from evals.squad import build_squad
from evals.suite import SuiteRow, in_split, load_suite
from tests.conftest import REPO, SEEDS

SEEDS_SUITE = REPO / "evals/suites/seeds.jsonl"
# The tune articles of the former tune/test halves: the tuned values were chosen on them.
SQUAD_TUNE = {
    "French_and_Indian_War", "1973_oil_crisis", "Warsaw", "Packet_switching",
    "Scottish_Parliament", "Imperialism", "Harvard_University", "Steam_engine",
}  # fmt: skip


def test_a_suite_row_is_split_by_two_bytes_of_its_id_hash() -> None:
    # sha256("seeds-001") starts 0x88 (even: tune); "q-2" 0x55 0x0c (odd, even: dev);
    # "q-3" 0x1f 0x16 (odd, even: dev); "q-5" 0x6d 0x9f (odd, odd: final).
    assert hashlib.sha256(b"q-5").digest()[:2] == bytes([0x6D, 0x9F])
    assert [split_of(k) for k in ("seeds-001", "q-2", "q-3", "q-5")] == [
        "tune", "dev", "dev", "final"
    ]  # fmt: skip
    assert SuiteRow(id="q-5", question="q", answers=["a"], split="dev").split == "dev"
    assert SuiteRow(id="q-5", question="q", answers=["a"]).split == "final"


def test_test_is_no_longer_a_split() -> None:
    with pytest.raises(ValueError, match="split"):
        SuiteRow(id="x", question="q", answers=["a"], split="test")


def test_split_groups_gives_half_to_tune_and_divides_the_rest() -> None:
    keys = [f"article {n}" for n in range(16)]
    groups = split_groups(keys)
    assert Counter(groups.values()) == {"tune": 8, "dev": 4, "final": 4}
    assert split_groups(reversed(keys)) == groups
    assert Counter(split_groups(keys[:7]).values()) == {"tune": 4, "dev": 2, "final": 1}


def test_membership_changes_with_any_split() -> None:
    pairs = [("a", "tune"), ("b", "dev")]
    assert membership(pairs) == membership(list(reversed(pairs)))
    assert membership(pairs) != membership([("a", "tune"), ("b", "final")])


def test_the_seeds_suite_is_a_smoke_suite_pinned_to_tune_and_dev() -> None:
    rows = load_suite(SEEDS_SUITE)
    lines = [json.loads(line) for line in SEEDS_SUITE.read_text().splitlines() if line]
    assert all(line.get("split") in ("tune", "dev") for line in lines)  # every row pinned
    assert not in_split(rows, "final")
    counts = Counter((r.split, r.answerable) for r in rows)
    assert counts == {("tune", True): 53, ("tune", False): 23, ("dev", True): 4, ("dev", False): 6}


def test_no_two_seeds_splits_share_an_evidence_sentence() -> None:
    assert shared_evidence(load_suite(SEEDS_SUITE), SEEDS) == []


def test_the_formats_suite_shares_no_evidence_sentence_across_splits() -> None:
    rows = load_suite(REPO / "evals/suites/formats.jsonl")
    assert shared_evidence(rows, REPO / "evals/corpora/formats") == []


def test_a_shared_evidence_sentence_is_found() -> None:
    # seeds-002 (dev before this issue) asks about the sentence tune row seeds-022 does.
    rows = load_suite(SEEDS_SUITE)
    moved = [r.model_copy(update={"split": "dev"}) if r.id == "seeds-002" else r for r in rows]
    [line] = shared_evidence(moved, SEEDS)
    assert "dev seeds-002" in line and "tune " in line and "seeds-022" in line


def _article(title: str, n: int) -> dict:
    context = f"{title} is a topic. It has {n} facts."
    qas = [
        {"id": f"{title}-{i}", "question": f"How many facts has {title}?",
         "answers": [{"text": str(n), "answer_start": context.index(str(n))}]}
        for i in range(3)
    ]  # fmt: skip
    return {"title": title, "paragraphs": [{"context": context, "qas": qas}]}


def test_squad_questions_of_one_article_share_its_split(tmp_path: Path) -> None:
    source = tmp_path / "squad.json"
    source.write_text(json.dumps({"data": [_article(t, n) for n, t in enumerate("ABCDEFGH")]}))
    _, rows = build_squad(source, tmp_path / "cache")
    by_article: dict[str, set[str]] = {}
    for row in rows:
        by_article.setdefault(row.source or "", set()).add(row.split or "")
        assert row.group == f"{row.source}#0"  # resampled by paragraph
    assert all(len(splits) == 1 for splits in by_article.values())
    assert Counter(s for (s,) in by_article.values()) == {"tune": 4, "dev": 2, "final": 2}


@pytest.mark.slow
def test_squad_splits_whole_articles_and_keeps_the_former_tune_half(
    squad_file: Path, tmp_path: Path
) -> None:
    corpus, rows = build_squad(squad_file, tmp_path / "cache")
    articles: dict[str, set[str]] = {}
    for row in rows:
        articles.setdefault(row.split or "", set()).add(row.source or "")
    assert {len(files) for files in articles.values()} == {8, 4} and len(articles["tune"]) == 8
    data = json.loads(squad_file.read_text())["data"]  # files are numbered in data order
    assert {data[int(name[:3])]["title"] for name in articles["tune"]} == SQUAD_TUNE
    counts = Counter(row.split for row in rows)
    assert counts == {"tune": 2943, "dev": 1664, "final": 1471}
    assert shared_evidence(rows, corpus) == []


@pytest.mark.slow
def test_pubmedqa_splits_by_abstract_and_keeps_the_former_tune_half(
    pubmedqa_file: Path, tmp_path: Path
) -> None:
    corpus, rows = build_pubmedqa(pubmedqa_file, tmp_path / "cache")
    assert Counter(row.split for row in rows) == {"tune": 513, "dev": 244, "final": 243}
    # the former rule: tune when the first byte of sha256(PMID) is even
    assert all((row.split == "tune") == (hashlib.sha256(row.id.encode()).digest()[0] % 2 == 0)
               for row in rows)  # fmt: skip
    assert shared_evidence(rows, corpus) == []
