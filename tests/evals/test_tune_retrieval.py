"""Fusion chosen in memory: the ranking of each variant and the rule that picks one."""

from typing import Any

from evals.tune_retrieval import Lists, choose, convex, measure, rrf, variants
from rag.retrieve.fusion import Hit


def test_variants_rank_from_the_collected_lists() -> None:
    lists = Lists(
        dense=[Hit("a", 0.9), Hit("b", 0.7), Hit("c", 0.5)],
        bm25=[Hit("c", 12.0), Hit("d", 8.0), Hit("a", 4.0)],
        relevant=frozenset({"c"}),
    )
    # convex 0.6/0.4 (see test_convex_fusion_by_hand): a, c, b, d
    assert convex(0.6, 10).rank(lists) == ["a", "c", "b", "d"]
    assert measure(convex(0.6, 10), [lists]) == {"hit@1": 0.0, "hit@5": 1.0, "mrr@10": 0.5}
    # a BM25-heavy mix puts c first; one candidate a side leaves only a and c
    assert convex(0.2, 10).rank(lists)[0] == "c"
    assert set(rrf(0.5, 1).rank(lists)) == {"a", "c"}
    names = [v.name for v in variants()]
    assert names[:2] == ["bm25", "dense"] and len(set(names)) == len(names)


def entry(
    variant: str, values: dict[str, Any], x: tuple[float, float], y: tuple[float, float]
) -> dict[str, Any]:
    return {"variant": variant, "values": values, "x_hit@1": x[0], "x_hit@5": x[1],
            "x_mrr@10": x[0], "y_hit@1": y[0], "y_hit@5": y[1], "y_mrr@10": y[0]}  # fmt: skip


def test_the_rule_keeps_each_set_within_a_point_of_its_best_part() -> None:
    table = [
        entry("bm25", {"retriever": "bm25"}, (0.5, 0.80), (0.5, 0.90)),
        entry("dense", {"retriever": "dense"}, (0.5, 0.85), (0.5, 0.70)),
        # best mean hit@5, but 0.02 below dense on x: not allowed
        entry("greedy", {"fusion": "rrf"}, (0.9, 0.83), (0.9, 0.99)),
        entry("safe", {"fusion": "convex"}, (0.4, 0.845), (0.4, 0.91)),  # best hit@5: 0.8775
        # hit@5 0.875, within 0.005 of the best, and a better mrr: chosen
        entry("safer", {"fusion": "convex", "dense_weight": 0.1}, (0.7, 0.845), (0.7, 0.905)),
        # the best mrr, but hit@5 0.87 is more than 0.005 below the best
        entry("behind", {"fusion": "convex", "dense_weight": 0.9}, (0.8, 0.845), (0.8, 0.895)),
        entry("rerank", {}, (0.9, 0.9), (0.9, 0.95)),  # measured only: no settings
    ]
    chosen, table = choose(table, ["x", "y"])
    assert chosen["variant"] == "safer"
    assert [e["allowed"] for e in table] == [False, False, False, True, True, True, True]
    assert [e["chosen"] for e in table] == [False, False, False, False, True, False, False]
