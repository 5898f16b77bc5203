"""The answerability gate deciding in the chain: extractive and strict generative
answers alike, its probability in the JSON, off-topic questions still declined."""

import json

import pytest

from rag.answer.extractive import ABSTENTION
from rag.chain import Chain
from tests.llm.test_generative_branches import Prompts, scripted

pytestmark = pytest.mark.slow  # the real embedder and index

ANSWERABLE = "Which film used AI tools to de-age characters?"
OFF_TOPIC = "What is the capital of Argentina?"


def _chain(seeded_chain: Chain, **changes: object) -> Chain:
    return Chain(seeded_chain.settings.model_copy(update=changes))


def test_the_gate_declines_below_its_threshold_and_reports_its_probability(
    seeded_chain: Chain,
) -> None:
    answered = _chain(seeded_chain, answerable_at=0.0).answer(ANSWERABLE)
    gated = _chain(seeded_chain, answerable_at=1.0).answer(ANSWERABLE)
    assert not answered.abstained and "Happy Gilmore" in answered.answer
    assert answered.answerable is not None and 0 < answered.answerable < 1
    # The same evidence, so the same probability; only the operating point moved.
    assert gated.answerable == answered.answerable
    assert gated.abstained and gated.answer == ABSTENTION and gated.citations == []
    assert json.loads(answered.model_dump_json())["answerable"] == answered.answerable


def test_off_topic_questions_stay_declined_with_the_gate_off(seeded_chain: Chain) -> None:
    answer = _chain(seeded_chain, answerable_at=0.0).answer(OFF_TOPIC)
    assert answer.abstained and answer.answerable is not None


def test_the_gate_decides_strict_generative_answers_before_the_llm_runs(
    seeded_chain: Chain,
) -> None:
    reply = "Happy Gilmore 2 used AI tools to de-age characters [1]."
    prompts = Prompts()
    chain = scripted(
        seeded_chain, [reply], prompts=prompts, strict_citations=True, answerable_at=1.0
    )
    strict = chain.answer(ANSWERABLE)
    assert strict.abstained and strict.answer == ABSTENTION and strict.answerable is not None
    assert prompts.calls == []  # the model was never asked
    # Without strict citations the LLM answers and its citation check decides.
    loose = scripted(seeded_chain, [reply], prompts=prompts, answerable_at=1.0).answer(ANSWERABLE)
    assert not loose.abstained and "Happy Gilmore" in loose.answer and len(prompts.calls) == 1


@pytest.mark.parametrize("mode", ["bm25", "dense"])
def test_the_gate_stays_out_of_one_sided_retrieval(seeded_chain: Chain, mode: str) -> None:
    # It learned from hybrid evidence: with one side's scores missing it read every
    # question as unanswerable (seeds test split, bm25 alone: 14 of 21 declined).
    answer = _chain(seeded_chain, retriever=mode, answerable_at=0.99).answer(ANSWERABLE)
    assert answer.answerable is None
    assert not answer.abstained and "Happy Gilmore" in answer.answer
