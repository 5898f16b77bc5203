"""The gate's evidence: dev-split figures beside today's threshold, the ablation,
the trade-off curve (PNG) and the Markdown report (docs/gate.md)."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evals import metrics
from evals.gate_data import Evidence
from evals.gate_fit import (
    GROUPS,
    THRESHOLDS,
    Fitted,
    Table,
    auc,
    choose_threshold,
    figures,
    fit,
    out_of_fold,
)
from evals.markdown import entries_table
from evals.tune import MAX_FALSE_ABSTENTION
from rag.answer.answerability import FEATURES
from rag.answer.extractive import selected


def answer_text(evidence: Evidence, floor: float, max_sentences: int) -> str:
    """The extractive answer's quotes: the best sentences within the follower margin
    of the first, none below ``floor`` (rag/answer/extractive.py's selection)."""
    return " ".join(c.quote for c in selected(evidence.ranked, floor, max_sentences))


def answer_recall(
    evidence: Sequence[Evidence], abstained: np.ndarray, floor: float, most: int
) -> float:
    """Share of answerable rows with short answers whose answer (not abstained) holds one."""
    scored = [
        0.0 if declined else metrics.answer_recall(answer_text(e, floor, most), e.row.answers)
        for e, declined in zip(evidence, abstained, strict=True)
        if e.row.answerable and e.row.answers
    ]
    return sum(scored) / len(scored) if scored else float("nan")


def compare(
    table: Table, probability: np.ndarray, threshold: float, abstain_below: float, most: int
) -> list[dict[str, Any]]:
    """Per set: today's threshold on the best sentence, the gate, and both together.

    Under the gate alone the answer keeps the answerer's selection without the floor;
    under "gate or threshold", as the chain runs, a question is declined when either
    declines it (no one score ranks that rule: its ROC AUC is NaN)."""
    best = table.columns(["best_score"])[:, 0]
    today = best < abstain_below
    gate = probability < threshold
    both = table.declined(probability, threshold, abstain_below)
    rows = []
    for name in dict.fromkeys(table.sets):
        at = table.sets == name
        evidence = [e for e, here in zip(table.evidence, at, strict=True) if here]
        for decider, abstained, score, floor in [
            (f"today: best sentence < {abstain_below}", today, best, abstain_below),
            (f"gate: P(answerable) < {threshold}", gate, probability, -1.0),
            ("gate or today's threshold", both, None, abstain_below),
        ]:
            rows.append(
                {
                    "set": name,
                    "decider": decider,
                    "questions": int(at.sum()),
                    "unanswerable": int((~table.y[at]).sum()),
                    **figures(table.y[at], abstained[at]),
                    "roc_auc": float("nan") if score is None else auc(table.y[at], score[at]),
                    "answer_recall": answer_recall(evidence, abstained[at], floor, most),
                }
            )
    return rows


def ablation(tune: Table, dev: Table, chosen: Fitted, floor: float) -> list[dict[str, Any]]:
    """Every feature group removed, then each alone: out-of-fold on tune (threshold
    chosen there by the same rule) and on dev (model refitted on all tune rows);
    declined as the chain declines (``Table.declined``)."""
    variants: list[tuple[str, tuple[str, ...]]] = [("all features", FEATURES)]
    for group, names in GROUPS.items():
        variants.append((f"without {group}", tuple(n for n in FEATURES if n not in names)))
    variants += [(f"only {group}", names) for group, names in GROUPS.items()]
    table = []
    for label, names in variants:
        cv = out_of_fold(tune, names, chosen.c, chosen.balance)
        threshold, score = choose_threshold(tune, cv, floor)
        model = fit(tune.columns(names), tune.y, names, chosen.c, tune.weights(chosen.balance))
        held = model.probability(dev.columns(names))
        entry: dict[str, Any] = {"features": label, "tune_cv_mean_f1": score}
        for split, data, probability in (("tune_cv", tune, cv), ("dev", dev, held)):
            for name in ("seeds", "squad"):
                at = data.sets == name
                if not at.any():
                    continue
                declined = data.declined(probability, threshold, floor)
                found = figures(data.y[at], declined[at])
                entry[f"{split}_{name}_auc"] = auc(data.y[at], probability[at])
                entry[f"{split}_{name}_f1"] = found["abstention_f1"]
        table.append(entry)
    return table


def curve(
    table: Table, probability: np.ndarray, threshold: float, abstain_below: float, most: int
) -> dict[str, list[dict[str, float]]]:
    """Per set with answerable and unanswerable rows: answer recall and abstention
    precision/recall at every threshold of ``THRESHOLDS``, declined as the chain
    declines."""
    found: dict[str, list[dict[str, float]]] = {}
    for name in dict.fromkeys(table.sets):
        at = table.sets == name
        if table.y[at].all() or not table.y[at].any():
            continue
        evidence = [e for e, here in zip(table.evidence, at, strict=True) if here]
        found[name] = []
        for t in THRESHOLDS:
            declined = table.declined(probability, float(t), abstain_below)[at]
            found[name].append(
                {
                    "threshold": float(t),
                    **figures(table.y[at], declined),
                    "answer_recall": answer_recall(evidence, declined, abstain_below, most),
                }
            )
    return found


def plot(
    points: dict[str, list[dict[str, float]]],
    threshold: float,
    today: Sequence[dict[str, Any]],
    path: Path,
) -> None:
    """Answer recall and abstention precision against abstention recall as the gate's
    threshold moves: its default marked by a dot, today's threshold (``compare`` rows)
    by a cross."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    for name, rows in points.items():
        recall = [r["abstention_recall"] for r in rows]
        (line,) = left.plot(recall, [r["answer_recall"] for r in rows], label=f"{name} (dev)")
        right.plot(recall, [r["abstention_precision"] for r in rows], color=line.get_color())
        chosen = min(rows, key=lambda r: abs(r["threshold"] - threshold))
        before = next(r for r in today if r["set"] == name and r["decider"].startswith("today"))
        for axis, key in ((left, "answer_recall"), (right, "abstention_precision")):
            axis.plot(chosen["abstention_recall"], chosen[key], "o", color=line.get_color())
            axis.plot(before["abstention_recall"], before[key], "x", color=line.get_color())
    left.set(xlabel="abstention recall (unanswerable declined)", ylabel="answer recall")
    right.set(xlabel="abstention recall", ylabel="abstention precision")
    left.set_title(
        f"moving the gate's threshold (dot: default {threshold}; cross: today)", fontsize=10
    )
    left.legend()
    for axis in (left, right):
        axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def markdown(gate: dict[str, Any], evidence: dict[str, Any], png: str) -> str:
    """docs/gate.md: the gate, how it was chosen, the dev figures, ablation and curve."""
    model, provenance = gate["model"], gate["provenance"]
    weights = [
        {"feature": n, "mean": m, "scale": s, "coefficient": c}
        for n, m, s, c in zip(
            model["features"], model["mean"], model["scale"], model["coefficients"], strict=True
        )
    ]
    return "\n".join(
        [
            "# Answerability gate (rag/gate.json)",
            "",
            f"Written by `{provenance['command']}` on {provenance['date']}. The model, its",
            "regularisation and its threshold were chosen on the tune splits only",
            f"(questions: {provenance['questions']}; unanswerable: {provenance['unanswerable']});",
            "the dev-split figures were computed afterwards, for this report (the seeds",
            "suite is a smoke suite: its few dev questions are shown, not a target).",
            "",
            f"Threshold: **{gate['threshold']}** (declined below).",
            f"Rule: {gate['training']['rule']}.",
            "",
            "Features: rag/answer/answerability.py (``features``); weights below.",
            "",
            "## Dev splits, beside today's threshold",
            "",
            *entries_table(evidence["dev"]),
            "",
            "## Trade-off (dev splits)",
            "",
            f"![answer recall and abstention precision as the threshold moves]({png})",
            "",
            "## Ablation (ROC AUC and abstention F1; each variant's threshold chosen on tune)",
            "",
            *entries_table(evidence["ablation"]),
            "",
            "## Tune split, out of fold, beside today's threshold",
            "",
            *entries_table(evidence["tune"]),
            "",
            "## Model selection (out of fold on tune; grouped by document)",
            "",
            *entries_table(evidence["selection"]),
            "",
            f"## Weights (logistic regression; false abstention cap {MAX_FALSE_ABSTENTION})",
            "",
            *entries_table(weights),
            f"| intercept | | | {model['intercept']} |",
            "",
        ]
    )
