"""Training the answerability gate: on small feature tables worked out by hand."""

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from evals.gate_data import Evidence
from evals.gate_fit import Table, choose_threshold, figures, select
from evals.gate_report import answer_recall
from evals.suite import SuiteRow
from evals.train_gate import write
from rag.answer.answerability import FEATURES, Gate
from rag.errors import RagError
from rag.schema import Chunk, Citation, Passage


def _table(sets: list[str], x: np.ndarray, y: list[bool]) -> Table:
    full = np.zeros((len(y), len(FEATURES)))
    full[:, : x.shape[1]] = x
    groups = np.array([f"doc{n}" for n in range(len(y))])
    return Table([], np.array(sets), full, np.array(y), groups)


def test_the_threshold_keeps_false_abstention_under_the_cap_on_every_set() -> None:
    # Set "a": 20 answerable rows at P = 0.9 but one at 0.3; 5 unanswerable at 0.2..0.6.
    # Declining below 0.65 would catch all 5 but also the answerable row at 0.3 (1/20 =
    # 0.05: allowed). Set "b": 10 answerable rows, one at 0.25 (1/10 = 0.1: not allowed),
    # so no threshold above 0.25 is; at 0.25 "a" declines 0.2 only: F1 = 2/6.
    answerable_a = [0.9] * 19 + [0.3]
    unanswerable_a = [0.2, 0.3, 0.4, 0.5, 0.6]
    answerable_b = [0.9] * 9 + [0.25]
    probability = np.array(answerable_a + unanswerable_a + answerable_b)
    y = [True] * 20 + [False] * 5 + [True] * 10
    sets = ["a"] * 25 + ["b"] * 10
    table = _table(sets, probability[:, None], y)
    threshold, score = choose_threshold(table, probability, floor=-1.0)
    assert threshold == 0.205  # the lowest threshold that declines the row at 0.2
    assert score == pytest.approx(2 / 6)
    declined = probability < threshold
    for name in ("a", "b"):
        at = table.sets == name
        assert figures(table.y[at], declined[at])["false_abstention"] <= 0.05


def test_the_cap_counts_the_questions_the_sentence_floor_declines_too() -> None:
    # The chain declines below the gate's threshold OR below the best-sentence floor
    # (abstain_below), so the cap holds for both together. 20 answerable rows: one's
    # best sentence (0.2) is under the floor 0.27, so the floor alone declines 1/20; the
    # gate at 0.35 would decline another answerable row (P = 0.3): 2/20 = 0.1, too many.
    # The 4 unanswerable rows sit at P = 0.1, 0.2 (caught below 0.25) and 0.3, 0.4.
    probability = np.array([0.9] * 18 + [0.3, 0.9] + [0.1, 0.2, 0.3, 0.4])
    best = np.array([0.6] * 19 + [0.2] + [0.6] * 4)
    y = [True] * 20 + [False] * 4
    table = _table(["a"] * 24, np.column_stack([best]), y)
    alone, _ = choose_threshold(table, probability, floor=-1.0)
    assert alone == 0.405  # with no floor, declining the answerable row at 0.3 is allowed
    threshold, score = choose_threshold(table, probability, floor=0.27)
    assert threshold == 0.205
    declined = (probability < threshold) | (best < 0.27)
    assert figures(table.y, declined)["false_abstention"] == 0.05
    assert score == pytest.approx(figures(table.y, declined)["abstention_f1"])


def test_no_threshold_when_the_floor_alone_declines_too_many_is_an_error() -> None:
    # The floor declines 2 of 20 answerable rows (0.1 > 0.05): no threshold can help.
    probability = np.array([0.9] * 20 + [0.1])
    best = np.array([0.1, 0.1] + [0.6] * 19)
    table = _table(["a"] * 21, np.column_stack([best]), [True] * 20 + [False])
    with pytest.raises(RagError, match=r"abstain_below 0\.27 alone declines more"):
        choose_threshold(table, probability, floor=0.27)


def test_a_gate_trained_on_separable_rows_separates_them(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 200
    y = rng.random(n) < 0.6
    # best_score: answerable around 0.7, unanswerable around 0.3; margin is noise.
    x = np.column_stack([np.where(y, 0.7, 0.3) + rng.normal(0, 0.05, n), rng.random(n)])
    sets = ["squad"] * 150 + ["seeds"] * 50
    table = _table(sets, x, list(y))
    chosen, selection = select(table, -1.0, ("best_score", "margin"))
    assert len(selection) == 13  # 3 balances x 4 regularisations, and boosted trees
    probability = chosen.model.probability(table.columns(chosen.model.names))
    assert probability[y].min() > probability[~y].max()
    assert chosen.model.coefficients[0] > 0
    assert figures(table.y, chosen.cv_probability < chosen.threshold)["abstention_f1"] == 1.0
    gate = chosen.dump({"split": "tune", "command": "test"})
    write(gate, {}, tmp_path / "gate.json", None)
    loaded = Gate.load(tmp_path / "gate.json")
    vector = np.zeros(len(FEATURES))
    vector[FEATURES.index("best_score")] = 0.3
    assert not loaded.answers(vector)
    vector[FEATURES.index("best_score")] = 0.7
    assert loaded.answers(vector)
    assert json.loads((tmp_path / "gate.json").read_text())["provenance"]["split"] == "tune"


def _evidence(answers: list[str], quotes: list[tuple[str, float]]) -> Evidence:
    text = " ".join(q for q, _ in quotes)
    chunk = Chunk(
        id="c",
        text=text,
        source="a.txt",
        path="/a.txt",
        title="a",
        section="",
        start=0,
        end=len(text),
    )
    ranked, at = [], 0
    for quote, score in quotes:
        ranked.append(Citation.quoting(chunk, at, at + len(quote), score=score))
        at += len(quote) + 1
    row = SuiteRow(id="r", question="Who?", answers=answers, answerable=bool(answers))
    return Evidence(row, [Passage(chunk=chunk, score=1.0)], ranked, {}, 1)


def test_answer_recall_counts_followers_within_the_margin_and_abstentions_as_misses() -> None:
    # The gold answer is in the second sentence, 0.05 behind the first: quoted.
    near = _evidence(["Stagnaro"], [("It is a series.", 0.6), ("Stagnaro made it.", 0.55)])
    # Here it is 0.2 behind: the answer quotes the first sentence only.
    far = _evidence(["Stagnaro"], [("It is a series.", 0.6), ("Stagnaro made it.", 0.4)])
    assert answer_recall([near, far], np.array([False, False]), -1.0, 3) == 0.5
    assert answer_recall([near, far], np.array([True, False]), -1.0, 3) == 0.0
    assert Evidence.parse(near.dump()) == near


def test_tune_gate_names_a_missing_data_file_in_one_line() -> None:
    result = CliRunner().invoke(app, ["eval", "tune-gate", "--squad", "missing.json"])
    assert result.exit_code == 2
    assert "missing.json not found" in result.output
