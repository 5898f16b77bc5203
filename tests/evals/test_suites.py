"""The bundled seeds suite is well formed and its evidence is verbatim."""

import json
from collections import Counter
from pathlib import Path

from evals.relevance import fold, gold_in
from evals.squad import build_squad
from evals.suite import EvidenceSpan, load_suite
from ingest.loaders import load
from tests.conftest import REPO, SEED_FILE, SEEDS
from tests.evals.test_eval_cli import SQUAD


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


def test_every_seeds_evidence_and_answer_is_located_in_the_loaded_text() -> None:
    path = str(SEEDS / SEED_FILE)
    text = load(SEEDS / SEED_FILE, path).text
    for row in load_suite(REPO / "evals/suites/seeds.jsonl"):
        if not row.answerable:
            continue
        gold = gold_in(row, path)
        assert gold.evidence, row.id
        for span in gold.evidence:
            assert fold(text[span.start : span.end]).text in {fold(e).text for e in row.evidence}
        for span in gold.targets:  # an answer inside the evidence (or the evidence itself)
            quoted = fold(text[span.start : span.end]).text
            assert quoted in {fold(a).text for a in row.answers} | {
                fold(e).text for e in row.evidence
            }


def test_squad_spans_point_into_the_article_files(tmp_path: Path) -> None:
    source = tmp_path / "mini.json"
    source.write_text(json.dumps(SQUAD))
    corpus, rows = build_squad(source, tmp_path / "cache")
    by_id = {row.id: row for row in rows}
    # "Lighthouse" (10) + "\n\n" puts the paragraph at 12; answer_start 104 -> [116, 130)
    assert by_id["q3"].answer_spans == [
        EvidenceSpan(source="001-Lighthouse.txt", start=116, end=130)
    ]
    for row in rows:
        for span in row.evidence_spans + row.answer_spans:
            path = corpus / span.source
            text = load(path, str(path)).text[span.start : span.end]
            assert text in row.evidence + row.answers, row.id
    assert by_id["q2"].evidence_spans == [] and not by_id["q2"].answerable


FORMATS = REPO / "evals/suites/formats.jsonl"
FORMATS_CORPUS = REPO / "evals/corpora/formats"


def test_every_formats_evidence_and_answer_is_located_in_its_loaded_file() -> None:
    rows = load_suite(FORMATS)
    assert {row.split for row in rows} == {"dev"}  # a smoke suite: nothing to tune on
    sources = {row.source for row in rows if row.answerable}
    assert {Path(s or "").suffix for s in sources} == {".html", ".pdf", ".docx", ".pptx"}
    for row in rows:
        if not row.answerable:
            assert row.answers == [] and row.evidence == []
            continue
        path = FORMATS_CORPUS / str(row.source)
        gold = gold_in(row, str(path))
        assert gold.evidence, row.id
        text = load(path, str(path)).text
        for span in gold.targets:  # a gold answer inside the evidence (or the evidence)
            assert fold(text[span.start : span.end]).text in {
                fold(a).text for a in row.answers + row.evidence
            }, row.id
