"""The follow-up rule, and pronoun follow-ups through the chain.

A follow-up such as "Which country is it from?" names no subject: its answer
depends on the earlier turn, so these tests fail when the history is ignored.
"""

import pytest

from rag.answer.extractive import ABSTENTION
from rag.answer.followup import standalone_question
from rag.chain import Chain

PREVIOUS = ["Which film used AI to de-age characters?"]


@pytest.mark.parametrize(
    ("question", "combined"),
    [
        ("Who starred in it?", True),
        ("When did its producers use it?", True),
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


# (earlier question, pronoun follow-up, what the follow-up's cited sentence must say)
PRONOUN_FOLLOW_UPS = [
    (
        "Which series used AI-generated effects to depict a building collapse?",
        "Which country is it from?",
        "Argentine series “The Eternaut”",
    ),
    (
        "Which Netflix series used generative AI to explore wardrobe options?",
        "When did its producers use it?",
        "“Billionaires' Bunker” leveraged generative AI during pre-production",
    ),
    (
        "How much revenue did Netflix report?",
        "How much did it grow?",
        "17% year-over-year revenue increase",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("earlier", "follow_up", "expected"), PRONOUN_FOLLOW_UPS)
def test_a_pronoun_follow_up_is_answered_from_the_earlier_subject(
    seeded_chain: Chain, earlier: str, follow_up: str, expected: str
) -> None:
    answer = seeded_chain.answer(follow_up, [earlier])
    assert not answer.abstained, answer.answer
    assert expected in answer.citations[0].quote
    # The same words without the earlier turn do not find it: the history is what answers.
    alone = seeded_chain.answer(follow_up)
    assert alone.abstained or expected not in alone.citations[0].quote


@pytest.mark.slow
def test_a_follow_up_naming_a_new_subject_keeps_it(seeded_chain: Chain) -> None:
    answer = seeded_chain.answer("What about Billionaires' Bunker?", PREVIOUS)
    assert "Billionaires' Bunker" in answer.citations[0].quote


@pytest.mark.slow
def test_a_change_of_topic_is_not_dragged_back(seeded_chain: Chain) -> None:
    off_topic = seeded_chain.answer("What is the capital of Argentina?", PREVIOUS)
    assert off_topic.abstained and off_topic.answer == ABSTENTION
