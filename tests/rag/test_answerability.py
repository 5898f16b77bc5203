"""The answerability gate's features and its committed model, on hand-worked examples."""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from rag.answer.answerability import FEATURES, GATE_PATH, Gate, features, idf, question_terms
from rag.retrieve.lexical import Bm25
from rag.schema import Chunk, Citation, Passage

QUESTION = "How many dolphins live in Lisbon?"
# 10 chunks; "dolphin" held by 1, "lisbon" by 4, "live" by 9.
HELD = {"dolphin": 1, "lisbon": 4, "live": 9}


def _chunk(text: str, start: int = 0) -> Chunk:
    return Chunk(
        id=f"c{start}",
        text=text,
        source="a.txt",
        path="/a.txt",
        title="a",
        section="",
        start=start,
        end=start + len(text),
    )


def _evidence(
    sentence: str, rest: str = " Boats leave the harbour at dawn."
) -> tuple[list[Passage], list[Citation]]:
    chunk = _chunk(sentence + rest)
    passage = Passage(chunk=chunk, score=0.9, dense_score=0.6, bm25_score=None)
    ranked = [
        Citation.quoting(chunk, 0, len(sentence), score=0.7),
        Citation.quoting(chunk, len(sentence) + 1, len(chunk.text), score=0.4),
    ]
    return [passage], ranked


def _feature(vector: np.ndarray, name: str) -> float:
    return float(vector[FEATURES.index(name)])


def test_how_many_does_not_count_as_a_term_of_the_question() -> None:
    assert question_terms(QUESTION) == ["dolphin", "live", "lisbon"]


def test_coverage_weighs_each_question_term_by_its_idf() -> None:
    # idf(h, 10) = ln(1 + (10 - h + 0.5) / (h + 0.5)): dolphin ln(7.3333) = 1.99243,
    # lisbon ln(2.4444) = 0.89382, live ln(1.15789) = 0.14660. The best sentence
    # holds "dolphin" only: 1.99243 / 3.03285 = 0.65695.
    passages, ranked = _evidence("Seven dolphins swim near the coast.")
    vector = features(QUESTION, passages, ranked, HELD, 10)
    assert _feature(vector, "best_coverage") == pytest.approx(0.65695, abs=1e-4)
    assert _feature(vector, "best_score") == pytest.approx(0.7)
    assert _feature(vector, "margin") == pytest.approx(0.3)
    # The passage lacks "lisbon" too; its idf over that of a term no chunk holds
    # (ln(1 + 10.5 / 0.5) = ln 22 = 3.09104): 0.89382 / 3.09104 = 0.28917.
    assert _feature(vector, "missing_rarest") == pytest.approx(0.28917, abs=1e-4)
    assert _feature(vector, "unseen") == 0.0
    assert idf(0, 10) == pytest.approx(math.log(22))


def test_a_term_no_chunk_holds_counts_as_unseen() -> None:
    passages, ranked = _evidence("Seven dolphins swim near the coast.")
    vector = features(QUESTION, passages, ranked, {"dolphin": 1, "live": 9}, 10)
    # lisbon now has idf ln 22 = 3.09104: unseen = 3.09104 / (1.99243 + 0.14660 + 3.09104).
    assert _feature(vector, "unseen") == pytest.approx(3.09104 / 5.23007, abs=1e-4)
    assert _feature(vector, "missing_rarest") == pytest.approx(1.0)


def test_a_how_many_question_whose_best_sentence_holds_no_number_misses_its_type() -> None:
    vague = features(QUESTION, *_evidence("Dolphins are often seen off Lisbon."), HELD, 10)
    counted = features(QUESTION, *_evidence("Seven dolphins live in Lisbon."), HELD, 10)
    assert _feature(vague, "typed") == _feature(counted, "typed") == 1.0
    assert _feature(vague, "type_missing") == 1.0
    assert _feature(counted, "type_missing") == 0.0


def test_a_name_the_question_already_says_does_not_answer_who() -> None:
    question = "Who directed The Eternaut?"
    held = {"direct": 3, "eternaut": 2}
    echoed = features(
        question, *_evidence("In the series Eternaut the effects were new."), held, 10
    )
    named = features(question, *_evidence("It was directed by Bruno Stagnaro."), held, 10)
    assert _feature(echoed, "type_missing") == 1.0
    assert _feature(named, "type_missing") == 0.0


@pytest.mark.parametrize(
    ("question", "vague", "holding"),
    [
        (
            "Which AI vendor supplied the de-aging tools?",
            "The AI tools de-aged the characters.",
            "The tools came from Metaphysic, a start-up.",
        ),
        (
            "What is Greg Peters' annual salary?",
            "Greg Peters leads the company with Ted Sarandos.",
            "Greg Peters earned $40 million last year.",
        ),
    ],
)
def test_which_vendor_and_what_salary_ask_for_a_name_and_an_amount(
    question: str, vague: str, holding: str
) -> None:
    held = dict.fromkeys(question_terms(question), 2)
    missing = features(question, *_evidence(vague), held, 10)
    found = features(question, *_evidence(holding), held, 10)
    assert _feature(missing, "typed") == _feature(found, "typed") == 1.0
    assert _feature(missing, "type_missing") == 1.0
    assert _feature(found, "type_missing") == 0.0


@pytest.mark.parametrize(
    "question",
    [
        "What kind of company is Netflix?",
        "What kinds of companies use AI?",
        "What did the director say about AI?",
    ],
)
def test_what_kind_of_and_what_did_ask_for_no_name(question: str) -> None:
    vector = features(question, *_evidence("Netflix is a streaming company."), {}, 10)
    assert _feature(vector, "typed") == 0.0


@pytest.mark.parametrize(
    ("sentence", "missing"),
    [
        ("It focuses on special effects rather than replacing actors.", 0.0),
        ("It uses AI instead of hiring more artists.", 0.0),
        ("The model was released without safeguards.", 0.0),
        ("It focuses on special effects and replaces actors.", 1.0),
    ],
)
def test_rather_than_and_instead_of_say_a_negation(sentence: str, missing: float) -> None:
    question = "Which roles does the strategy not aim to replace?"
    vector = features(question, *_evidence(sentence), {}, 10)
    assert _feature(vector, "negation_missing") == missing


def test_no_passages_give_the_lowest_evidence() -> None:
    vector = features(QUESTION, [], [], HELD, 10)
    assert _feature(vector, "best_score") == 0.0
    assert _feature(vector, "best_coverage") == 0.0
    assert len(vector) == len(FEATURES)


def _gate_file(tmp_path: Path, threshold: float) -> Path:
    path = tmp_path / "gate.json"
    model = {
        "features": ["best_score", "margin"],
        "mean": [0.5, 0.1],
        "scale": [0.25, 0.1],
        "coefficients": [2.0, -1.0],
        "intercept": 0.5,
    }
    path.write_text(json.dumps({"model": model, "threshold": threshold, "provenance": {}}))
    return path


def test_the_gate_is_a_logistic_model_over_standardised_features(tmp_path: Path) -> None:
    # z = ((0.75 - 0.5) / 0.25, (0.3 - 0.1) / 0.1) = (1, 2); logit = 2 - 2 + 0.5 = 0.5;
    # P = 1 / (1 + e^-0.5) = 0.622459.
    vector = features(QUESTION, *_evidence("Seven dolphins swim near the coast."), HELD, 10)
    vector[FEATURES.index("best_score")] = 0.75
    gate = Gate.load(_gate_file(tmp_path, 0.6))
    assert gate.probability(vector) == pytest.approx(0.622459, abs=1e-6)
    assert gate.answers(vector)
    assert not Gate.load(_gate_file(tmp_path, 0.7)).answers(vector)


def test_the_committed_gate_records_how_it_was_trained() -> None:
    saved = json.loads(GATE_PATH.read_text())
    provenance = saved["provenance"]
    assert provenance["split"] == "tune"
    assert provenance["command"].startswith("rag eval tune-gate")
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in provenance["data"].values())
    assert provenance["questions"]["squad"] > 1000
    gate = Gate.load()
    assert set(gate.names) <= set(FEATURES)
    assert 0 < gate.threshold < 1
    assert GATE_PATH.stat().st_size < 20_000


def test_document_frequencies_count_the_chunks_holding_each_term() -> None:
    bm25 = Bm25()
    texts = ["Dolphins swim.", "Dolphins and whales.", "Whales sing."]
    bm25.add_file("/a.txt", "1", [_chunk(t, 100 * n) for n, t in enumerate(texts)])
    assert bm25.document_frequencies(["dolphin", "whale", "lisbon"]) == (
        3,
        {"dolphin": 2, "whale": 2, "lisbon": 0},
    )
