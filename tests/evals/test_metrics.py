"""Every metric on small cases worked out by hand."""

import math

import pytest

from evals import metrics


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


def test_contains_any_ignores_case_space_and_quote_style() -> None:
    assert metrics.contains_any("The film “Happy  Gilmore 2” used", ['"happy gilmore 2"'])
    assert not metrics.contains_any("Happy Gilmore", ["Happy Gilmore 2"])
    assert not metrics.contains_any("anything", [])


def test_ranks_hits_and_reciprocal_rank() -> None:
    passages = ["no", "still no", "here is the Evidence.", "evidence again"]
    rank = metrics.first_relevant_rank(passages, ["the evidence"])
    assert rank == 3
    assert [metrics.hit_at(rank, k) for k in (1, 3, 5)] == [0.0, 1.0, 1.0]
    assert metrics.reciprocal_rank(rank) == pytest.approx(1 / 3)
    assert metrics.first_relevant_rank(passages, ["absent"]) is None
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
