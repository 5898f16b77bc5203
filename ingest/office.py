"""Word (.docx) and PowerPoint (.pptx) files, read with python-docx and python-pptx.

Both are reduced to text a block per paragraph (ingest/blocks.py), so offsets
point into that extracted text. A .docx keeps its headings (the "Heading 1" to
"Heading 9" styles, and "Title" as level 0) with their levels, and its tables in
document order, one row per paragraph with the cells separated by `` | ``. A
.pptx gives one section per slide: the slide's title is the section heading
(``Slide N`` when it has none) and its number is kept for citations; its other
shapes follow in the slide's order, tables and grouped shapes included. Speaker
notes are left out: the audience never sees them.

The libraries are imported when a file of their type is loaded (python-pptx
takes a quarter of a second to import).
"""

import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lxml.etree import LxmlError

from ingest.blocks import Blocks, flatten
from ingest.document import Heading, LoadError, Page, SourceDocument

if TYPE_CHECKING:
    from docx.table import Table
    from pptx.table import _Row as SlideRow

_HEADING_STYLE = re.compile(r"Heading ([1-9])")
_CELL_SEPARATOR = " | "
# What a damaged or mislabelled Office file makes the libraries raise.
_UNREADABLE = (zipfile.BadZipFile, KeyError, ValueError, LxmlError, OSError)
Package = TypeVar("Package")


def _open(
    path: Path,
    opener: Callable[[str], Package],
    errors: tuple[type[Exception], ...],
    kind: str,
) -> Package:
    """``opener(path)``, or a ``LoadError`` saying why the ``kind`` file cannot be read.

    The libraries name the file in their errors; the skip line already does.
    """
    if path.stat().st_size == 0:
        raise LoadError("empty file")
    try:
        return opener(str(path))
    except (*_UNREADABLE, *errors) as error:
        if type(error).__name__ in ("PackageNotFoundError", "BadZipFile"):
            detail = f"not a {path.suffix.lower()} package: damaged, or another format renamed"
        else:
            detail = f"{type(error).__name__}: {str(error).replace(str(path), path.name)}"
        raise LoadError(f"corrupt or unreadable {kind} ({detail})") from None


def _row_text(cells: Iterable[str]) -> str:
    """One table row as a line of text, its empty cells left out."""
    return _CELL_SEPARATOR.join(flatten(text) for text in cells if text.strip())


def _docx_level(style_name: str) -> int | None:
    if style_name == "Title":
        return 0
    match = _HEADING_STYLE.fullmatch(style_name)
    return int(match.group(1)) if match else None


def _docx_table_rows(table: "Table") -> Iterator[str]:
    """Each row's text; a merged cell (the same cell in several columns) given once."""
    for row in table.rows:
        cells = {cell._tc: cell for cell in row.cells}  # in order, one per cell element
        yield _row_text(cell.text for cell in cells.values())


def _pptx_row_text(row: "SlideRow") -> str:
    """A slide table row's text; cells a merge covers (``is_spanned``) left out."""
    return _row_text(cell.text for cell in row.cells if not cell.is_spanned)


def load_docx(path: Path, source: str) -> SourceDocument:
    """A Word document: its paragraphs and table rows, headings with their levels."""
    from docx import Document
    from docx.opc.exceptions import OpcError
    from docx.text.paragraph import Paragraph

    document = _open(path, Document, (OpcError,), "Word document")
    blocks = Blocks()
    headings: list[Heading] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = flatten(item.text)
            span = blocks.add(text)
            level = _docx_level(item.style.name if item.style is not None else "")
            if span and level is not None:
                headings.append(Heading(span.start, span.end, text, level))
        else:
            for row in _docx_table_rows(item):
                blocks.add(row)
    text = blocks.text()
    if not text:
        raise LoadError("no text in the Word document")
    title = document.core_properties.title or (headings[0].text if headings else path.stem)
    return SourceDocument(text, source, str(path), title, headings, outline=True)


def _shape_blocks(shapes: Any, skip: Any = None) -> Iterator[str]:
    """The text of ``shapes`` (but ``skip``), a paragraph or table row at a time."""
    for shape in shapes:
        if skip is not None and shape.shape_id == skip.shape_id:
            continue
        if shape.has_text_frame:
            yield from (flatten(p.text) for p in shape.text_frame.paragraphs)
        if shape.has_table:
            yield from (_pptx_row_text(row) for row in shape.table.rows)
        if hasattr(shape, "shapes"):  # a group
            yield from _shape_blocks(shape.shapes)


def load_pptx(path: Path, source: str) -> SourceDocument:
    """A PowerPoint deck: one section per slide with text, titled by the slide's title."""
    from pptx import Presentation
    from pptx.exc import PythonPptxError

    deck = _open(path, Presentation, (PythonPptxError,), "PowerPoint file")
    blocks = Blocks()
    headings: list[Heading] = []
    slides: list[Page] = []
    for number, slide in enumerate(deck.slides, start=1):
        title_shape = slide.shapes.title
        title = flatten(title_shape.text_frame.text) if title_shape is not None else ""
        body = _shape_blocks(slide.shapes, title_shape)
        spans = [blocks.add(title)] + [blocks.add(block) for block in body]
        found = [span for span in spans if span]
        if not found:
            continue  # a slide without text: nothing to cite
        slides.append(Page(found[0].start, number))
        if spans[0]:
            headings.append(Heading(spans[0].start, spans[0].end, title))
        else:  # no title: the section is named by the slide's number
            headings.append(Heading(found[0].start, found[0].start, f"Slide {number}"))
    text = blocks.text()
    if not text:
        raise LoadError("no text in the PowerPoint file")
    title = deck.core_properties.title or (headings[0].text if headings else path.stem)
    return SourceDocument(text, source, str(path), title, headings, slides=slides)
