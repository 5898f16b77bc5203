"""HTML is read as a browser shows it: inline text joined as rendered, code as written,
navigation and permalinks left out."""

from pathlib import Path

import pytest

from ingest.document import LoadError, SourceDocument
from ingest.loaders import load

# A page as Sphinx (3.11's Python docs theme) writes it, cut down: a sidebar with the
# table of contents and the previous/next topics, a related bar, the body, a footer.
# And one laid out as MkDocs (Material theme) lays it out: a header, navigation in
# sidebars (site navigation, then the page's "Table of contents"), the article, a
# footer with the previous and next pages.
PAGES = Path(__file__).parent / "pages"
SPHINX_PAGE = (PAGES / "sphinx.html").read_text(encoding="utf-8")
MKDOCS_PAGE = (PAGES / "mkdocs.html").read_text(encoding="utf-8")


def _load(tmp_path: Path, html: str, name: str = "page.html") -> SourceDocument:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return load(path, name)


def test_highlighted_code_reads_as_written(tmp_path: Path) -> None:
    doc = _load(tmp_path, SPHINX_PAGE)
    assert "\n\npython3 -m venv tutorial-env\n\n" in doc.text
    code = (
        '>>> subprocess.run(["ls", "-l"])  # doesn\'t capture output\n'
        "CompletedProcess(args=['ls', '-l'], returncode=0)\n"
        "\n"
        ">>> if True:\n"
        '...     print("yes")'
    )
    assert code in doc.text


def test_inline_elements_join_as_rendered_and_blocks_are_paragraphs(tmp_path: Path) -> None:
    doc = _load(tmp_path, SPHINX_PAGE)
    assert (
        "To create a virtual environment, decide upon a directory where you want to place it, "
        "and run the venv module as a script with the directory path:\n\n"
    ) in doc.text


def test_sphinx_permalinks_and_navigation_are_left_out(tmp_path: Path) -> None:
    doc = _load(tmp_path, SPHINX_PAGE)
    assert doc.text.startswith("12. Virtual Environments\n\n12.2. Creating Virtual Environments")
    for chrome in (
        "¶",
        "Table of Contents",
        "Previous topic",
        "Quick search",
        "Navigation",
        "index",
        "Copyright",
    ):
        assert chrome not in doc.text
    assert [(h.level, h.text) for h in doc.headings] == [
        (1, "12. Virtual Environments"),
        (2, "12.2. Creating Virtual Environments"),
    ]
    assert all(doc.text[h.start : h.end] == h.text for h in doc.headings)
    assert doc.title == "12. Virtual Environments — Python 3.11 documentation"


def test_a_mkdocs_page_is_its_article(tmp_path: Path) -> None:
    doc = _load(tmp_path, MKDOCS_PAGE)
    assert doc.text == (
        "Install\n\n"
        "Run pip install llama-farm in a terminal.\n\n"
        "Requirements\n\n"
        "Python 3.11 or later.\nA barn.\n\n"
        "Breed | Wool\n\n"
        "Alpaca | fine"
    )
    assert [(h.level, h.text) for h in doc.headings] == [(1, "Install"), (2, "Requirements")]


def test_without_a_main_element_the_body_is_read_less_its_navigation(tmp_path: Path) -> None:
    # DocBook's pages (PostgreSQL's documentation) have no main element; their
    # previous/next bars are tables in div.navheader and div.navfooter.
    doc = _load(
        tmp_path,
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>1.3. Creating a Database'
        '</title></head><body><div class="navheader"><table><tr><td><a href="a.html">Prev</a>'
        '</td><td><a href="c.html">Next</a></td></tr></table></div>'
        '<div class="sect1"><h2 class="title">1.3. Creating a Database</h2>'
        '<p>To create a new database named <code class="literal">mydb</code>, use:</p>'
        '<pre class="programlisting">$ createdb mydb</pre></div>'
        '<div class="navfooter"><table><tr><td>Up</td><td>Home</td></tr></table></div>'
        "</body></html>",
    )
    assert doc.text == (
        "1.3. Creating a Database\n\nTo create a new database named mydb, use:\n\n$ createdb mydb"
    )


def test_a_row_whose_cells_hold_blocks_is_read_block_by_block(tmp_path: Path) -> None:
    doc = _load(
        tmp_path,
        "<table><tr><td><p>Install:</p><pre>pip install x\npip install y</pre></td>"
        "<td>Then run it.</td></tr></table>",
    )
    assert doc.text == "Install:\n\npip install x\npip install y\n\nThen run it."


def test_text_outside_paragraphs_and_hidden_text(tmp_path: Path) -> None:
    doc = _load(
        tmp_path,
        "<body><div>Loose text <em>in</em> a div<span hidden>secret</span>"
        '<span aria-hidden="true">icon</span><p>A paragraph.</p>trailing words</div></body>',
    )
    assert doc.text == "Loose text in a div\n\nA paragraph.\n\ntrailing words"


@pytest.mark.parametrize(
    "html", ["<html><body><nav>Home</nav></body></html>", "<!-- nothing -->", "  \n"]
)
def test_a_page_without_text_is_skipped_with_a_reason(tmp_path: Path, html: str) -> None:
    with pytest.raises(LoadError, match=r"no text in the HTML page|empty file"):
        _load(tmp_path, html)


def test_a_docutils_line_block_is_one_block_of_lines(tmp_path: Path) -> None:
    doc = _load(
        tmp_path,
        '<div class="line-block"><div class="line"><strong>A</strong></div>'
        '<div class="line"><a href="#abs"><code><span class="pre">abs()</span></code></a></div>'
        '<div class="line"><br /></div><div class="line"><strong>B</strong></div>'
        '<div class="line-block"><div class="line">bin()</div></div></div><p>Next.</p>',
    )
    assert doc.text == "A\nabs()\n\nB\nbin()\n\nNext."
