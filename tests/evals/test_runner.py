"""Row scoring and aggregation on hand-made answers."""

import pytest

from evals.runner import aggregate, score_row
from evals.suite import SuiteRow
from rag.models import Answer, Chunk, Citation, Passage, Timings
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
