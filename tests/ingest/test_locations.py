"""Chunks carry what locates a quote (pages, slides, heading paths) and what rebuilds the
text (gaps), through Chroma's metadata and back."""

from pathlib import Path

import pytest

from harness.documents import (
    BAKERY_SLIDES,
    FARM_PAGES,
    HANDBOOK,
    INSTALL_GUIDE,
    write_docx,
    write_pdf_pages,
    write_pptx,
)
from ingest.chunker import chunk_document
from ingest.loaders import load
from rag.retrieve.source_text import assemble
from rag.schema import Chunk, Location
from tests.conftest import SEED_FILE, SEEDS


def locate(path: Path, phrase: str, size: int = 800) -> Location | None:
    """The location of ``phrase`` in the file, as its chunk gives it."""
    doc = load(path, path.name)
    offset = doc.text.index(phrase)
    chunk = next(c for c in chunk_document(doc, size, 0) if c.start <= offset < c.end)
    return chunk.location(offset)


@pytest.mark.parametrize("size", [60, 800])  # a chunk a page, and one chunk over three pages
def test_a_pdf_quote_is_on_the_page_it_starts_on(tmp_path: Path, size: int) -> None:
    pdf = write_pdf_pages(tmp_path / "farm.pdf", FARM_PAGES)
    for number, (_, fact) in enumerate(FARM_PAGES, start=1):
        assert locate(pdf, fact, size) == Location(page=number)


def test_blank_pages_keep_the_numbering(tmp_path: Path) -> None:
    pdf = write_pdf_pages(tmp_path / "gap.pdf", [["First page text."], [], ["Third page text."]])
    assert locate(pdf, "Third page text.") == Location(page=3)


def test_a_slide_quote_names_its_slide(tmp_path: Path) -> None:
    deck = write_pptx(tmp_path / "bakery.pptx", BAKERY_SLIDES)
    assert locate(deck, "Cake sales stayed flat.", 40) == Location(slide=2)
    assert locate(deck, "second shop") == Location(slide=3)


def test_docx_and_markdown_quotes_name_their_heading_path(tmp_path: Path) -> None:
    docx = write_docx(tmp_path / "handbook.docx", HANDBOOK)
    assert locate(docx, "twenty-five days") == Location(headings=["Staff handbook", "Leave"])
    assert locate(docx, "ten days per year") == Location(
        headings=["Staff handbook", "Leave", "Carry over"]
    )
    assert locate(docx, "two weeks") == Location(headings=["Staff handbook", "Travel"])
    (tmp_path / "install.md").write_text(INSTALL_GUIDE)
    assert locate(tmp_path / "install.md", "control panel") == Location(
        headings=["Install guide", "Uninstall"]
    )


def test_html_quotes_name_their_heading_path(tmp_path: Path) -> None:
    (tmp_path / "p.html").write_text(
        "<h1>Handbook</h1><p>Intro text.</p><h3>Leave</h3><p>Staff get 25 days.</p>"
        "<h2>Travel</h2><p>Book early.</p>"
    )
    assert locate(tmp_path / "p.html", "25 days") == Location(headings=["Handbook", "Leave"])
    assert locate(tmp_path / "p.html", "Book early") == Location(headings=["Handbook", "Travel"])


def test_plain_text_has_no_location() -> None:
    # Its headings are guessed from the layout: a reader could not navigate by them.
    assert locate(SEEDS / SEED_FILE, "Happy Gilmore 2") is None


def test_text_before_the_first_heading_has_an_empty_path(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("Before any heading.\n\n# Later\n\nAfter it.\n")
    assert locate(tmp_path / "a.md", "Before") == Location(headings=[])


def test_the_json_of_a_location_holds_only_what_applies() -> None:
    assert Location(page=2).model_dump() == {"page": 2}
    assert Location(headings=["A", "B"]).model_dump() == {"headings": ["A", "B"]}
    assert Location(slide=3).describe() == "slide 3"
    assert Location(headings=["A", "B"]).describe() == "A › B"


@pytest.mark.parametrize("name", ["farm.pdf", "bakery.pptx", "handbook.docx", SEED_FILE])
def test_chunks_survive_chroma_metadata_and_rebuild_the_text(tmp_path: Path, name: str) -> None:
    builders = {
        "farm.pdf": lambda p: write_pdf_pages(p, FARM_PAGES),
        "bakery.pptx": lambda p: write_pptx(p, BAKERY_SLIDES),
        "handbook.docx": lambda p: write_docx(p, HANDBOOK),
    }
    path = builders[name](tmp_path / name) if name in builders else SEEDS / name
    doc = load(path, name)
    for size, overlap in [(800, 150), (120, 40)]:
        chunks = chunk_document(doc, size, overlap)
        stored = [Chunk.from_record(c.id, c.text, c.metadata()) for c in chunks]
        assert stored == chunks
        assert all(isinstance(v, str | int) for c in chunks for v in c.metadata().values())
        assert assemble(stored) == doc.text[: chunks[-1].end]


def test_text_from_chunks_without_gaps_keeps_every_offset() -> None:
    # An index written before gaps were stored: the gaps come back as spaces.
    doc = load(SEEDS / SEED_FILE, SEED_FILE)
    chunks = [c.model_copy(update={"gap": ""}) for c in chunk_document(doc, 800, 150)]
    text = assemble(chunks)
    assert len(text) == chunks[-1].end
    assert all(text[c.start : c.end] == c.text for c in chunks)
