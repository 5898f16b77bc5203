"""`rag eval` end to end on a small SQuAD-format corpus of our own, and the seeds gate."""

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app

pytestmark = pytest.mark.slow
runner = CliRunner()

SQUAD: dict[str, Any] = {
    "version": "v2.0",
    "data": [
        {
            "title": "Llama",
            "paragraphs": [
                {
                    "context": "The llama is a domesticated South American camelid. "
                    "Llamas hum when they are content and spit when annoyed.",
                    "qas": [
                        {
                            "id": "q1",
                            "question": "What do llamas do when they are content?",
                            "answers": [{"text": "hum", "answer_start": 59}],
                            "is_impossible": False,
                        },
                        {
                            "id": "q2",
                            "question": "How many llamas live in Canada?",
                            "answers": [],
                            "is_impossible": True,
                        },
                    ],
                }
            ],
        },
        {
            "title": "Lighthouse",
            "paragraphs": [
                {
                    "context": "The Eddystone Lighthouse stands on dangerous rocks south of "
                    "Plymouth. The current tower was designed by James Douglass.",
                    "qas": [
                        {
                            "id": "q3",
                            "question": "Who designed the current Eddystone tower?",
                            "answers": [{"text": "James Douglass", "answer_start": 104}],
                            "is_impossible": False,
                        },
                    ],
                }
            ],
        },
    ],
}


def test_squad_run_writes_json_markdown_and_chart(tmp_path: Path) -> None:
    source = tmp_path / "mini-squad.json"
    source.write_text(json.dumps(SQUAD))
    result = runner.invoke(
        app, ["eval", "squad", str(source), "--json-out", "out.json", "--report", "out.md"]
    )
    assert result.exit_code == 0, result.output
    run = json.loads(Path("out.json").read_text())[0]
    assert run["name"] == "hybrid" and len(run["rows"]) == 3
    rows = {row["id"]: row for row in run["rows"]}
    assert rows["q1"]["first_relevant_rank"] == 1 and "hum" in rows["q1"]["answer"]
    assert "James Douglass" in rows["q3"]["answer"]
    assert run["metrics"]["hit@1"] == 1.0 and run["metrics"]["answer_recall"] == 1.0
    assert run["metrics"]["citation_validity"] == 1.0
    assert Path("out.png").stat().st_size > 1000
    assert "![metrics](out.png)" in Path("out.md").read_text()

    gated = runner.invoke(app, ["eval", "squad", str(source), "--fail-under", "hit@1=1.01"])
    assert gated.exit_code == 1 and "hit@1 = 1.000 is below 1.01" in gated.stderr

    compared = runner.invoke(app, ["eval", "compare", "out.json", "out.json"])
    assert compared.exit_code == 0, compared.output
    assert "answer_recall" in compared.stdout and "no significant difference" in compared.stdout


def test_a_malformed_suite_names_its_line(tmp_path: Path) -> None:
    suite = tmp_path / "bad.jsonl"
    suite.write_text('{"id": "a", "question": "q", "answers": ["x"]}\n{"id": "b"}\n')
    result = runner.invoke(app, ["eval", str(suite)])
    assert result.exit_code == 1 and "bad.jsonl:2: not a valid suite row" in result.stderr


def test_a_baseline_runs_alone_and_an_unknown_retriever_is_bad_input(tmp_path: Path) -> None:
    source = tmp_path / "mini-squad.json"
    source.write_text(json.dumps(SQUAD))
    alone = runner.invoke(
        app, ["eval", "squad", str(source), "--retriever", "langchain", "--json-out", "r.json"]
    )
    assert alone.exit_code == 0, alone.output
    assert [run["name"] for run in json.loads(Path("r.json").read_text())] == ["langchain"]
    unknown = runner.invoke(app, ["eval", "squad", str(source), "--retriever", "magic"])
    assert unknown.exit_code == 2 and "--retriever magic: use one of" in unknown.stderr
