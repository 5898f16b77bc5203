"""Discovery: which files an ingest loads, with which loader, and Sphinx's source copies."""

from pathlib import Path

from ingest.loaders import file_type, load
from ingest.pipeline import discover

PAGE = "<html><body><div role='main'><h1>os</h1><p>Operating system interfaces.</p></div></body>"
SOURCE = "os\n==\n\nOperating system :mod:`interfaces`.\n"


def sphinx_build(root: Path) -> Path:
    """A Sphinx build: two pages, the source copies of both, of a page that is not there,
    and an old-style copy (``.txt`` alone), beside a plain text file."""
    files = {
        "library/os.html": PAGE,
        "index.html": PAGE,
        "_sources/library/os.rst.txt": SOURCE,
        "_sources/library/gone.rst.txt": SOURCE,
        "_sources/index.txt": SOURCE,
        "notes.txt": "Plain notes, :func:`not` a role.\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root.resolve()


def test_a_source_copy_is_left_out_when_its_page_is_ingested(tmp_path: Path) -> None:
    build = sphinx_build(tmp_path / "html")
    found = discover([build])
    assert sorted(p.relative_to(build).as_posix() for p in found.files) == [
        "_sources/library/gone.rst.txt",
        "index.html",
        "library/os.html",
        "notes.txt",
    ]
    assert [p.relative_to(build).as_posix() for p in found.sphinx_copies] == [
        "_sources/index.txt",
        "_sources/library/os.rst.txt",
    ]


def test_a_source_copy_is_ingested_when_its_page_is_not(tmp_path: Path) -> None:
    build = sphinx_build(tmp_path / "html")
    found = discover([build / "_sources", build / "notes.txt"])
    assert len(found.files) == 4 and found.sphinx_copies == []


def test_a_rst_txt_file_is_discovered_and_read_as_restructuredtext(tmp_path: Path) -> None:
    build = sphinx_build(tmp_path / "html")
    copy = build / "_sources/library/gone.rst.txt"
    assert copy in discover([build]).files
    assert file_type(copy) == ".rst.txt" and file_type(build / "notes.txt") == ".txt"
    assert load(copy, "gone").text == "os\n\nOperating system interfaces."
    notes = build / "notes.txt"
    assert load(notes, "notes").text == notes.read_text()  # plain text stays as it is
