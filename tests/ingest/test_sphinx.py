"""A real Sphinx build, ingested: code reads as written, the page's chrome and permalinks
are left out, headings give the quote's path, and the source copies stay out."""

import subprocess
import sys
from pathlib import Path

import pytest

from ingest.chunker import chunk_document
from ingest.loaders import load
from ingest.pipeline import discover
from rag.schema import Location

pytestmark = pytest.mark.slow

PAGES = {
    "index.rst": "Llama Farm\n==========\n\n.. toctree::\n\n   tutorial\n   reference\n",
    "tutorial.rst": """\
Virtual environments
====================

Creating one
------------

To create a virtual environment, run the :mod:`venv` module as a script:

.. code-block:: console

   $ python3 -m venv tutorial-env
   $ source tutorial-env/bin/activate

In short, ``python3 -m venv tutorial-env`` makes one.

Running commands
----------------

Run a command and wait for it to finish::

   >>> import subprocess
   >>> subprocess.run(["ls", "-l"])
   CompletedProcess(args=['ls', '-l'], returncode=0)
""",
    "reference.rst": "Reference\n=========\n\nLlamas hum when content.\n",
}
# What the themes put around the page: sidebars (table of contents, previous and
# next topics, search, source link), the related bar and the footer.
CHROME = [
    "Table of Contents",
    "Previous topic",
    "Next topic",
    "Quick search",
    "Show Source",
    "Related Topics",
    "Navigation",
    "Powered by",
    "Created using",
    "©",
    "¶",
]


@pytest.fixture(scope="module", params=["classic", "alabaster"])
def build(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML that ``sphinx-build -b html`` makes of PAGES with the theme given."""
    source = tmp_path_factory.mktemp("source")
    (source / "conf.py").write_text(f"project = 'Llama Farm'\nhtml_theme = '{request.param}'\n")
    for name, text in PAGES.items():
        (source / name).write_text(text)
    out = tmp_path_factory.mktemp("html")
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", str(source), str(out)], check=True
    )
    return out


def test_code_reads_as_written(build: Path) -> None:
    doc = load(build / "tutorial.html", "tutorial.html")
    assert "\n\n$ python3 -m venv tutorial-env\n$ source tutorial-env/bin/activate\n\n" in doc.text
    assert "In short, python3 -m venv tutorial-env makes one." in doc.text
    assert (
        ">>> import subprocess\n"
        '>>> subprocess.run(["ls", "-l"])\n'
        "CompletedProcess(args=['ls', '-l'], returncode=0)"
    ) in doc.text
    chunks = chunk_document(doc, 800, 0)
    assert any("$ python3 -m venv tutorial-env\n$ source" in c.text for c in chunks)


def test_the_themes_chrome_and_permalinks_are_left_out(build: Path) -> None:
    doc = load(build / "tutorial.html", "tutorial.html")
    assert doc.text.startswith("Virtual environments\n\nCreating one\n\nTo create")
    assert doc.text.endswith("returncode=0)")
    for chrome in CHROME:
        assert chrome not in doc.text


def test_a_toctree_is_navigation_too(build: Path) -> None:
    assert load(build / "index.html", "index.html").text == "Llama Farm"


def test_headings_give_the_quotes_path(build: Path) -> None:
    doc = load(build / "tutorial.html", "tutorial.html")
    assert [(h.level, h.text) for h in doc.headings] == [
        (1, "Virtual environments"),
        (2, "Creating one"),
        (2, "Running commands"),
    ]
    offset = doc.text.index("$ python3")
    chunk = next(c for c in chunk_document(doc, 200, 0) if c.start <= offset < c.end)
    assert chunk.location(offset) == Location(headings=["Virtual environments", "Creating one"])


def test_the_source_copies_stay_out_of_the_ingest(build: Path) -> None:
    found = discover([build])
    names = sorted(p.relative_to(build.resolve()).as_posix() for p in found.files)
    assert [name for name in names if name.endswith(".html")] == [
        "genindex.html",
        "index.html",
        "reference.html",
        "search.html",
        "tutorial.html",
    ]
    assert not any(name.startswith("_sources/") for name in names)
    assert sorted(p.name for p in found.sphinx_copies) == [
        "index.rst.txt",
        "reference.rst.txt",
        "tutorial.rst.txt",
    ]
