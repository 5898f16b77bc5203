"""Builders for small real documents used by several tests."""

from pathlib import Path


def write_pdf(path: Path, lines: list[str]) -> Path:
    """A real one-page PDF with one text line per entry, made with reportlab."""
    return write_pdf_pages(path, [lines])


def write_pdf_pages(path: Path, pages: list[list[str]]) -> Path:
    """A real PDF with one page per entry of ``pages``, each line drawn on its own."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    for lines in pages:
        for number, line in enumerate(lines):
            pdf.drawString(72, 800 - 40 * number, line)
        pdf.showPage()
    pdf.save()
    return path


def write_docx(path: Path, blocks: list[tuple[str, str | int | list[list[str]]]]) -> Path:
    """A real Word document made with python-docx.

    Args:
        path: where to write it.
        blocks: ``(text, level)`` for a heading (level 0 is the Title style),
            ``(text, "p")`` for a paragraph, ``("table", rows)`` for a table of text cells.
    """
    from docx import Document

    document = Document()
    for text, kind in blocks:
        if isinstance(kind, list):
            table = document.add_table(rows=len(kind), cols=len(kind[0]))
            for row, values in zip(table.rows, kind, strict=True):
                for cell, value in zip(row.cells, values, strict=True):
                    cell.text = value
        elif isinstance(kind, int):
            document.add_heading(text, level=kind)
        else:
            document.add_paragraph(text)
    document.save(str(path))
    return path


def write_pptx(path: Path, slides: list[tuple[str, list[str]]]) -> Path:
    """A real PowerPoint deck made with python-pptx: (title, bullet lines) per slide."""
    from pptx import Presentation

    deck = Presentation()
    layout = deck.slide_layouts[1]  # "Title and Content"
    for title, bullets in slides:
        slide = deck.slides.add_slide(layout)
        slide.shapes.title.text = title
        body = slide.placeholders[1].text_frame
        body.text = bullets[0]
        for bullet in bullets[1:]:
            body.add_paragraph().text = bullet
    deck.save(str(path))
    return path


# A corpus with one file of each kind that carries a location (issue 12). Each PDF page
# and each slide holds a fact of its own, so a question picks one page or slide.
FARM_PAGES = [
    ["Llama farm report", "The llama farm opened in the spring of 1990."],
    ["Herd", "The farm keeps forty-two llamas in the herd today."],
    ["Shearing", "Shearing of the llamas happens every May."],
]
BAKERY_SLIDES = [
    ("Quarterly review", ["Welcome to the quarterly review of the bakery."]),
    ("Sales", ["Bread sales grew by twelve percent this quarter.", "Cake sales stayed flat."]),
    ("Outlook", ["The bakery opens a second shop in the autumn."]),
]
HANDBOOK: list[tuple[str, str | int | list[list[str]]]] = [
    ("Staff handbook", 0),
    ("Leave", 1),
    ("Staff get twenty-five days of annual leave.", "p"),
    ("Carry over", 2),
    ("Up to five unused leave days carry over to the next year.", "p"),
    ("table", [["Policy", "Days"], ["Sick leave", "ten days per year"]]),
    ("Travel", 1),
    ("Book train tickets at least two weeks early.", "p"),
]
INSTALL_GUIDE = """# Install guide

This guide covers installing the app.

## Setup

Run the installer with administrator rights.

## Uninstall

Remove the app from the control panel.
"""
MARKUP = "# Markup\n\nThe <script>window.__xss = 1</script> tag & <b>bold</b> text stay inert.\n"


def write_located_corpus(folder: Path) -> Path:
    """``folder`` with farm.pdf (3 pages), bakery.pptx (3 slides), handbook.docx,
    install.md and markup.md (document markup that must stay text)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_pdf_pages(folder / "farm.pdf", FARM_PAGES)
    write_pptx(folder / "bakery.pptx", BAKERY_SLIDES)
    write_docx(folder / "handbook.docx", HANDBOOK)
    (folder / "install.md").write_text(INSTALL_GUIDE)
    (folder / "markup.md").write_text(MARKUP)
    return folder
