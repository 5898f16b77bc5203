"""Numbers, names and negation a claim adds to its source are caught."""

from rag.answer.grounding import ungrounded

PASSAGE = (
    "Netflix reported revenue of 11.08 billion dollars in 2025. "
    "The film Happy Gilmore 2 used AI tools to de-age characters. "
    "Ted Sarandos said AI cannot replace great storytelling."
)
FILM = "The film Happy Gilmore 2 used AI tools to de-age characters."


def test_a_claim_restating_the_source_is_grounded() -> None:
    claim = "Which film used AI tools to de-age characters: Happy Gilmore 2."
    assert ungrounded(claim, FILM, PASSAGE) is None
    # An ordinary word opening the sentence is in the passage in lower case;
    # "1,000" and "1000" are one number.
    revenue = "Netflix reported revenue of 11.08 billion dollars in 2025."
    assert ungrounded("Revenue was 11.08 billion in 2025.", revenue, PASSAGE) is None
    assert (
        ungrounded("It hired 1000 people.", "It hired 1,000 people.", "It hired 1,000 people.")
        is None
    )


def test_a_changed_number_is_caught() -> None:
    claim = "Which film used AI tools to de-age characters: Happy Gilmore 3."
    assert ungrounded(claim, FILM, PASSAGE) == "number not in the source: 3"


def test_a_swapped_name_is_caught() -> None:
    claim = "Which film used AI tools to de-age characters: The Eternaut."
    assert ungrounded(claim, FILM, PASSAGE) == "name not in the source: eternaut"
    # A name opening the sentence counts too.
    revenue = "Netflix reported revenue of 11.08 billion dollars in 2025."
    disney = "Disney reported revenue of 11.08 billion dollars in 2025."
    assert ungrounded(disney, revenue, PASSAGE) == "name not in the source: disney"


def test_an_added_or_dropped_negation_is_caught() -> None:
    claim = "The film Happy Gilmore 2 did not use AI tools to de-age characters."
    assert ungrounded(claim, FILM, PASSAGE) == "negation differs from the source"
    said = "Ted Sarandos said AI cannot replace great storytelling."
    assert ungrounded("Ted Sarandos said AI can replace great storytelling.", said, PASSAGE) == (
        "negation differs from the source"
    )


def test_a_negation_in_an_unrelated_clause_is_not_a_dropped_one() -> None:
    sentence = "Netflix CEO Ted Sarandos says that while AI helps, it cannot replace the artistry."
    assert ungrounded("The CEO of Netflix is Ted Sarandos.", sentence, sentence) is None
    assert ungrounded("AI can replace the artistry.", sentence, sentence) == (
        "negation differs from the source"
    )
