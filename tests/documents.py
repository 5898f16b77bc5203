"""Builders for small real documents used by several tests."""

from pathlib import Path


def write_pdf(path: Path, lines: list[str]) -> Path:
    """A real one-page PDF with one text line per entry, made with reportlab."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    for number, line in enumerate(lines):
        pdf.drawString(72, 800 - 40 * number, line)
    pdf.save()
    return path
