"""Whether the retrieved passages answer the question: a small gate learned offline.

The best sentence's score tells an off-topic question from an on-topic one, but
not an on-topic question the documents leave unanswered: its best sentence
scores inside the range of answerable ones. What tells them apart is what the
evidence lacks: the question's rare terms (weighted by idf, from the BM25
index's document frequencies), or the kind of thing asked for (a number for
"how many", a date for "when"). ``features`` measures these from the question,
the passages and the answerer's ranked sentences; ``Gate`` turns them into a
probability with a logistic model trained by ``rag eval tune-gate``
(evals/train_gate.py) on the tune splits and committed as rag/gate.json.
Only numpy runs here: scikit-learn is a training dependency.
"""

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
from numpy.typing import ArrayLike

from rag.schema import Citation, Passage
from rag.text import tokenize

GATE_PATH = Path(__file__).parent.parent / "gate.json"
_ASKING = frozenset({"mani", "much"})

# What a typed question asks for, and a pattern of text that can hold it.
_NUMBER = (
    r"\d+(?:[.,]\d+)*|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|dozen|half|several|single|double)\b"
)
_DATE = (
    r"\b(1\d{3}|20\d{2})s?\b|\b(january|february|march|april|may|june|july|august|september|"
    r"october|november|december|century|decade|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|spring|summer|autumn|winter|today|yesterday|ago|era|age|period)\b"
)
_MONEY = r"[$€£¥]|\b(dollars?|euros?|pounds?|yen|cents?|usd|price|cost|budget|\d+\s*(m|bn))\b"
# A capitalised word that does not start the sentence: a name, a place, a title.
_NAME = r"(?<=[a-z,;:)] )[A-Z][a-z]+|\b[A-Z]{2,}\b"
_HOW_MUCH_MONEY = r"\bhow (much|many)\b.*\b(costs?|pay|paid|spend|spent|worth|price|money)"
_HOW_MUCH = r"\bhow (many|much|long|old|far|big|large|tall|high|often|fast|deep|wide)\b"
_WHAT_NUMBER = r"\b(what|which) (percentage|percent|number|amount|proportion|share)\b"
# "What is his salary", "what was the film's budget": a few words between, no more.
_WHAT_MONEY = (
    r"\b(what|which)\s+(\S+\s+){0,4}(salary|salaries|costs?|price|budget|revenue|profit|"
    r"earnings|income|fee|valuation)\b"
)
# "Which vendor", "what streaming service": a kind of thing with a name. Not "what kind
# of", nor "what did the director say" (an auxiliary verb starts a clause instead).
_WHICH_NAMED = (
    r"\b(which|what)\s+(?!(kinds?|types?|sorts?|is|are|was|were|do|does|did|has|have|had|"
    r"can|could|will|would|should|may|might)\b)(\w+\s+){0,2}(company|companies|vendor|"
    r"studio|firm|service|organi[sz]ation|brand|network|platform|person|actor|"
    r"actress|director|executive|country|city|university|team|name)\b"
)
_WHEN = r"^\s*when\b|\b(what|which) (year|date|day|month|century|decade|time)\b|\bin what year\b"
_WHO = r"^\s*(who|whom|whose)\b|\b(who|whom|whose)\b.*\?$"
_WHERE = r"^\s*where\b|\bin (what|which) (country|city|state|place|region)\b"
# The first question pattern that matches names the answer's pattern.
_EXPECTS: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (re.compile(asked, re.I), re.compile(answer, 0 if answer is _NAME else re.I))
    for asked, answer in [
        (_HOW_MUCH_MONEY, _MONEY + "|" + _NUMBER),
        (_HOW_MUCH, _NUMBER),
        (_WHAT_NUMBER, _NUMBER),
        (_WHEN, _DATE),
        (_WHO, _NAME),
        (_WHERE, _NAME),
        (_WHICH_NAMED, _NAME),
        (_WHAT_MONEY, _MONEY + "|" + _NUMBER),
    ]
]
_NUMERALS = re.compile(r"\d+(?:[.,]\d+)*")
# Capitalised words after the first: names in a question ("Who" starts it).
_CAPITALISED = re.compile(r"(?<=\S )[A-Z][\w-]*")
# "Rather than replacing actors" answers "which roles does it not replace?" too.
_NEGATION = re.compile(
    r"\b(not|never|no|none|neither|nor|without|rather than|instead of|unlike|lack(s|ed|ing)?)\b"
    r"|n't\b",
    re.I,
)
FEATURES = (
    "best_score",
    "margin",
    "best_coverage",
    "passage_coverage",
    "passages_coverage",
    "sentence_missing_rarest",
    "missing_rarest",
    "unseen",
    "number_missing",
    "name_missing",
    "negation_missing",
    "typed",
    "type_missing",
    "top_dense",
    "bm25_share",
    "rankers_agree",
    "best_passage_rank",
)
"""The features, in the order of the vector ``features`` returns."""


def question_terms(question: str) -> list[str]:
    """The distinct terms of ``question``, as BM25 and the answerer tokenize it, but
    for the "many" and "much" of "how many/much" (not stop words there): no answer
    says them."""
    return [t for t in dict.fromkeys(tokenize([question])[0]) if t not in _ASKING]


def idf(held: int, chunks: int) -> float:
    """BM25's idf (rag/retrieve/lexical.py) of a term ``held`` by that many of ``chunks`` chunks."""
    return math.log(1 + (chunks - held + 0.5) / (held + 0.5))


def _coverage(weights: Mapping[str, float], text: str) -> float:
    """The share of the question's idf weight whose terms ``text`` holds."""
    total = sum(weights.values())
    if not total:
        return 0.0
    held = set(tokenize([text])[0])
    return sum(w for t, w in weights.items() if t in held) / total


def _said_missing(pattern: re.Pattern[str], question: str, text: str) -> float:
    """The share of the question's matches of ``pattern`` (numbers, names) that ``text``
    does not hold: "in 2024" or "the Franks" where the passage says 2023 or the Normans."""
    said = {m.group().lower() for m in pattern.finditer(question)}
    if not said:
        return 0.0
    held = {m.group().lower() for m in pattern.finditer(text)}
    return len(said - held) / len(said)


def expected_type(question: str) -> re.Pattern[str] | None:
    """The pattern an answer to ``question`` must match, or None when it names no type."""
    return next((answer for asked, answer in _EXPECTS if asked.search(question)), None)


def holds_type(question: str, pattern: re.Pattern[str], text: str) -> bool:
    """Whether ``text`` holds a match of ``pattern`` that the question does not already
    say: the answer to "who directed The Eternaut?" is a name other than Eternaut's."""
    said = set(re.findall(r"\w+", question.lower()))
    return any(
        not set(re.findall(r"\w+", m.group().lower())) <= said for m in pattern.finditer(text)
    )


def features(
    question: str,
    passages: Sequence[Passage],
    ranked: Sequence[Citation],
    held: Mapping[str, int],
    chunks: int,
) -> np.ndarray:
    """The gate's feature vector (``FEATURES``, in that order).

    Args:
        question: as asked (for a follow-up, the question made to stand alone).
        passages: the retrieved passages, best first.
        ranked: the answerer's scored sentences, best first (``ExtractiveAnswerer.ranked``).
        held: for each of ``question_terms(question)``, how many chunks hold it
            (``Bm25.document_frequencies``); a missing term counts as held by none.
        chunks: how many chunks the collection has.

    Returns:
        best_score and margin (over the next sentence); the idf-weighted share of
        the question's terms held by the best sentence, by its passage and by all
        passages; the idf of the rarest question term its passage lacks and the
        share of idf weight no chunk holds, both as a share of the idf of a term no
        chunk holds; typed (the question asks for a number, date or name) and
        type_missing (the best sentence holds none); the first passage's dense
        score, its BM25 score as a share of the most the question's terms can earn,
        whether dense and BM25 agree on it, and the best sentence's passage rank
        (0 first, 1 last).
    """
    terms = question_terms(question)
    ceiling = idf(0, max(chunks, 1))
    weights = {t: idf(held.get(t, 0), max(chunks, 1)) for t in terms}
    best = ranked[0] if ranked else None
    scores = [c.score for c in ranked[:2]] + [0.0, 0.0]
    quote = best.quote if best else ""
    home = best.passage_in(passages) if best else None
    home_text = home.chunk.text if home else ""
    in_quote, in_home = set(tokenize([quote])[0]), set(tokenize([home_text])[0])
    unseen = sum(w for t, w in weights.items() if not held.get(t, 0))
    asked = expected_type(question)
    first = passages[0] if passages else None
    most_bm25 = sum(w for t, w in weights.items() if held.get(t, 0))
    dense_best = max(passages, key=lambda p: p.dense_score or -1.0, default=None)
    bm25_best = max(passages, key=lambda p: p.bm25_score or -1.0, default=None)
    rank = next((n for n, p in enumerate(passages) if p is home), len(passages))
    vector = [
        scores[0],
        scores[0] - scores[1],
        _coverage(weights, quote),
        _coverage(weights, home_text),
        _coverage(weights, " ".join(p.chunk.text for p in passages)),
        max((w for t, w in weights.items() if t not in in_quote), default=0.0) / ceiling,
        max((w for t, w in weights.items() if t not in in_home), default=0.0) / ceiling,
        unseen / sum(weights.values()) if weights else 0.0,
        _said_missing(_NUMERALS, question, home_text),
        _said_missing(_CAPITALISED, question, home_text),
        float(bool(_NEGATION.search(question)) and not _NEGATION.search(quote)),
        float(asked is not None),
        float(asked is not None and not holds_type(question, asked, quote)),
        (first.dense_score or 0.0) if first else 0.0,
        (first.bm25_score or 0.0) / most_bm25 if first and most_bm25 else 0.0,
        float(first is not None and first is dense_best and first is bm25_best),
        rank / max(len(passages) - 1, 1),
    ]
    return np.array(vector, dtype=np.float64)


@dataclass(frozen=True)
class Logistic:
    """A logistic model over standardised features: what rag/gate.json stores and
    ``rag eval tune-gate`` fits (evals/gate_fit.py), so that what is trained is what runs."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coefficients: np.ndarray
    intercept: float

    def probability(self, x: np.ndarray) -> np.ndarray:
        """P(answerable) for each row of ``x`` (its columns: ``names``, in that order)."""
        z = (x - self.mean) / self.scale
        with np.errstate(over="ignore"):  # a logit below -709: exp overflows, P is 0
            return 1 / (1 + np.exp(-(z @ self.coefficients + self.intercept)))

    def dump(self) -> dict[str, Any]:
        """The JSON form ``load`` reads (the "model" of rag/gate.json)."""
        return {
            "kind": "logistic regression on standardised features",
            "features": list(self.names),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "coefficients": [round(float(v), 6) for v in self.coefficients],
            "intercept": round(self.intercept, 6),
        }

    @classmethod
    def load(cls, saved: Mapping[str, Any]) -> Self:
        """The model ``dump`` wrote."""
        return cls(
            names=tuple(saved["features"]),
            mean=np.array(saved["mean"], dtype=np.float64),
            scale=np.array(saved["scale"], dtype=np.float64),
            coefficients=np.array(saved["coefficients"], dtype=np.float64),
            intercept=float(saved["intercept"]),
        )


@dataclass(frozen=True)
class Gate:
    """The logistic model over ``features`` with its operating threshold."""

    model: Logistic
    threshold: float
    provenance: Mapping[str, Any]

    @classmethod
    def load(cls, path: Path = GATE_PATH) -> Self:
        """The gate saved at ``path`` by ``rag eval tune-gate``."""
        saved = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            model=Logistic.load(saved["model"]),
            threshold=float(saved["threshold"]),
            provenance=saved.get("provenance", {}),
        )

    @property
    def names(self) -> tuple[str, ...]:
        """The features the gate uses, in its order."""
        return self.model.names

    def select(self, vector: np.ndarray) -> np.ndarray:
        """The entries of a full ``features`` vector that this gate uses, in its order."""
        return vector[[FEATURES.index(name) for name in self.names]]

    def probability(self, vector: np.ndarray) -> float:
        """The probability that the passages answer the question, from a full
        ``features`` vector."""
        return float(self.model.probability(self.select(vector)[np.newaxis])[0])

    def answers(self, vector: np.ndarray) -> bool:
        """Whether the gate lets the answer through (probability at the threshold or above)."""
        return self.probability(vector) >= self.threshold


def declined(
    best: ArrayLike, probability: ArrayLike, abstain_below: float, answerable_at: float
) -> np.ndarray:
    """The rule by which a question is declined, for one question or rows of them (the
    chain and the gate's trainer, evals/gate_fit.py, apply this one definition): its
    best sentence scores below ``abstain_below`` (off-topic), or the gate's probability
    that the passages answer it is below ``answerable_at``.

    Args:
        best: the best sentence's score (-inf: no sentence at all).
        probability: the gate's probability (+inf: no gate applies).
        abstain_below: the best-sentence floor (``Settings.abstain_below``).
        answerable_at: the gate's threshold (``Settings.answerable_at``).

    Returns:
        Whether each is declined (an array of the shape of ``best``).
    """
    return np.asarray(np.less(best, abstain_below) | np.less(probability, answerable_at))
