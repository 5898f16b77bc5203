"""Facts a claim states that its source does not: numbers, names and negation.

Similarity cannot see that "revenue rose 12%" is not "revenue rose 21%": the two
sentences share every word but one. The citation check therefore also refuses a
sentence whose numbers or capitalised names are absent from the passage it
cites, or whose negation differs from the passage sentence that best supports
it. (No library does this small, offline check; a natural-language-inference
model would, and none ships for this machine.)
"""

import re

from bm25s.stopwords import STOPWORDS_EN_PLUS

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[A-Za-z][\w'’-]*")
_NEGATIONS = frozenset({"not", "no", "never", "none", "neither", "nor", "without", "cannot"})


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def _negated(text: str) -> bool:
    words = {w.lower() for w in _WORD.findall(text)}
    return bool(words & _NEGATIONS) or "n't" in text.lower() or "n’t" in text.lower()


def _names(text: str) -> set[str]:
    """Capitalised words: mid-sentence, or opening one unless a stop word ("The",
    "Which"). An ordinary word opening a sentence counts too ("Overall"); it is
    grounded as long as the passage holds it in any case."""
    names = set()
    for match in _WORD.finditer(text):
        word = match.group()
        before = text[: match.start()].rstrip()
        opening = not before or before[-1] in '.!?:;"“('
        if word[0].isupper() and not (opening and word.lower() in STOPWORDS_EN_PLUS):
            names.add(word.lower().rstrip("'’s"))
    return names


def ungrounded(claim: str, sentence: str, passage: str) -> str | None:
    """Why ``claim`` is not grounded in ``passage`` (``sentence`` being the passage
    sentence that best supports it), or None when nothing is missing."""
    if missing := _numbers(claim) - _numbers(passage):
        return f"number not in the source: {', '.join(sorted(missing))}"
    words = {w.lower().rstrip("'’s") for w in _WORD.findall(passage)}
    if missing := _names(claim) - words:
        return f"name not in the source: {', '.join(sorted(missing))}"
    if _negated(claim) != _negated(sentence):
        return "negation differs from the source"
    return None
