"""Word and PowerPoint files, written by python-docx and python-pptx, become exact text."""

import shutil
from pathlib import Path

import pytest

from harness.documents import BAKERY_SLIDES, HANDBOOK, write_docx, write_pptx
from ingest.document import LoadError
from ingest.loaders import load
from ingest.pipeline import discover


def test_docx_paragraphs_headings_and_tables_become_text(tmp_path: Path) -> None:
    doc = load(write_docx(tmp_path / "handbook.docx", HANDBOOK), "handbook.docx")
    assert doc.text == (
        "Staff handbook\n\nLeave\n\nStaff get twenty-five days of annual leave.\n\n"
        "Carry over\n\nUp to five unused leave days carry over to the next year.\n\n"
        "Policy | Days\n\nSick leave | ten days per year\n\n"
        "Travel\n\nBook train tickets at least two weeks early."
    )
    assert [(h.text, h.level) for h in doc.headings] == [
        ("Staff handbook", 0),
        ("Leave", 1),
        ("Carry over", 2),
        ("Travel", 1),
    ]
    assert all(doc.text[h.start : h.end] == h.text for h in doc.headings)
    assert doc.title == "Staff handbook" and doc.outline


def test_pptx_has_one_section_per_slide_titled_by_the_slide(tmp_path: Path) -> None:
    doc = load(write_pptx(tmp_path / "bakery.pptx", BAKERY_SLIDES), "bakery.pptx")
    assert [h.text for h in doc.headings] == ["Quarterly review", "Sales", "Outlook"]
    assert all(doc.text[h.start : h.end] == h.text for h in doc.headings)
    assert [s.number for s in doc.slides] == [1, 2, 3]
    assert [s.start for s in doc.slides] == [h.start for h in doc.headings]
    sales = doc.text[doc.slides[1].start : doc.slides[2].start]
    assert sales == (
        "Sales\n\nBread sales grew by twelve percent this quarter.\n\nCake sales stayed flat.\n\n"
    )


def test_pptx_tables_untitled_and_empty_slides(tmp_path: Path) -> None:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    blank, title_only = deck.slide_layouts[6], deck.slide_layouts[5]
    deck.slides.add_slide(blank)  # slide 1: nothing to cite
    table_slide = deck.slides.add_slide(title_only)
    table_slide.shapes.title.text = "Prices"
    table = table_slide.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1)).table
    for row, values in enumerate([("Loaf", "3 euros"), ("Cake", "12 euros")]):
        for column, value in enumerate(values):
            table.cell(row, column).text = value
    untitled = deck.slides.add_slide(blank)
    box = untitled.shapes.add_textbox(Inches(1), Inches(1), Inches(4), Inches(1))
    box.text_frame.text = "Open every day but Sunday."
    deck.save(str(tmp_path / "prices.pptx"))

    doc = load(tmp_path / "prices.pptx", "prices.pptx")
    assert doc.text == "Prices\n\nLoaf | 3 euros\n\nCake | 12 euros\n\nOpen every day but Sunday."
    assert [(s.number, doc.text[s.start :][:6]) for s in doc.slides] == [
        (2, "Prices"),
        (3, "Open e"),
    ]
    # An untitled slide is a section named by its number, over no text of its own.
    assert [(h.text, h.end - h.start) for h in doc.headings] == [("Prices", 6), ("Slide 3", 0)]


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("empty.docx", lambda p, good: p.write_bytes(b""), "empty file"),
        (
            "truncated.docx",
            lambda p, good: p.write_bytes(good["docx"].read_bytes()[:1000]),
            "corrupt or unreadable Word document (not a .docx package",
        ),
        (
            "renamed.pptx",
            lambda p, good: shutil.copy(good["docx"], p),
            "corrupt or unreadable PowerPoint file (ValueError: file 'renamed.pptx' is not a "
            "PowerPoint file",
        ),
        ("random.pptx", lambda p, good: p.write_bytes(b"\x01" * 300), "not a .pptx package"),
        ("blank.pptx", lambda p, good: write_pptx(p, [("", [""])]), "no text in the PowerPoint"),
        ("blank.docx", lambda p, good: write_docx(p, []), "no text in the Word document"),
    ],
)
def test_bad_office_files_raise_a_reason(tmp_path: Path, name: str, make, reason: str) -> None:
    good = {"docx": write_docx(tmp_path / "good.docx", HANDBOOK)}
    path = tmp_path / name
    make(path, good)
    with pytest.raises(LoadError) as raised:
        load(path, name)
    assert reason in str(raised.value)
    assert "\n" not in str(raised.value)


def test_discover_finds_word_and_powerpoint_files(tmp_path: Path) -> None:
    write_docx(tmp_path / "a.docx", HANDBOOK)
    write_pptx(tmp_path / "b.PPTX", BAKERY_SLIDES)
    (tmp_path / "c.doc").write_bytes(b"old binary Word")  # not supported: not picked up
    files = discover([tmp_path]).files
    assert [f.name for f in files] == ["a.docx", "b.PPTX"]


def test_table_rows_keep_repeated_values_and_give_merged_cells_once(tmp_path: Path) -> None:
    from docx import Document
    from pptx import Presentation
    from pptx.util import Inches

    document = Document()
    table = document.add_table(rows=2, cols=3)
    for column, value in enumerate(("Q1", "10", "10")):
        table.cell(0, column).text = value
    table.cell(1, 0).merge(table.cell(1, 1)).text = "Total"  # one cell over two columns
    table.cell(1, 2).text = "20"
    document.save(str(tmp_path / "sales.docx"))
    assert load(tmp_path / "sales.docx", "sales.docx").text == "Q1 | 10 | 10\n\nTotal | 20"

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    shape = slide.shapes.add_table(2, 3, Inches(1), Inches(1), Inches(6), Inches(1))
    for column, value in enumerate(("Q1", "10", "10")):
        shape.table.cell(0, column).text = value
    shape.table.cell(1, 0).merge(shape.table.cell(1, 1))
    shape.table.cell(1, 0).text = "Total"
    shape.table.cell(1, 2).text = "20"
    deck.save(str(tmp_path / "sales.pptx"))
    assert load(tmp_path / "sales.pptx", "sales.pptx").text == "Q1 | 10 | 10\n\nTotal | 20"
