"""The documentation suites (python3-doc, postgresql-doc-15) are well formed, and the
checker that holds their key phrases to the pages finds what a reader sees.

The suites' keys are checked against the real documentation by
``python -m evals.check_docs_questions`` (evals/README.md); these tests need no docs.
"""

import re
from pathlib import Path

import pytest

from evals.check_docs_questions import main, page_blocks, problems
from evals.relevance import fold
from evals.suite import SuiteRow, load_suite
from tests.conftest import REPO

SUITES = REPO / "evals/suites"
PYTHON, PYTHON_TUNE, POSTGRES = (
    SUITES / "python-docs.jsonl",
    SUITES / "python-docs-tune.jsonl",
    SUITES / "postgresql-docs.jsonl",
)
# Written on 2026-12-05, before any answer of the bot on them, to report what was
# added after the files above had been scored (evals/README.md).
PYTHON_SEALED, POSTGRES_SEALED = (
    SUITES / "python-docs-sealed.jsonl",
    SUITES / "postgresql-docs-sealed.jsonl",
)
# file: (split, at least this many answerable rows, at least this many unanswerable)
EXPECTED = {
    PYTHON: ("final", 70, 10),
    PYTHON_TUNE: ("tune", 30, 0),
    POSTGRES: ("final", 40, 10),
    PYTHON_SEALED: ("final", 40, 6),
    POSTGRES_SEALED: ("final", 40, 6),
}


def _pages(path: Path) -> set[str]:
    return {page for row in load_suite(path) for page in row.pages}


@pytest.mark.parametrize("path", list(EXPECTED), ids=lambda p: p.name)
def test_docs_suite_rows_carry_pages_and_a_short_verbatim_key(path: Path) -> None:
    split, answerable, unanswerable = EXPECTED[path]
    rows = load_suite(path)
    assert sum(row.answerable for row in rows) >= answerable
    assert sum(not row.answerable for row in rows) >= unanswerable
    for row in rows:
        assert row.split == split, row.id
        if not row.answerable:
            assert (row.pages, row.key, row.evidence) == ([], None, []), row.id
            continue
        assert row.key is not None and 3 <= len(row.key.split()) <= 8, row.id
        assert not re.search(r"[.!?] [A-Z]", row.key), f"{row.id}: key spans two sentences"
        # The key is the gold answer and evidence of the existing metrics, on its page.
        assert row.answers == row.evidence == [row.key] and row.source == row.pages[0], row.id
        assert fold(row.key).text not in fold(row.question).text, f"{row.id} echoes its key"
        assert len(set(row.pages)) == len(row.pages), row.id
        for page in row.pages:
            assert page.endswith(".html") and not page.startswith(("/", "_sources")), row.id


def test_no_id_or_question_is_repeated_across_the_docs_suites() -> None:
    rows = [row for path in EXPECTED for row in load_suite(path)]
    assert len({row.id for row in rows}) == len(rows)
    questions = [re.sub(r"\W+", " ", fold(row.question).text).strip() for row in rows]
    assert len(set(questions)) == len(questions)


def test_python_tune_questions_are_on_pages_the_test_questions_never_name() -> None:
    assert _pages(PYTHON_TUNE).isdisjoint(_pages(PYTHON))


def test_sealed_questions_are_on_pages_no_earlier_file_names() -> None:
    assert _pages(PYTHON_SEALED).isdisjoint(_pages(PYTHON) | _pages(PYTHON_TUNE))
    assert _pages(POSTGRES_SEALED).isdisjoint(_pages(POSTGRES))


def test_a_key_with_no_pages_or_on_an_unanswerable_row_is_refused() -> None:
    with pytest.raises(ValueError, match="needs the pages"):
        SuiteRow(id="a", question="q?", answers=["x y z"], key="x y z")
    with pytest.raises(ValueError, match="no answers, pages or key"):
        SuiteRow(id="b", question="q?", answerable=False, pages=["a.html"])


SPHINX = """<html><body>
<div class="sphinxsidebar"><p>Only in the sidebar.</p></div>
<div class="body" role="main"><h1>venv<a class="headerlink" href="#v">¶</a></h1>
<p>Run <code><span class="n">python3</span> <span class="o">-</span><span class="n">m</span>
<span class="n">venv</span></code> to   create it.</p>
<div class="line-block"><div class="line">Q: Is there a JIT?</div>
<div class="line">A: No.</div></div></div></body></html>"""
DOCBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<html xmlns="http://www.w3.org/1999/xhtml"><body>
<div class="navheader"><a>Prev</a> Up Next</div>
<p>The TCP port the server listens on; 5432 by default.</p>
<div class="navfooter">Home</div></body></html>"""


@pytest.fixture
def html(tmp_path: Path) -> Path:
    (tmp_path / "library").mkdir()
    (tmp_path / "library/venv.html").write_text(SPHINX, encoding="utf-8")
    (tmp_path / "config.html").write_bytes(DOCBOOK.encode("utf-8"))
    return tmp_path


def test_page_blocks_are_the_main_content_as_a_reader_sees_it(html: Path) -> None:
    assert page_blocks(html / "library/venv.html") == (
        "venv",  # the permalink's ¶ dropped, the sidebar left out
        "Run python3 -m venv to create it.",
        "Q: Is there a JIT?",
        "A: No.",
    )
    assert page_blocks(html / "config.html") == (
        "The TCP port the server listens on; 5432 by default.",
    )


def _row(id: str, key: str, *pages: str) -> SuiteRow:
    return SuiteRow(id=id, question="?", answers=[key], evidence=[key], pages=list(pages), key=key)


def test_problems_name_missing_pages_and_keys_not_on_their_page(html: Path) -> None:
    rows = [
        _row("ok", "python3 -m venv to create", "library/venv.html", "config.html"),
        _row("sidebar", "Only in the sidebar", "library/venv.html"),
        _row("two blocks", "a JIT? A: No", "library/venv.html"),
        _row("elsewhere", "5432 by default", "library/venv.html", "config.html"),
        _row("gone", "5432 by default", "config.html", "nowhere.html"),
    ]
    assert problems(rows, html) == [
        "sidebar: key 'Only in the sidebar' not on library/venv.html",
        "two blocks: key 'a JIT? A: No' not on library/venv.html",
        "elsewhere: key '5432 by default' not on library/venv.html",
        "gone: page nowhere.html not found",
    ]


def test_the_checker_exits_1_on_a_problem_and_2_without_the_docs(
    html: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = tmp_path / "suite.jsonl"
    suite.write_text(_row("r", "5432 by default", "config.html").model_dump_json() + "\n")
    assert main([str(html), str(suite)]) == 0
    assert capsys.readouterr().out.endswith("1 rows, 1 keys, 0 problems\n")
    suite.write_text(_row("r", "5433 by default", "config.html").model_dump_json() + "\n")
    assert main([str(html), str(suite)]) == 1
    assert "r: key '5433 by default' not on config.html" in capsys.readouterr().out
    assert main([str(tmp_path / "absent"), str(suite)]) == 2
