"""Follow-up questions without an LLM: fold in the previous question when needed.

Rule: a question with a pronoun ("it", "they", "this", ...) or that opens by
pointing back ("what about ...", "how about ...", "and ...", "also ...") is
retrieved together with the previous question of the conversation, and its answer
sentence is chosen by the mean of its scores for the follow-up and for that
combined question (rag.answer.extractive): "Which country is it from?" takes its subject
from the earlier turn. Any other question stands on its own, so a change of
topic ("What is the capital of Argentina?") is not dragged back to the last one.
"""

import re
from collections.abc import Sequence

_PRONOUN = re.compile(
    r"\b(it|its|they|them|their|theirs|he|him|his|she|her|hers|this|that|these|those)\b",
    re.IGNORECASE,
)
_OPENS_BY_POINTING_BACK = re.compile(r"^\s*(what about|how about|and|also)\b", re.IGNORECASE)


def needs_context(question: str) -> bool:
    """Whether ``question`` leans on the one before it."""
    return bool(_PRONOUN.search(question) or _OPENS_BY_POINTING_BACK.match(question))


def standalone_question(question: str, history: Sequence[str]) -> str:
    """The text to retrieve with: ``question`` alone, or the previous question plus it."""
    if not history or not needs_context(question):
        return question
    return f"{history[-1].strip()} {question.strip()}"
