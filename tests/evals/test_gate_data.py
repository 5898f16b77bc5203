"""The gate's evidence: questions asked again with their gold withheld, on the real seeds index."""

import shutil
from pathlib import Path

from evals.gate_data import collect, gather
from evals.relevance import holds_gold, passage_relevant
from evals.suite import SuiteRow
from rag.chain import Chain
from rag.settings import Settings
from tests.conftest import SEEDS

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
    assert withheld.row.split == ROW.split
    assert withheld.row.question == ROW.question
    assert withheld.passages, "the seeds have passages besides the gold one"
    assert len(withheld.passages) <= seeded_chain.settings.k
    assert all("Happy Gilmore" not in p.chunk.text for p in withheld.passages)
    assert all("Happy Gilmore" not in c.quote for c in withheld.ranked)
    # The withheld chunks are out of the document frequencies too.
    assert withheld.chunks < asked.chunks
    assert all(withheld.held[t] <= n for t, n in asked.held.items())
    assert any(withheld.held[t] < n for t, n in asked.held.items())


def test_a_passage_that_says_the_answer_elsewhere_is_withheld_too(seeded_chain: Chain) -> None:
    # The CEO's name is in passages other than the Happy Gilmore one: as the gold
    # answer, they go too, and the passages left are others.
    row = ROW.model_copy(update={"answers": ["Sarandos"]})
    everything = seeded_chain.ranked(row.question, 50)
    assert any("Sarandos" in p.chunk.text and not holds_gold(ROW, p.chunk) for p in everything)
    [withheld] = gather(seeded_chain, [row], lambda: None, withhold=True)
    assert withheld.passages
    assert all("Sarandos" not in p.chunk.text for p in withheld.passages)


def test_an_answer_the_question_says_itself_withholds_nothing_more(seeded_chain: Chain) -> None:
    # "AI" is in the question and in nearly every passage: only the gold one goes.
    row = ROW.model_copy(update={"answers": ["Happy Gilmore 2", "AI"]})
    [withheld] = gather(seeded_chain, [row], lambda: None, withhold=True)
    assert len(withheld.passages) == seeded_chain.settings.k
    assert all("AI" in p.chunk.text for p in withheld.passages)
    assert all("Happy Gilmore" not in p.chunk.text for p in withheld.passages)


def test_evidence_gathered_over_one_copy_of_a_corpus_is_not_reused_for_another(
    tmp_path: Path, settings: Settings
) -> None:
    # Two checkouts hold the same files: each has its own index, and evidence must
    # cite the files of the copy asked about (a shared cache once served one
    # copy's evidence, gathered over an index holding both, to the other).
    first = Path(shutil.copytree(SEEDS, tmp_path / "one" / "seeds"))
    second = Path(shutil.copytree(SEEDS, tmp_path / "two" / "seeds"))
    found = []
    for folder in (first, second):
        [evidence] = collect("seeds", "tune", [ROW], folder, settings, lambda *_: lambda: None)
        assert {Path(p.chunk.path).parent for p in evidence.passages} == {folder.resolve()}
        found.append(evidence)
    assert found[0].chunks == found[1].chunks
