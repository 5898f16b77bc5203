"""`rag ingest --collection`, `rag ask --collection/--source` and `rag collections`, in-process."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from harness.corpora import ENGINEERING, ENGINEERING_QUESTION, HR, REMOTE_QUESTION, write_files

pytestmark = pytest.mark.slow
runner = CliRunner()


def test_collections_from_ingest_to_answer(tmp_path: Path) -> None:
    write_files(tmp_path, {**HR, **ENGINEERING})
    for name, folder in (("hr", "hr"), ("engineering", "eng")):
        result = runner.invoke(app, ["ingest", "--collection", name, folder])
        assert result.exit_code == 0, result.output

    listed = json.loads(runner.invoke(app, ["collections", "--json"]).stdout)
    assert [(c["name"], c["files"], c["default"]) for c in listed] == [
        ("documents", 0, True),
        ("engineering", 2, False),
        ("hr", 7, False),
    ]

    asked = runner.invoke(
        app, ["ask", ENGINEERING_QUESTION, "--collection", "engineering", "--json"]
    )
    assert asked.exit_code == 0, asked.output
    citations = json.loads(asked.stdout)["citations"]
    assert citations and {c["source"] for c in citations} == {"eng/deploy.md"}

    filtered = runner.invoke(
        app, ["ask", REMOTE_QUESTION, "-c", "hr", "--source", "hr/guides/", "--json"]
    )
    assert filtered.exit_code == 0, filtered.output
    cited = {c["source"] for c in json.loads(filtered.stdout)["citations"]}
    assert cited and all(s.startswith("hr/guides/") for s in cited)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--collection", "nope"], "error: no collection 'nope'"),
        (["--collection", "../etc"], "error: collection '../etc': a collection name is"),
        (["--collection", "hr", "--source", "docs/"], "error: no documents under docs in"),
    ],
)
def test_what_names_nothing_is_one_line_and_exit_2(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    write_files(tmp_path, {"hr/leave.md": HR["hr/leave.md"]})
    assert runner.invoke(app, ["ingest", "--collection", "hr", "hr"]).exit_code == 0
    result = runner.invoke(app, ["ask", "How many days of paid leave?", *arguments])
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_an_invalid_collection_name_stops_ingest(tmp_path: Path) -> None:
    write_files(tmp_path, {"hr/leave.md": HR["hr/leave.md"]})
    result = runner.invoke(app, ["ingest", "--collection", "a/b", "hr"])
    assert result.exit_code == 2
    assert "collection: a collection name is" in result.stderr


def test_asking_a_collection_named_by_the_setting_never_creates_it(tmp_path: Path) -> None:
    hrr = {"RAG_COLLECTION": "hrr"}
    for _ in range(2):  # the second time too: the first one did not create it
        result = runner.invoke(app, ["ask", "How many days of paid leave?"], env=hrr)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: no collection 'hrr'")
    listed = json.loads(runner.invoke(app, ["collections", "--json"]).stdout)
    assert [c["name"] for c in listed] == ["documents"]
    # The default collection of a fresh install is there, empty: asking says what to do.
    fresh = runner.invoke(app, ["ask", "How many days of paid leave?"])
    assert fresh.exit_code == 1 and "the index is empty: run `rag ingest` first" in fresh.stderr
