"""Row scoring and aggregation on hand-made answers."""

import json
import math
from pathlib import Path

import pytest

from evals.runner import RunResult, aggregate, dump_runs, score_row
from evals.suite import EvidenceSpan, SuiteRow
from rag.schema import Answer, Chunk, Citation, Passage, Timings
from tests.conftest import SEED_FILE, SEEDS

TEXT = (SEEDS / SEED_FILE).read_text(encoding="utf-8")
QUOTE = "Additionally, the film “Happy Gilmore 2” employed AI tools to de-age characters"
START = TEXT.index(QUOTE)


def passage(start: int, end: int) -> Passage:
    chunk = Chunk(
        id=str(start),
        text=TEXT[start:end],
        source="seeds/x.txt",
        path=str(SEEDS / SEED_FILE),
        title="t",
        section="s",
        start=start,
        end=end,
    )
    return Passage(chunk=chunk, score=1.0)


def answer(citations: list[Citation], passages: list[Passage]) -> Answer:
    text = " ".join(f"{c.quote} [{c.n}]" for c in citations) or "I could not find this."
    return Answer(
        question="q",
        answer=text,
        abstained=not citations,
        citations=citations,
        timings_ms=Timings(retrieve=1, answer=1, total=10.0),
        passages=passages,
    )


ROW = SuiteRow(
    id="a",
    question="Which film?",
    answers=["Happy Gilmore 2"],
    evidence=["film “Happy Gilmore 2” employed AI tools"],
)


def test_a_good_answer() -> None:
    relevant, other = passage(START - 10, START + 200), passage(0, 300)
    good = Citation(
        n=1,
        source="seeds/x.txt",
        section="s",
        start=START,
        end=START + len(QUOTE),
        quote=QUOTE,
        score=0.9,
    )
    wrong_offsets = good.model_copy(
        update={"n": 2, "start": START + 1, "end": START + 1 + len(QUOTE)}
    )
    result = score_row(ROW, answer([good, wrong_offsets], [relevant]), [other, relevant])
    assert result.first_relevant_rank == 2
    assert (result.metrics["hit@1"], result.metrics["hit@3"]) == (0.0, 1.0)
    assert result.metrics["mrr@10"] == 0.5
    assert result.metrics["answer_recall"] == 1.0
    assert result.metrics["valid_citations"] == 1.0  # the shifted quote is not the slice
    assert result.metrics["relevant_citations"] == 2.0
    assert result.metrics["cites_relevant"] == 1.0


def test_abstentions_on_answerable_and_unanswerable_rows() -> None:
    unanswerable = SuiteRow(id="u", question="Capital?", answerable=False)
    missed = score_row(ROW, answer([], []), [])
    declined = score_row(unanswerable, answer([], []), [])
    assert missed.metrics["answer_recall"] == 0.0 and missed.metrics["f1"] == 0.0
    assert declined.metrics["exact_match"] == 1.0 and "answer_recall" not in declined.metrics
    totals = aggregate([missed, declined])
    assert totals["abstain_rate"] == 1.0
    assert totals["false_abstention_rate"] == 1.0
    assert totals["abstention_f1"] == pytest.approx(2 / 3)
    assert totals["exact_match"] == 0.5
    assert totals["latency_p50_ms"] == 10.0


def test_first_sentence_recall_and_the_whole_answer() -> None:
    # The first sentence (before "[1]") is the opening quote, without the answer;
    # the whole answer holds "Happy Gilmore 2" as a token run in its second sentence.
    opening = TEXT.index("Netflix")
    first = Citation(
        n=1,
        source="seeds/x.txt",
        section="s",
        start=opening,
        end=opening + 7,
        quote="Netflix",
        score=0.9,
    )
    second = Citation(
        n=2,
        source="seeds/x.txt",
        section="s",
        start=START,
        end=START + len(QUOTE),
        quote=QUOTE,
        score=0.8,
    )
    both = passage(0, len(TEXT))
    result = score_row(ROW, answer([first, second], [both]), [both])
    assert result.metrics["answer_recall"] == 1.0
    assert result.metrics["answer_recall_first"] == 0.0
    # only the second quote overlaps the evidence: precision 1/2 for this row
    assert result.metrics["relevant_citations"] == 1.0
    assert aggregate([result])["citation_precision"] == 0.5


def test_a_row_with_only_an_evidence_span(tmp_path: Path) -> None:
    """A PubMedQA-style row: the whole abstract is the evidence, no short answers."""
    abstract = tmp_path / "abstract-1.txt"
    abstract.write_text("Aspirin lowered the risk. Results were significant.\n")
    row = SuiteRow(
        id="p",
        question="Does aspirin lower the risk?",
        evidence_spans=[EvidenceSpan(source="abstract-1.txt", start=0, end=52)],
    )
    chunk = Chunk(
        id="c",
        text="Aspirin lowered the risk.",
        source="abstract-1.txt",
        path=str(abstract),
        title="t",
        section="",
        start=0,
        end=25,
    )
    quote = Citation(
        n=1, source="abstract-1.txt", section="", start=0, end=25, quote=chunk.text, score=1
    )
    passages = [Passage(chunk=chunk, score=1.0)]
    result = score_row(row, answer([quote], passages), passages)
    assert result.first_relevant_rank == 1 and result.metrics["cites_relevant"] == 1.0
    assert result.metrics["valid_citations"] == 1.0
    assert not {"answer_recall", "exact_match", "f1"} & set(result.metrics)


def _strict(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def test_no_sentences_is_not_verified_and_json_has_no_nan() -> None:
    unverified = score_row(ROW, answer([], []).model_copy(update={"verified": None}), [])
    assert "verified" not in unverified.metrics
    checked = score_row(ROW, answer([], []).model_copy(update={"verified": 0.5}), [])
    totals = aggregate([unverified, checked])
    assert totals["verified"] == 0.5  # the unverified row is skipped, not counted as 1
    assert math.isnan(aggregate([unverified])["verified"])
    run = RunResult(
        name="n", suite="s", settings={}, metrics=aggregate([unverified]), rows=[unverified]
    )
    parsed = json.loads(dump_runs([run]), parse_constant=_strict)
    assert parsed[0]["metrics"]["verified"] is None


def test_a_quote_holding_a_bracketed_number_is_one_first_sentence(tmp_path: Path) -> None:
    # Documentation writes heap[0] and a[1]: the first sentence is the whole first quote,
    # not the text before the first bracketed number.
    quote = "To access the smallest item without popping it, use heap[0] on the list"
    (tmp_path / "heapq.txt").write_text(quote)
    chunk = Chunk(id="h", text=quote, source="heapq.txt", path=str(tmp_path / "heapq.txt"),
                  title="t", section="s", start=0, end=len(quote))  # fmt: skip
    held = Passage(chunk=chunk, score=1.0)
    row = SuiteRow(id="heap", question="How do I see the smallest item?",
                   answers=["use heap[0] on the list"], answerable=True)  # fmt: skip
    cited = Citation.quoting(chunk, 0, len(quote), n=1, score=0.9)
    result = score_row(row, answer([cited], [held]), [held])
    assert result.metrics["answer_recall_first"] == 1.0
    assert result.metrics["answer_recall"] == 1.0
