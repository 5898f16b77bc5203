"""The follow-up rule, and a follow-up through the chain."""

import pytest

from rag.chain import Chain
from rag.followup import standalone_question

PREVIOUS = ["Which film used AI to de-age characters?"]


@pytest.mark.parametrize(
    ("question", "combined"),
    [
        ("Who starred in it?", True),
        ("What about Billionaires' Bunker?", True),
        ("And the revenue?", True),
        ("What is the capital of Argentina?", False),
        ("How much revenue did Netflix report?", False),
    ],
)
def test_rule(question: str, combined: bool) -> None:
    expected = f"{PREVIOUS[0]} {question}" if combined else question
    assert standalone_question(question, PREVIOUS) == expected
    assert standalone_question(question, []) == question


@pytest.mark.slow
def test_a_follow_up_cites_the_right_sentence(seeded_chain: Chain) -> None:
    answer = seeded_chain.answer("What about Billionaires' Bunker?", PREVIOUS)
    assert "Billionaires' Bunker" in answer.citations[0].quote
    off_topic = seeded_chain.answer("What is the capital of Argentina?", PREVIOUS)
    assert off_topic.abstained
