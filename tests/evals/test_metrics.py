"""Every metric on small cases worked out by hand."""

import math
from pathlib import Path

import pytest

from evals import metrics
from evals.relevance import citation_relevant, fold, gold_in, locate
from evals.runner import passage_rank
from evals.suite import SuiteRow
from rag.schema import Chunk, Citation, Passage
from rag.text import Span


def test_normalize_follows_squad_and_equates_quote_styles() -> None:
    assert metrics.normalize("The  “Happy Gilmore 2”!") == "happy gilmore 2"
    assert metrics.normalize("Billionaires’ Bunker") == metrics.normalize("Billionaires' Bunker")


@pytest.mark.parametrize(
    ("prediction", "golds", "expected"),
    [
        ("the Happy Gilmore 2.", ["Happy Gilmore 2"], 1.0),
        ("Happy Gilmore", ["Happy Gilmore 2"], 0.0),
        ("", [], 1.0),  # unanswerable, abstained
        ("anything", [], 0.0),  # unanswerable, answered
        ("", ["x"], 0.0),
    ],
)
def test_exact_match(prediction: str, golds: list[str], expected: float) -> None:
    assert metrics.exact_match(prediction, golds) == expected


def test_token_f1_by_hand() -> None:
    # prediction tokens: happy gilmore 2 film (4); gold: happy gilmore 2 (3); common 3
    # precision 3/4, recall 3/3 -> F1 = 2 * 0.75 * 1 / 1.75 = 0.857
    assert metrics.token_f1("the Happy Gilmore 2 film", ["Happy Gilmore 2"]) == pytest.approx(6 / 7)
    assert metrics.token_f1("nothing shared", ["Happy Gilmore 2"]) == 0.0
    assert metrics.token_f1("x y", ["z", "x y"]) == 1.0  # best over golds
    assert metrics.token_f1("", []) == 1.0 and metrics.token_f1("a word", []) == 0.0


@pytest.mark.parametrize(
    ("prediction", "golds", "expected"),
    [
        # normalised: "series eternaut used ai" holds the run "eternaut"
        ("The series “The Eternaut” used AI.", ["The Eternaut"], 1.0),
        # "sales rose 20 in 2020": no token is "2" (a substring test found it twice)
        ("Sales rose 20% in 2020.", ["2"], 0.0),
        # "its artistry-free look" -> tokens "its artistryfree look": no token "artistry"
        ("Its artistry-free look.", ["artistry"], 0.0),
        ("It is the artistry that defines it.", ["artistry"], 1.0),
        # tokens happy, and, gilmore, 2: "happy gilmore 2" is not a contiguous run
        ("Happy and Gilmore 2", ["Happy Gilmore 2"], 0.0),
        ("a b c", ["the"], 0.0),  # a gold answer normalised to nothing matches nothing
        ("", ["x"], 0.0),
    ],
)
def test_answer_recall_on_token_boundaries(
    prediction: str, golds: list[str], expected: float
) -> None:
    assert metrics.answer_recall(prediction, golds) == expected


def test_ranks_hits_and_reciprocal_rank() -> None:
    rank = 3
    assert [metrics.hit_at(rank, k) for k in (1, 3, 5)] == [0.0, 1.0, 1.0]
    assert metrics.reciprocal_rank(rank) == pytest.approx(1 / 3)
    assert metrics.hit_at(None, 10) == 0.0 and metrics.reciprocal_rank(None) == 0.0
    assert metrics.reciprocal_rank(11, k=10) == 0.0


def test_abstention_by_hand() -> None:
    answerable = [True, True, True, False, False]
    abstained = [False, True, False, True, False]
    # abstention = positive: TP 1 (row 4), FP 1 (row 2), FN 1 (row 5)
    scores = metrics.abstention(answerable, abstained)
    assert scores["abstain_rate"] == 0.5
    assert scores["false_abstention_rate"] == pytest.approx(1 / 3)
    assert scores["abstention_f1"] == pytest.approx(0.5)


def test_abstention_edge_cases() -> None:
    perfect = metrics.abstention([True, False], [False, True])
    assert perfect == {"abstain_rate": 1.0, "false_abstention_rate": 0.0, "abstention_f1": 1.0}
    never = metrics.abstention([True, False], [False, False])
    assert never["abstain_rate"] == 0.0 and never["abstention_f1"] == 0.0
    only_answerable = metrics.abstention([True], [False])
    assert math.isnan(only_answerable["abstain_rate"])
    assert math.isnan(only_answerable["abstention_f1"])


def test_percentile() -> None:
    assert metrics.percentile([10, 20, 30, 40], 50) == 25
    assert math.isnan(metrics.percentile([], 95))


# Relevance: a hand-made file whose offsets are counted below.
#   "Alpha beta. The llama hums when content. Gamma."
#    0         1         2         3         4
#    01234567890123456789012345678901234567890123456
# evidence "the llama hums when content" (any case) -> [12, 39), answer "hums" -> [22, 26)
TEXT = "Alpha beta. The llama hums when content. Gamma."
ROW = SuiteRow(id="r", question="q", answers=["hums"], evidence=["the llama hums when content"])


def _chunk(path: Path, start: int, end: int) -> Chunk:
    text = TEXT[start:end]
    return Chunk(
        id=f"{start}",
        text=text,
        source="doc.txt",
        path=str(path),
        title="",
        section="",
        start=start,
        end=end,
    )


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    path = tmp_path / "doc.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_evidence_and_answer_are_located_case_space_and_quote_insensitively(doc: Path) -> None:
    gold = gold_in(ROW, str(doc))
    assert gold.evidence == [Span(12, 39)] and gold.targets == [Span(22, 26)]
    folded = fold("The  “Llama”\nhums")
    assert folded.text == 'the "llama" hums'
    assert locate(folded, '"LLAMA" hums') == [Span(5, 17)]  # the curly quote to the end
    assert locate(folded, "hum", within=Span(0, 17)) == []  # not on a word boundary


def test_passage_relevance_is_overlap_with_the_answer_span(doc: Path) -> None:
    # [0, 20) holds part of the evidence but not "hums" [22, 26): not relevant.
    # [18, 30) cuts the sentence at both ends but holds the answer: relevant.
    # [26, 47) starts where the answer ends (half-open, no overlap): not relevant.
    first, middle, last = _chunk(doc, 0, 20), _chunk(doc, 18, 30), _chunk(doc, 26, 47)
    ranked = [Passage(chunk=c, score=1.0) for c in (first, last, middle)]
    assert passage_rank(ROW, ranked) == 3
    assert passage_rank(ROW, ranked[:2]) is None
    # With no answer found in the evidence, the evidence span [12, 39) is the target.
    no_answer = ROW.model_copy(update={"answers": ["purrs"]})
    assert passage_rank(no_answer, ranked) == 1
    # A chunk of another file never counts, whatever its offsets.
    elsewhere = ROW.model_copy(update={"source": "other.txt"})
    assert passage_rank(elsewhere, ranked) is None


def test_citation_relevance_is_overlap_of_the_quote_with_the_evidence(doc: Path) -> None:
    passages = [Passage(chunk=_chunk(doc, 0, 47), score=1.0)]

    def cite(start: int, end: int) -> Citation:
        return Citation(
            n=1,
            source="doc.txt",
            section="",
            start=start,
            end=end,
            quote=TEXT[start:end],
            score=1.0,
        )

    # "Gamma." [41, 47) lies outside [12, 39), though its chunk holds the evidence;
    # "Alpha beta." [0, 11) too; "The llama hums when content." [12, 40) overlaps.
    assert not citation_relevant(ROW, cite(41, 47), passages)
    assert not citation_relevant(ROW, cite(0, 11), passages)
    assert citation_relevant(ROW, cite(12, 40), passages)
