"""PubMedQA adapter: one file per abstract, one row per question, the abstract as gold."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from evals.evaluate import CONFIGURATIONS
from evals.pubmedqa import abstract_text, build_pubmedqa
from evals.splits import split_of
from ingest.loaders import load
from rag.errors import RagError

PUBMEDQA = {
    "1001": {
        "QUESTION": "Do llamas hum when they are content?",
        "CONTEXTS": [
            "Llamas are domesticated South American camelids kept for wool.",
            "We recorded 40 llamas; content animals hummed softly at dusk.",
        ],
        "LABELS": ["BACKGROUND", "RESULTS"],
        "LONG_ANSWER": "Content llamas hum.",
        "final_decision": "yes",
    },
    "1002": {
        "QUESTION": "Does the Eddystone tower resist winter storms?",
        "CONTEXTS": ["The Eddystone Lighthouse stands on rocks south of Plymouth, granite."],
        "LABELS": ["METHODS"],
        "LONG_ANSWER": "It does.",
        "final_decision": "yes",
    },
    "1003": {
        "QUESTION": "Is sourdough fermentation driven by lactobacilli?",
        "CONTEXTS": [
            "Sourdough starters were sampled from twelve bakeries.",
            "Lactobacilli dominated every fermentation, with wild yeasts second.",
        ],
        "LABELS": ["METHODS", "RESULTS"],
        "LONG_ANSWER": "Yes, mostly.",
        "final_decision": "yes",
    },
}


def write(tmp_path: Path) -> Path:
    source = tmp_path / "mini-pubmedqa.json"
    source.write_text(json.dumps(PUBMEDQA))
    return source


def test_one_file_per_abstract_and_its_whole_text_is_the_gold(tmp_path: Path) -> None:
    corpus, rows = build_pubmedqa(write(tmp_path), tmp_path / "cache")
    assert sorted(p.name for p in corpus.iterdir()) == ["1001.txt", "1002.txt", "1003.txt"]
    text = (corpus / "1001.txt").read_text()
    assert text == abstract_text("1001", PUBMEDQA["1001"])
    assert text.startswith("PMID 1001\n\n") and "Do llamas" not in text  # no question leaked
    by_id = {row.id: row for row in rows}
    assert set(by_id) == set(PUBMEDQA)
    for pmid, row in by_id.items():
        assert row.answerable and row.answers == [] and row.evidence == []
        assert row.split == split_of(pmid) and row.source == f"{pmid}.txt"
        (span,) = row.evidence_spans
        loaded = load(corpus / f"{pmid}.txt", f"{pmid}.txt").text
        assert (span.source, span.start, span.end) == (f"{pmid}.txt", 0, len(loaded))
    before = (corpus / "1001.txt").stat().st_mtime_ns
    build_pubmedqa(write(tmp_path), tmp_path / "cache")  # cached: unchanged files kept
    assert (corpus / "1001.txt").stat().st_mtime_ns == before


def test_not_pubmedqa_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"data": []}))
    with pytest.raises(RagError, match="is not PubMedQA JSON"):
        build_pubmedqa(bad, tmp_path)
    with pytest.raises(RagError, match="not found"):
        build_pubmedqa(tmp_path / "missing.json", tmp_path)


@pytest.mark.slow
def test_rag_eval_pubmedqa_with_every_baseline(tmp_path: Path) -> None:
    """Through the CLI: each question's own abstract comes first, for ours and for
    every baseline (txtai included), under the same relevance rule; each configuration
    reports the settings that shaped it, a baseline its own and never our fusion."""
    result = CliRunner().invoke(
        app, ["eval", "pubmedqa", str(write(tmp_path)), "--baselines", "--json-out", "out.json"]
    )
    assert result.exit_code == 0, result.output
    runs = {run["name"]: run for run in json.loads(Path("out.json").read_text())}
    assert list(runs) == CONFIGURATIONS
    for name, run in runs.items():
        assert len(run["rows"]) == 3, name
        assert run["metrics"]["hit@1"] == 1.0, name
    txtai, reranked = runs["txtai"]["settings"], runs["txtai-rerank"]["settings"]
    assert txtai["retriever"].startswith("txtai 9.14 Embeddings(") and txtai["k"] == 5
    assert txtai["chunk_size"] == 1000 and txtai["rerank_depth"] == 0
    assert not {"fusion", "dense_weight", "bm25_weight", "candidates"} & set(txtai)
    assert txtai["answerable_at"] == "off"  # the gate needs our retriever's scores
    assert reranked["rerank_depth"] == runs["hybrid"]["settings"]["rerank_depth"] > 0
    assert runs["hybrid-no-rerank"]["settings"]["rerank_depth"] == 0
    assert runs["hybrid"]["settings"]["fusion"] and "fusion" not in runs["dense"]["settings"]
