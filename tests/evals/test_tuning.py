"""The choices of `rag eval tune`, on small hand-worked examples."""

from evals.claims import CheckedClaim
from evals.observed import POOL, Observed
from evals.suite import SuiteRow
from evals.tune import (
    balanced_accuracy,
    choose_answering,
    choose_citation_check,
    choose_threshold,
)
from evals.tune_rerank import RERANK_DEPTHS, choose_rerank, in_order
from rag.answer.citation_check import Support
from rag.answer.extractive import Signal
from rag.schema import Citation


def _signal(quote: str, cosine: float, overlap: float) -> Signal:
    citation = Citation(
        n=0, source="f.txt", section="", start=0, end=len(quote), quote=quote, score=0.0
    )
    return Signal(citation, cosine, overlap)


def _row(n: int, answers: list[str]) -> SuiteRow:
    return SuiteRow(id=f"r{n}", question="q?", answers=answers, answerable=bool(answers))


def _observed(row: SuiteRow, signals: list[Signal]) -> Observed:
    """One passage per signal, in retrieval order, none of them relevant."""
    n = len(signals)
    return Observed(row, [1.0] * n, [False] * n, [[s] for s in signals], list(range(n)))


def test_the_weight_with_the_best_first_sentence_recall_is_chosen() -> None:
    # Row 1: "Paris" scores 0.2w + 1.0(1 - w) = 1 - 0.8w, the decoy 0.9w: Paris leads
    # while w < 1/1.7 = 0.588. Row 2: "Rome" scores 0.8w, the decoy 0.3w + 0.5(1 - w)
    # = 0.5 - 0.2w: Rome leads while w > 0.5 (at 0.5 they tie and the decoy, listed
    # first, wins). Only w = 0.55 of the 0.05 grid answers both.
    observed = [
        _observed(_row(1, ["Paris"]), [_signal("Paris is the capital.", 0.2, 1.0),
                                       _signal("Lyon is big.", 0.9, 0.0)]),
        _observed(_row(2, ["Rome"]), [_signal("Milan is north.", 0.3, 0.5),
                                      _signal("Rome it is.", 0.8, 0.0)]),
    ]  # fmt: skip
    chosen = choose_answering({"a": observed}, {"a": observed})
    assert chosen.weight == 0.55 and chosen.against_incumbent is None
    assert chosen.reranking["rerank_depth"] == 0  # nothing relevant to re-rank towards
    assert {e["weight"]: e["a"] for e in chosen.table}[0.5] == 0.5


def _romes(count: int) -> list[Observed]:
    # "Rome" scores 0.8w, the decoy 0.5 - 0.2w: Rome leads while w > 0.5.
    return [
        _observed(_row(n, ["Rome"]), [_signal("Milan is north.", 0.3, 0.5),
                                      _signal("Rome it is.", 0.8, 0.0)])
        for n in range(count)
    ]  # fmt: skip


def test_a_weight_no_better_than_the_incumbent_by_the_paired_test_leaves_it() -> None:
    # Two questions: 0.55 answers both, the incumbent 0.75 one of them (row 1 of the
    # example above); a one-question difference is not significant.
    observed = [
        _observed(_row(1, ["Paris"]), [_signal("Paris is the capital.", 0.2, 1.0),
                                       _signal("Lyon is big.", 0.9, 0.0)]),
        *_romes(1),
    ]  # fmt: skip
    chosen = choose_answering({"a": observed}, {"a": observed}, incumbent=0.75)
    assert chosen.weight == 0.75
    verdict = chosen.against_incumbent
    assert verdict is not None and (verdict.before, verdict.after) == (0.5, 1.0)
    assert not verdict.better


def test_a_weight_better_than_the_incumbent_by_the_paired_test_replaces_it() -> None:
    # Twenty questions that only weights above 0.5 answer: the incumbent 0.25 answers
    # none, 0.55 (the first best) all twenty.
    observed = _romes(20)
    chosen = choose_answering({"a": observed, "b": _romes(3)}, {"a": observed}, incumbent=0.25)
    assert chosen.weight == 0.55
    verdict = chosen.against_incumbent
    assert verdict is not None and verdict.better and verdict.questions == 23


def test_the_verdict_compares_the_table_means_and_an_off_grid_incumbent_is_judged() -> None:
    # Sets of two and three questions and one without gold answers (NaN: no part in
    # the mean). At the incumbent 0.33 (off the 0.05 grid) Paris answers, Rome does
    # not: means 0.5 and 0.0; at 0.55 everything answers.
    a = [
        _observed(_row(1, ["Paris"]), [_signal("Paris is the capital.", 0.2, 1.0),
                                       _signal("Lyon is big.", 0.9, 0.0)]),
        *_romes(1),
    ]  # fmt: skip
    c = [_observed(_row(9, []), [_signal("Milan is north.", 0.3, 0.5)])]
    chosen = choose_answering({"a": a, "b": _romes(3), "c": c}, {"a": a}, incumbent=0.33)
    mean = {e["weight"]: e["mean"] for e in chosen.table}
    verdict = chosen.against_incumbent
    assert verdict is not None and (mean[0.33], mean[0.55]) == (0.25, 1.0)
    assert (verdict.before, verdict.after) == (0.25, 1.0) and verdict.questions == 5


def test_each_weight_is_judged_in_the_order_its_re_ranking_gives() -> None:
    # Six passages; the answer is in the sixth, which retrieval ranks last (the
    # answerer reads the first five). Decoys score 0.5w + 0.62(1 - w) = 0.62 - 0.12w,
    # the answer 0.9w: above w = 0.62 / 1.02 = 0.608 re-ranking by best sentence (depth
    # 10, retrieval weight 0) lifts it first, and it is the best sentence shown; at or
    # below, nothing lifts it. Judged in retrieval's order no weight answers (0.0 would
    # be chosen); in the chain's order 0.65 does.
    decoys = [[_signal("Milan is north.", 0.5, 0.62)] for _ in range(5)]
    answer = Observed(_row(1, ["Rome"]), [1.0, 0.9, 0.8, 0.7, 0.6, 0.5], [False] * 5 + [True],
                      [*decoys, [_signal("Rome it is.", 0.9, 0.0)]], list(range(6)))  # fmt: skip
    chosen = choose_answering({"a": [answer]}, {"a": [answer]})
    assert (chosen.weight, chosen.reranking) == (0.65, {"rerank_depth": 10, "rerank_weight": 0.0})
    assert answer.order[0] == 5  # what the answerer will see
    assert {e["weight"]: e["a"] for e in chosen.table}[0.6] == 0.0


def test_the_threshold_maximises_f1_within_the_false_abstention_budget() -> None:
    # Weight 1: a row's score is its best cosine. 20 answerable rows (one at 0.25,
    # nineteen at 0.6) and 3 unanswerable (0.1, 0.2, 0.4). Abstaining below t:
    #   t in (0.25, 0.40]: TP 2, FP 1 (false abstention 1/20 = 0.05, allowed) F1 4/6
    #   t in (0.40, 0.60]: TP 3, FP 1 -> F1 6/7 = 0.857, the best allowed
    #   t > 0.60: all 20 answerable abstained -> false abstention 1.0, refused.
    # The lowest threshold reaching 0.857 is 0.41.
    answerable = [_observed(_row(0, ["x"]), [_signal("x", 0.25, 0)])]
    answerable += [_observed(_row(n, ["x"]), [_signal("x", 0.6, 0)]) for n in range(1, 20)]
    unanswerable = [_observed(_row(20 + n, []), [_signal("y", c, 0)]) for n, c in
                    enumerate((0.1, 0.2, 0.4))]  # fmt: skip
    threshold, table = choose_threshold({"a": answerable + unanswerable}, weight=1.0)
    assert threshold == 0.41
    assert round({e["threshold"]: e["abstention_f1"] for e in table}[0.41], 3) == 0.857


def _pair(n: int, first_best: float, second_best: float) -> Observed:
    """Retrieval ranks an irrelevant passage (score 1.0) above the relevant one (0.9)."""
    signals = [[_signal("a", first_best, 0)], [_signal("b", second_best, 0)]]
    return Observed(_row(n, ["b"]), [1.0, 0.9], [False, True], signals, [0, 1])


def test_reranking_is_chosen_when_the_relevant_passage_has_the_better_sentence() -> None:
    # Weight 1: a passage's best sentence is its cosine. Retrieval normalises to 1
    # and 0, so at rerank weight w: first = w + 0.2(1 - w), second = 0.9(1 - w);
    # the second leads while w < 0.7 / 1.7 = 0.41: hit@1 1.0 instead of 0.
    observed = [_pair(1, 0.2, 0.9), _pair(2, 0.2, 0.9)]
    values, table = choose_rerank({"a": observed}, answer_weight=1.0)
    assert values["rerank_depth"] == 5  # deeper pools tie: the shallowest is chosen
    assert values["rerank_weight"] <= 0.4
    assert [in_order(o, 1.0, values) for o in observed] == [[1, 0], [1, 0]]
    off = next(e for e in table if e["depth"] == 0)
    assert (off["a_hit@1"], off["a_mrr@10"]) == (0.0, 0.5)


def test_no_reranking_when_it_would_demote_the_relevant_passage() -> None:
    # The irrelevant passage's sentence is the better one: below weight 0.6 / 1.6
    # = 0.375 re-ranking demotes the relevant passage (mrr 0.5), above it changes
    # nothing (mrr 1.0, a tie with depth 0, which wins the tie).
    observed = [
        Observed(_row(1, ["a"]), [1.0, 0.9], [True, False],
                 [[_signal("a", 0.3, 0)], [_signal("b", 0.9, 0)]], [0, 1]),
    ]  # fmt: skip
    values, _ = choose_rerank({"a": observed}, answer_weight=1.0)
    assert values["rerank_depth"] == 0
    assert in_order(observed[0], 1.0, values) == [0, 1]


def _claim(kind: str, cosine: float, overlap: float, grounded: bool = True) -> CheckedClaim:
    support = Support(0, 0, 1, "x", cosine, overlap, None if grounded else "number not in source")
    return CheckedClaim(kind, [support])


def test_balanced_accuracy_weighs_true_and_false_claims_alike() -> None:
    # Weight 1: a claim's score is its cosine. At 0.5: 1 of 2 true claims accepted
    # (0.5); of 4 false ones, 0.55 is accepted and 0.9 refused as ungrounded (0.75).
    claims = [_claim("true", 0.6, 0), _claim("true", 0.4, 0)]
    claims += [_claim("number", 0.55, 0), _claim("number", 0.9, 0, grounded=False)]
    claims += [_claim("random", s, 0) for s in (0.1, 0.2)]
    assert balanced_accuracy(claims, 1.0, 0.5) == (0.5 + 0.75) / 2


def test_the_citation_check_takes_the_lowest_weight_and_threshold_that_separate() -> None:
    # Scores at weight w: true A 0.2 + 0.6w, true B 0.9 - 0.6w, random C 0.7w,
    # random D 0.725 - 0.525w. D passes A until w = 0.525 / 1.125 = 0.467, so the
    # first weight of the grid that separates them all is 0.5 (A 0.5, B 0.6,
    # C 0.35, D 0.4625) and its lowest separating threshold 0.47.
    claims = [_claim("true", 0.8, 0.2), _claim("true", 0.3, 0.9)]
    claims += [_claim("random", 0.7, 0.0), _claim("random", 0.2, 0.725)]
    (weight, threshold), table = choose_citation_check(claims)
    assert (weight, threshold) == (0.5, 0.47)
    assert {e["weight"]: e["balanced_accuracy"] for e in table}[0.45] < 1.0


def test_every_reranking_depth_tried_reads_only_observed_passages() -> None:
    assert max(RERANK_DEPTHS) <= POOL
