"""Learning the answerability gate from tune-split feature rows.

A logistic regression (scikit-learn) over standardised features: a few weights that
numpy evaluates at run time. The model (``Logistic``) and the rule that declines a
question (``declined``) are the library's own (rag/answer/answerability.py): what is
trained is what runs. Cross-validation on the tune rows, grouped by document so that
no fold shares an article, picks the regularisation and gives the out-of-fold
probabilities the threshold is chosen on: the best mean abstention F1 over the sets
among thresholds whose false abstention, counting the questions ``abstain_below``
declines as the chain does, is at most MAX_FALSE_ABSTENTION on every set. Test rows
are read only afterwards, for the report."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

from evals import metrics
from evals.gate_data import Evidence
from evals.tune import MAX_FALSE_ABSTENTION
from rag.answer.answerability import FEATURES, Logistic, declined
from rag.errors import RagError

THRESHOLDS = np.round(np.arange(0, 1.0001, 0.005), 3)
C_VALUES = (0.01, 0.1, 1.0, 10.0)
# Row weights: 0 every row alike, 1 every set alike (Table.weights).
BALANCES = (0.0, 0.5, 1.0)
FOLDS = 5
GROUPS: dict[str, tuple[str, ...]] = {
    "sentence score": ("best_score", "margin"),
    "idf coverage": ("best_coverage", "passage_coverage", "passages_coverage"),
    "rare terms missing": ("sentence_missing_rarest", "missing_rarest", "unseen"),
    "numbers, names, negation missing": ("number_missing", "name_missing", "negation_missing"),
    "question type": ("typed", "type_missing"),
    "retrieval scores": ("top_dense", "bm25_share"),
    "ranker agreement": ("rankers_agree", "best_passage_rank"),
}


@dataclass
class Table:
    """Feature rows of one or several sets: X, whether answerable, set and document."""

    evidence: list[Evidence]
    sets: np.ndarray
    x: np.ndarray
    y: np.ndarray
    groups: np.ndarray

    @classmethod
    def of(cls, by_set: dict[str, list[Evidence]]) -> "Table":
        """All rows of ``by_set``, in order."""
        evidence = [e for found in by_set.values() for e in found]
        return cls(
            evidence,
            np.array([name for name, found in by_set.items() for _ in found]),
            np.array([e.vector() for e in evidence]).reshape(-1, len(FEATURES)),
            np.array([e.row.answerable for e in evidence], dtype=bool),
            np.array([f"{e.row.source or e.row.id}" for e in evidence]),
        )

    def weights(self, balance: float) -> np.ndarray:
        """Row weights: 1 each at ``balance`` 0; at 1 every set weighs as much as the
        largest (the seeds suite's few rows count as much as SQuAD's thousands)."""
        sizes = {s: int((self.sets == s).sum()) for s in np.unique(self.sets)}
        largest = max(sizes.values())
        return np.array([(largest / sizes[s]) ** balance for s in self.sets])

    def columns(self, names: Sequence[str]) -> np.ndarray:
        """The columns of features ``names``."""
        return self.x[:, [FEATURES.index(n) for n in names]]

    def declined(self, probability: np.ndarray, threshold: float, floor: float) -> np.ndarray:
        """The rows the chain declines: P(answerable) below ``threshold``, or a best
        sentence below ``floor`` (``abstain_below``)."""
        return declined(self.columns(["best_score"])[:, 0], probability, floor, threshold)


def fit(
    x: np.ndarray, y: np.ndarray, names: Sequence[str], c: float, weights: np.ndarray
) -> Logistic:
    """A logistic regression of ``y`` (answerable) on standardised ``x``, rows weighted."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit((x - mean) / scale, y, sample_weight=weights)
    return Logistic(tuple(names), mean, scale, model.coef_[0], float(model.intercept_[0]))


def out_of_fold(table: Table, names: Sequence[str], c: float, balance: float) -> np.ndarray:
    """Each tune row's probability from a model fitted on the folds without its document."""
    x, probabilities = table.columns(names), np.zeros(len(table.y))
    weights = table.weights(balance)
    for train, held in GroupKFold(FOLDS).split(x, table.y, table.groups):
        model = fit(x[train], table.y[train], names, c, weights[train])
        probabilities[held] = model.probability(x[held])
    return probabilities


def figures(answerable: np.ndarray, abstained: np.ndarray) -> dict[str, float]:
    """Abstention precision, recall, F1 and false-abstention rate."""
    found = metrics.abstention(list(answerable), list(abstained))
    refused = int(abstained.sum())
    correct = int((abstained & ~answerable).sum())
    return {
        "abstention_precision": correct / refused if refused else float("nan"),
        "abstention_recall": found["abstain_rate"],
        "abstention_f1": found["abstention_f1"],
        "false_abstention": found["false_abstention_rate"],
    }


def auc(answerable: np.ndarray, probability: np.ndarray) -> float:
    """ROC AUC of ``probability`` for answerable rows (NaN with one class only)."""
    return (
        float(roc_auc_score(answerable, probability))
        if 0 < answerable.sum() < len(answerable)
        else float("nan")
    )


def choose_threshold(table: Table, probability: np.ndarray, floor: float) -> tuple[float, float]:
    """The threshold with the best mean abstention F1 over the sets that have
    unanswerable rows, among those whose false abstention is at most
    MAX_FALSE_ABSTENTION on every set (ties: the lowest); with that mean F1.

    A question is declined as the chain declines it: below the threshold, or with a
    best sentence below ``floor`` (``abstain_below``). The mean over sets, not the F1
    of the pooled rows: pooled, SQuAD's thousands of rows would decide alone and the
    seeds suite's few would not count.
    """
    names = list(np.unique(table.sets))
    scored = [n for n in names if not table.y[table.sets == n].all()]
    best, chosen = -1.0, 0.0
    for threshold in THRESHOLDS:
        abstained = table.declined(probability, float(threshold), floor)
        per_set = {n: figures(table.y[table.sets == n], abstained[table.sets == n]) for n in names}
        if any(f["false_abstention"] > MAX_FALSE_ABSTENTION for f in per_set.values()):
            continue
        score = float(np.mean([per_set[n]["abstention_f1"] for n in scored]))
        if score > best:
            best, chosen = score, float(threshold)
    if best < 0:
        raise RagError(
            f"no gate threshold keeps false abstention within {MAX_FALSE_ABSTENTION} on "
            f"every tune set: abstain_below {floor} alone declines more"
        )
    return chosen, best


@dataclass
class Fitted:
    """The chosen gate: its model, threshold and what cross-validation said of it."""

    model: Logistic
    threshold: float
    c: float
    balance: float
    cv_probability: np.ndarray
    cv_score: float

    def dump(self, provenance: dict[str, Any]) -> dict[str, Any]:
        """The JSON of rag/gate.json, with what trained it."""
        return {
            "model": self.model.dump(),
            "threshold": self.threshold,
            "training": {
                "C": self.c,
                "set_balance": self.balance,
                "rule": f"best mean abstention F1 over the sets with unanswerable rows, out of "
                f"fold, false abstention <= {MAX_FALSE_ABSTENTION} on every set, counting "
                "the questions the best-sentence floor declines",
                "cv_mean_abstention_f1": round(self.cv_score, 4),
            },
            "provenance": provenance,
        }


def select(
    table: Table, floor: float, names: Sequence[str] = FEATURES
) -> tuple[Fitted, list[dict[str, Any]]]:
    """Regularisation and set balance by the out-of-fold tune criterion (ties: the
    better pooled ROC AUC), the threshold by ``choose_threshold``, the model refitted
    on every tune row; with the table of every candidate."""
    candidates = []
    for balance in BALANCES:
        for c in C_VALUES:
            probability = out_of_fold(table, names, c, balance)
            threshold, score = choose_threshold(table, probability, floor)
            candidates.append(
                (score, auc(table.y, probability), c, balance, threshold, probability)
            )
    score, _, c, balance, threshold, probability = max(candidates, key=lambda e: (e[0], e[1]))
    model = fit(table.columns(names), table.y, names, c, table.weights(balance))
    evidence = [
        {
            "model": "logistic regression",
            "set_balance": b,
            "C": cc,
            "cv_roc_auc": a,
            "threshold": t,
            "cv_mean_abstention_f1": s,
        }
        for s, a, cc, b, t, _ in candidates
    ]
    evidence.append(boosted(table, floor, names))
    return Fitted(model, threshold, c, balance, probability, score), evidence


def boosted(table: Table, floor: float, names: Sequence[str] = FEATURES) -> dict[str, Any]:
    """Gradient-boosted trees under the same folds and rule, for comparison only: a
    logistic model ships as a few numbers numpy evaluates; trees would need more."""
    x, probability = table.columns(names), np.zeros(len(table.y))
    for train, held in GroupKFold(FOLDS).split(x, table.y, table.groups):
        trees = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, random_state=0)
        probability[held] = trees.fit(x[train], table.y[train]).predict_proba(x[held])[:, 1]
    threshold, score = choose_threshold(table, probability, floor)
    return {
        "model": "gradient-boosted trees (comparison)",
        "set_balance": 0.0,
        "C": "-",
        "cv_roc_auc": auc(table.y, probability),
        "threshold": threshold,
        "cv_mean_abstention_f1": score,
    }
