"""Citation-check negatives the grounding rule was not written against, and their figures."""

import pytest

from evals.claims import HELD_OUT, CheckedClaim, make_claims
from evals.relevance import fold
from evals.suite import in_split, load_suite
from evals.tune import choose_citation_check, claim_figures
from rag.answer.citation_check import Support
from rag.chain import Chain
from tests.conftest import REPO


def _checked(kind: str, score: float, question: str = "q") -> CheckedClaim:
    return CheckedClaim(kind, [Support(0, 0, 1, "x", score, score, None)], question)


@pytest.mark.slow
def test_other_passage_and_mixed_claims_are_real_sentences_the_passage_lacks(
    seeded_chain: Chain,
) -> None:
    rows = [r for r in in_split(load_suite(REPO / "evals/suites/seeds.jsonl"), "tune") if r.answers]
    claims = make_claims(rows, seeded_chain, seed=0)
    by_kind = {kind: [c for c in claims if c.kind == kind] for kind in HELD_OUT}
    assert all(by_kind.values()), {k: len(v) for k, v in by_kind.items()}
    answers = {r.id: [fold(a).text for a in r.answers] for r in rows}
    for claim in by_kind["other"]:
        said = fold(claim.text).text
        assert said not in fold(claim.passage.chunk.text).text  # not the passage's own sentence
        assert not any(a in said for a in answers[claim.question])  # and no gold answer
        assert len(claim.text.split()) >= 6
    for claim in by_kind["mixed"]:
        opening = fold(" ".join(claim.text.split()[:3])).text
        assert opening in fold(claim.passage.chunk.text).text  # it starts in the passage
        assert fold(claim.text).text not in fold(claim.passage.chunk.text).text


def test_held_out_kinds_do_not_choose_the_check_but_are_reported() -> None:
    # True claims score 0.8 and 0.9, the number edits 0.1 and 0.2: any threshold in
    # (0.2, 0.8] separates them. Four held-out "other" claims score 0.85: counted, a
    # threshold in (0.85, 0.9] would win (balanced accuracy (1/2 + 6/6) / 2 = 0.75
    # against (2/2 + 2/6) / 2 = 0.67) and refuse a true claim.
    claims = [_checked("true", 0.8, "a"), _checked("true", 0.9, "b")]
    claims += [_checked("number", 0.1, "a"), _checked("number", 0.2, "b")]
    others = [_checked("other", 0.85, q) for q in "abcd"]
    (weight, threshold), _ = choose_citation_check([*claims, *others])
    assert 0.2 < threshold <= 0.8
    figures = claim_figures([*claims, others[0]], weight, threshold)
    assert figures["balanced_accuracy"] == 1.0  # over the kinds that chose the check
    assert figures["other"].startswith("0.000 ")  # accepted: judged wrong, and shown
    assert figures["true"].startswith("1.000 [1.000, 1.000] n=2")
