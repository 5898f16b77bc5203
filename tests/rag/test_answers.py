"""Answers cite exact passages of the seed document, or abstain."""

import json
import shutil
from pathlib import Path

import pytest

from rag.answer.extractive import ABSTENTION
from rag.chain import Chain
from rag.errors import RagError
from tests.conftest import REPO, SEED_FILE

pytestmark = pytest.mark.slow

SUITE = [json.loads(line) for line in (REPO / "evals/suites/seeds.jsonl").read_text().splitlines()]
ANSWERABLE = [row["question"] for row in SUITE if row["answerable"]]


def test_every_citation_quotes_its_source_exactly(seeded_chain: Chain) -> None:
    cited = 0
    for question in ANSWERABLE:
        answer = seeded_chain.answer(question)
        for citation in answer.citations:
            passage = next(p.chunk for p in answer.passages if p.chunk.source == citation.source)
            source_text = Path(passage.path).read_text(encoding="utf-8")
            assert source_text[citation.start : citation.end] == citation.quote
            assert f"[{citation.n}]" in answer.answer
            cited += 1
    assert cited >= len(ANSWERABLE)


def test_the_de_aging_question_cites_happy_gilmore(seeded_chain: Chain) -> None:
    answer = seeded_chain.answer("Which film used AI tools to de-age characters?")
    assert not answer.abstained
    assert "Happy Gilmore 2" in answer.answer
    assert any("Happy Gilmore 2" in c.quote for c in answer.citations)
    assert answer.citations[0].section == "Innovative Uses of Generative AI in Production"


@pytest.mark.parametrize(
    "question", ["What is the capital of Argentina?", "Who wrote the novel Pride and Prejudice?"]
)
def test_off_topic_questions_abstain(seeded_chain: Chain, question: str) -> None:
    answer = seeded_chain.answer(question)
    assert answer.abstained and answer.answer == ABSTENTION and answer.citations == []


def test_the_json_contract(seeded_chain: Chain) -> None:
    payload = json.loads(seeded_chain.answer("What revenue did Netflix report?").model_dump_json())
    # "answerable" added for issue 13: the gate's probability that the passages answer.
    assert set(payload) == {
        "question",
        "answer",
        "abstained",
        "citations",
        "timings_ms",
        "answerable",
    }
    assert 0 < payload["answerable"] < 1
    assert set(payload["timings_ms"]) == {"retrieve", "answer", "total"}
    assert set(payload["citations"][0]) == {
        "n",
        "source",
        "section",
        "start",
        "end",
        "quote",
        "score",
        "location",  # added for issue 12: null for plain text (.txt)
        "source_id",  # added for issue 12: the file's id in /source/{id} links
    }
    assert payload["citations"][0]["location"] is None
    assert "$11.5 billion" in payload["answer"]


@pytest.mark.parametrize(("question", "message"), [("   ", "empty"), ("x" * 2001, "longer")])
def test_bad_questions_are_refused(seeded_chain: Chain, question: str, message: str) -> None:
    with pytest.raises(RagError, match=message):
        seeded_chain.answer(question)


def test_duplicate_documents_do_not_repeat_a_sentence(corpus: Path, settings) -> None:
    from ingest.pipeline import ingest

    shutil.copy(corpus / SEED_FILE, corpus / "copy-of-the-article.txt")
    chain = Chain(settings)
    ingest([corpus], settings, chain.index, chain.embeddings)
    answer = chain.answer("Which film used AI tools to de-age characters?")
    quotes = [c.quote for c in answer.citations]
    assert quotes and len(quotes) == len(set(quotes))
