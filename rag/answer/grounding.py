"""Facts a claim states that its source does not: numbers, names and negation.

Similarity cannot see that "revenue rose 12%" is not "revenue rose 21%": the two
sentences share every word but one. The citation check therefore also refuses a
sentence whose numbers or capitalised names are absent from the passage it
cites, that adds a negation the passage sentence that best supports it lacks,
or that drops one standing just before a word the claim states. (No library
does this small, offline check; a natural-language-inference model would, and
none ships for this machine.)
"""

import re

from bm25s.stopwords import STOPWORDS_EN_PLUS

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[A-Za-z][\w'’-]*")
_NEGATIONS = frozenset({"not", "no", "never", "none", "neither", "nor", "without", "cannot"})
_NEGATION_REACH = 3


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def _is_negation(word: str) -> bool:
    return word in _NEGATIONS or word.endswith(("n't", "n’t"))


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _negates(sentence: str, claim: str) -> bool:
    """Whether ``sentence`` negates something ``claim`` states: a negation within
    ``_NEGATION_REACH`` words before a content word of the claim ("cannot replace"
    against "can replace"), not one in an unrelated clause."""
    stated = {w for w in _words(claim) if w not in STOPWORDS_EN_PLUS and not _is_negation(w)}
    words = _words(sentence)
    return any(
        _is_negation(word) and stated & set(words[at + 1 : at + 1 + _NEGATION_REACH])
        for at, word in enumerate(words)
    )


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
    claim_negated = any(_is_negation(w) for w in _words(claim))
    if claim_negated and not any(_is_negation(w) for w in _words(sentence)):
        return "negation differs from the source"  # a negation added
    if not claim_negated and _negates(sentence, claim):
        return "negation differs from the source"  # a negation dropped
    return None
