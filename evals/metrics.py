"""Metrics, each defined in evals/README.md; none needs an LLM judge.

Text matching follows the official SQuAD 2.0 evaluation (lower case, strip
punctuation and the articles a/an/the, collapse white space), with curly and
straight quotes made equal first.
"""

import re
import string
from collections import Counter
from collections.abc import Sequence

import numpy as np

QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation or articles, single spaces."""
    text = text.translate(QUOTES).lower().translate(_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals a gold answer (or both are empty)."""
    if not golds:
        return float(not normalize(prediction))
    return float(any(normalize(prediction) == normalize(g) for g in golds))


def _f1(prediction: str, gold: str) -> float:
    predicted, expected = normalize(prediction).split(), normalize(gold).split()
    if not predicted or not expected:
        return float(predicted == expected)
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """SQuAD token F1, the best over the gold answers (no golds: 1.0 only if empty)."""
    if not golds:
        return float(not normalize(prediction))
    return max(_f1(prediction, gold) for gold in golds)


def answer_recall(prediction: str, golds: Sequence[str]) -> float:
    """1.0 when a gold answer's normalised tokens occur as a contiguous run of the
    normalised prediction's tokens (so "2" does not match inside "20")."""
    predicted = normalize(prediction).split()
    for gold in golds:
        expected = normalize(gold).split()
        n = len(expected)
        if n and any(predicted[i : i + n] == expected for i in range(len(predicted) - n + 1)):
            return 1.0
    return 0.0


def hit_at(rank: int | None, k: int) -> float:
    """1.0 when a relevant passage is among the first ``k``."""
    return float(rank is not None and rank <= k)


def reciprocal_rank(rank: int | None, k: int = 10) -> float:
    """1/rank of the first relevant passage within ``k``, else 0."""
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def f1_score(true_positives: int, false_positives: int, false_negatives: int) -> float:
    """Harmonic mean of precision and recall (0 when undefined)."""
    denominator = 2 * true_positives + false_positives + false_negatives
    return 2 * true_positives / denominator if denominator else 0.0


def abstention(answerable: Sequence[bool], abstained: Sequence[bool]) -> dict[str, float]:
    """Abstention treated as the positive class of a classifier.

    Returns:
        ``abstain_rate`` (recall on unanswerable rows), ``false_abstention_rate``
        (share of answerable rows abstained on) and ``abstention_f1``.
    """
    pairs = list(zip(answerable, abstained, strict=True))
    true_pos = sum(1 for a, x in pairs if not a and x)
    false_pos = sum(1 for a, x in pairs if a and x)
    false_neg = sum(1 for a, x in pairs if not a and not x)
    unanswerable, answerable_count = true_pos + false_neg, len(pairs) - true_pos - false_neg
    return {
        "abstain_rate": true_pos / unanswerable if unanswerable else float("nan"),
        "false_abstention_rate": false_pos / answerable_count if answerable_count else float("nan"),
        "abstention_f1": f1_score(true_pos, false_pos, false_neg) if unanswerable else float("nan"),
    }


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (linear interpolation), NaN for no values."""
    return float(np.percentile(values, q)) if len(values) else float("nan")
