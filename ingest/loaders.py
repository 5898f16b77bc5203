"""Loaders: one function per file type, each returning a ``SourceDocument``.

Text formats (.txt, .md) keep the file's characters exactly, so a citation's
offsets can be checked against the file itself. HTML and PDF are reduced to
their text (as are Word and PowerPoint files, ingest/office.py); offsets then
point into that extracted text.
"""

import logging
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from ingest import html, rst
from ingest.blocks import Blocks
from ingest.document import Heading, LoadError, Page, SourceDocument
from ingest.office import load_docx, load_pptx
from rag.text import Span, paragraph_spans

# A plain-text heading: one short line on its own, without closing punctuation.
_MAX_HEADING_CHARS = 100
_CLOSING_PUNCTUATION = tuple(".!?,;:")
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_MARKDOWN_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise LoadError("empty file")
    if b"\x00" in data:
        raise LoadError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise LoadError(
            f"not UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "convert it to UTF-8 and ingest it again"
        ) from None


def plain_text_headings(text: str) -> list[Heading]:
    """Lines that stand alone between blank lines, short and unpunctuated."""
    headings = []
    for span in paragraph_spans(text):
        line = text[span.start : span.end]
        if (
            "\n" not in line
            and len(line) <= _MAX_HEADING_CHARS
            and not line.endswith(_CLOSING_PUNCTUATION)
            and any(ch.isalpha() for ch in line)
        ):
            headings.append(Heading(span.start, span.end, line))
    return headings


def _first_line(text: str, fallback: str) -> str:
    """The first line, as a title: at most ``_MAX_HEADING_CHARS``, cut between words.

    Every chunk carries its document's title: a 5 MB line copied into thousands of
    chunks would take tens of GB."""
    spans = paragraph_spans(text)
    if not spans:
        return fallback
    line = text[spans[0].start : spans[0].end].split("\n", 1)[0].strip()
    if len(line) > _MAX_HEADING_CHARS:
        cut = line[: _MAX_HEADING_CHARS + 1]
        line = cut[: cut.rfind(" ")] if " " in cut else cut[:_MAX_HEADING_CHARS]
    return line.rstrip()


def load_text(path: Path, source: str) -> SourceDocument:
    """A plain-text file; headings are guessed from its layout."""
    text = _decode(path)
    return SourceDocument(
        text, source, str(path), _first_line(text, path.stem), plain_text_headings(text)
    )


def load_markdown(path: Path, source: str) -> SourceDocument:
    """A Markdown file, kept verbatim; ``#`` lines outside code fences are headings."""
    text = _decode(path)
    fences = list(_MARKDOWN_FENCE.finditer(text))
    headings = [
        Heading(m.start(), m.end(), m.group(2).strip(), len(m.group(1)))
        for m in _MARKDOWN_HEADING.finditer(text)
        if not any(fence.start() <= m.start() < fence.end() for fence in fences)
    ]
    title = headings[0].text if headings else _first_line(text, path.stem)
    code = [span for span in map(_fenced_lines, fences) if span is not None]
    return SourceDocument(text, source, str(path), title, headings, outline=True, code=code)


def _fenced_lines(fence: re.Match[str]) -> Span | None:
    """The lines between a code fence's opening and closing lines (None: no line)."""
    text = fence.string
    start = text.index("\n", fence.start()) + 1
    end = fence.end() - len(fence.group(1))
    while end > start and text[end - 1] in "\r\n":
        end -= 1
    return Span(start, end) if end > start else None


def load_html(path: Path, source: str) -> SourceDocument:
    """An HTML page's main content as a browser shows it, a block per paragraph
    (ingest/html.py); headings keep their levels."""
    page = html.extract(_decode(path))
    if not page.text:
        raise LoadError("no text in the HTML page")
    title = page.title or _first_line(page.text, path.stem)
    return SourceDocument(
        page.text, source, str(path), title, page.headings, outline=True, code=page.code
    )


def load_rst(path: Path, source: str) -> SourceDocument:
    """A reStructuredText file (``.rst``, or Sphinx's ``.rst.txt`` source copy) as its
    rendered page reads (ingest/rst.py); sections are headings with their levels."""
    document = rst.extract(_decode(path))
    if not document.text:
        raise LoadError("no text in the reStructuredText file")
    title = document.title or _first_line(document.text, path.stem)
    return SourceDocument(
        text=document.text,
        source=source,
        path=str(path),
        title=title,
        headings=document.headings,
        outline=True,
        code=document.code,
    )


class _Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _pypdf_warnings() -> Iterator[list[str]]:
    """pypdf's log warnings and Python warnings during the block, kept instead of
    printed (pypdf's own lines do not say which file they are about); distinct, in order."""
    logger = logging.getLogger("pypdf")
    handler = _Collected()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    messages: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        found = handler.messages + [
            str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)
        ]
        messages.extend(dict.fromkeys(m.strip() for m in found if m.strip()))


_PDF_WARNINGS_SHOWN = 5
_log = logging.getLogger(__name__)


def load_pdf(path: Path, source: str) -> SourceDocument:
    """A PDF's extractable text, pages separated by blank lines.

    pypdf's warnings (a damaged cross-reference table it recovered from) are
    printed as ``warning: <source>: <message>`` lines, or added to the reason
    when the file is skipped.
    """
    if path.stat().st_size == 0:
        raise LoadError("empty file")
    with _pypdf_warnings() as pypdf_warnings:
        try:
            reader = PdfReader(path)
            pages = [page.extract_text() or "" for page in reader.pages]
            title = (reader.metadata.title if reader.metadata else None) or ""
        except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
            failure: Exception | None = error
        else:
            failure = None
    if failure is not None:
        details = "; ".join(pypdf_warnings[:_PDF_WARNINGS_SHOWN])
        raise LoadError(
            f"corrupt or unreadable PDF ({failure}{'; pypdf: ' + details if details else ''})"
        )
    for message in pypdf_warnings[:_PDF_WARNINGS_SHOWN]:
        _log.warning("warning: %s: %s", source, message)
    blocks = Blocks()
    starts = [(blocks.add(page.strip()), number) for number, page in enumerate(pages, start=1)]
    text = blocks.text()
    if not text:
        raise LoadError("the PDF has no extractable text (scanned images need OCR first)")
    return SourceDocument(
        text,
        source,
        str(path),
        title or _first_line(text, path.stem),
        plain_text_headings(text),
        pages=[Page(span.start, number) for span, number in starts if span],
    )


LOADERS: dict[str, Callable[[Path, str], SourceDocument]] = {
    ".txt": load_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".rst": load_rst,
    ".rst.txt": load_rst,
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".pptx": load_pptx,
}


def file_type(path: Path) -> str:
    """The key of ``path``'s loader in ``LOADERS``: its suffix, lower-cased, or ``.rst.txt``
    for Sphinx's source copies (whose suffix is ``.txt``)."""
    if path.name.lower().endswith(".rst.txt"):
        return ".rst.txt"
    return path.suffix.lower()


def load(path: Path, source: str) -> SourceDocument:
    """Load one file with the loader for its type (``file_type``).

    Raises:
        LoadError: the file is of an unsupported type, empty, binary, undecodable or corrupt.
    """
    loader = LOADERS.get(file_type(path))
    if loader is None:
        raise LoadError(f"unsupported file type {path.suffix or '(none)'}")
    return loader(path, source)
