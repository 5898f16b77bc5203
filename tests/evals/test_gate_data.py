"""The gate's evidence: questions asked again with their gold withheld, on the real seeds index."""

from evals.gate_data import gather
from evals.relevance import holds_gold, passage_relevant
from evals.suite import SuiteRow
from rag.chain import Chain

ROW = SuiteRow(
    id="q",
    question="Which film used AI tools to de-age characters?",
    answers=["Happy Gilmore 2"],
    evidence=["the film “Happy Gilmore 2” employed AI tools to de-age characters"],
    source="netflix-generative-ai.txt",
)


def test_withholding_the_gold_leaves_on_topic_passages_that_do_not_answer(
    seeded_chain: Chain,
) -> None:
    [asked] = gather(seeded_chain, [ROW], lambda: None)
    assert any(passage_relevant(ROW, p.chunk) for p in asked.passages)
    assert "Happy Gilmore 2" in asked.ranked[0].quote

    [withheld] = gather(seeded_chain, [ROW], lambda: None, withhold=True)
    assert withheld.row.id == "q/withheld"
    assert not withheld.row.answerable
    assert withheld.row.question == ROW.question
    assert withheld.passages, "the seeds have passages besides the gold one"
    assert len(withheld.passages) <= seeded_chain.settings.k
    for passage in withheld.passages:
        assert not holds_gold(ROW, passage.chunk)
        assert "Happy Gilmore" not in passage.chunk.text
    assert all("Happy Gilmore" not in c.quote for c in withheld.ranked)


def test_a_passage_that_says_the_answer_elsewhere_is_withheld_too(seeded_chain: Chain) -> None:
    # The CEO's name is in passages other than the Happy Gilmore one: as the gold
    # answer, they go too, and the passages left are others.
    row = ROW.model_copy(update={"answers": ["Sarandos"]})
    everything = seeded_chain.ranked(row.question, 50)
    assert any("Sarandos" in p.chunk.text and not holds_gold(ROW, p.chunk) for p in everything)
    [withheld] = gather(seeded_chain, [row], lambda: None, withhold=True)
    assert withheld.passages
    assert all("Sarandos" not in p.chunk.text for p in withheld.passages)
