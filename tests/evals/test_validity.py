"""Citation validity can fail: offsets and quotes checked against independent extractions."""

from pathlib import Path

import pytest

from evals import validity
from evals.validity import citation_valid, independent
from harness.documents import write_docx, write_pdf_pages, write_pptx
from ingest.loaders import load
from rag.schema import Citation

PAGE = """<html><head><title>Llamas</title><style>p {color: red}</style></head><body>
<nav><a href="/">Home</a> | <a href="/farm">Farm</a></nav>
<h1>Llama care<a class="headerlink" href="#care">¶</a></h1>
<p>Llamas <b>hum</b> when
   content. They spit when annoyed.</p>
<p>Use <code>brush --soft</code> on the fleece.</p>
<pre>shear(llama)
rinse(llama)</pre>
<table><tr><td>Feed</td><td>Hay</td></tr></table>
</body></html>"""


def _citation(text: str, quote: str, shift: int = 0) -> Citation:
    start = text.index(quote) + shift
    return Citation(
        n=1, source="f", section="", start=start, end=start + len(quote), quote=quote, score=1.0
    )


def _files(folder: Path) -> dict[str, Path]:
    html = folder / "page.html"
    html.write_text(PAGE, encoding="utf-8")
    return {
        "html": html,
        "pdf": write_pdf_pages(
            folder / "doc.pdf",
            [
                ["Llama care", "Llamas hum when content.", "They spit when annoyed."],
                ["Shearing happens every May."],
            ],
        ),
        "docx": write_docx(
            folder / "doc.docx",
            [
                ("Llama care", 1),
                ("Llamas hum when content. They spit when annoyed.", "p"),
                ("table", [["Feed", "Hay"], ["Water", "Daily"]]),
            ],
        ),
        "pptx": write_pptx(
            folder / "deck.pptx",
            [
                ("Llama care", ["Llamas hum when content.", "They spit when annoyed."]),
                ("Shearing", ["Shearing happens every May."]),
            ],
        ),
    }


QUOTES = {
    "html": ["They spit when annoyed.", "Llamas hum when content.", "Use brush --soft on the"],
    "pdf": ["Llamas hum when content.", "Shearing happens every May."],
    "docx": ["They spit when annoyed.", "Water | Daily"],
    "pptx": ["They spit when annoyed.", "Shearing happens every May."],
}


@pytest.mark.parametrize("kind", list(QUOTES))
def test_a_right_citation_is_valid_and_a_shifted_one_is_not(kind: str, tmp_path: Path) -> None:
    path = _files(tmp_path)[kind]
    shown = load(path, str(path)).text
    for quote in QUOTES[kind]:
        assert citation_valid(_citation(shown, quote), str(path)), (kind, quote, shown)
        for shift in (-2, 1, 3):  # the quote unchanged, its offsets moved
            assert not citation_valid(_citation(shown, quote, shift), str(path)), (kind, shift)
    altered = QUOTES[kind][0].replace("when", "if")
    wrong = _citation(shown, QUOTES[kind][0]).model_copy(update={"quote": altered})
    assert not citation_valid(wrong, str(path))


def test_the_independent_html_text_ignores_layout_and_keeps_what_the_page_says(
    tmp_path: Path,
) -> None:
    text = independent(str(_files(tmp_path)["html"]))
    assert "Llamashumwhencontent.Theyspitwhenannoyed." in text
    assert "shear(llama)rinse(llama)" in text and "FeedHay" in text
    assert "color" not in text  # styles are not text


def test_a_loader_that_moves_or_invents_text_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The citation agrees with the loader's text, but the file says otherwise."""
    path = _files(tmp_path)["docx"]
    shown = load(path, str(path)).text
    # Sentences swapped: each quote is still in the file, but not beside its neighbours.
    swapped = shown.replace(
        "Llamas hum when content. They spit when annoyed.",
        "They spit when annoyed. Llamas hum when content.",
    )
    invented = shown.replace("spit when", "spit loudly when")
    for text, quote in ((swapped, "They spit when annoyed."), (invented, "spit loudly when")):
        document = load(path, str(path))
        document.text = text
        monkeypatch.setattr(validity, "load", lambda *_, d=document: d)
        validity._shown.cache_clear()
        assert not citation_valid(_citation(text, quote), str(path)), quote
    validity._shown.cache_clear()


def test_a_text_file_is_checked_against_its_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # BOM + CRLF. Decoded: "\ufeff" 0, "Title" 1-5, "\r\n\r\n" 6-9, "First line." 10-20,
    # "\r\n" 21-22, "Second line." 23-34. A reader that drops the BOM and turns CRLF
    # into LF ("Title\n\nFirst line.\nSecond line.") puts it at 19-30 instead.
    path = tmp_path / "crlf.txt"
    path.write_bytes("\ufeffTitle\r\n\r\nFirst line.\r\nSecond line.\r\n".encode())
    monkeypatch.setattr("ingest.loaders.LOADERS", {})  # the check must not load
    text = path.read_bytes().decode("utf-8")
    assert citation_valid(_citation(text, "Second line."), str(path))
    assert not citation_valid(_citation(text, "Second line.", -4), str(path))
