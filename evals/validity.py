"""Citation validity, checked against the file on disk by extractors other than the loaders.

- .txt and .md (and any format without an extractor below): the quote must equal
  ``file_bytes.decode("utf-8")[start:end]``.
- HTML (lxml; the loader uses BeautifulSoup), PDF (pdfminer.six; the loader uses
  pypdf), Word and PowerPoint (their XML read from the zip; the loaders use
  python-docx and python-pptx). Offsets are positions in the text the loader made
  (the text a reader is shown and citations point into), so they are read there:
  the quote must be what that text holds at them; then what they point at is
  checked against the independent extraction: the quote must occur in it, and next
  to the text beside it in the shown text on at least one side (one side may border
  what one extractor keeps and the other drops: a permalink, a navigation bar).
  The two extractors lay blocks, lines and table cells out differently, so the
  comparison ignores white space and the ``|`` between table cells.

A shifted offset, a quote the file does not hold, or a loader that moves or
invents text each fail the check (tests/evals/test_validity.py).
"""

import re
import unicodedata
import zipfile
from functools import lru_cache
from pathlib import Path

from lxml import etree

from ingest.loaders import load
from rag.schema import Citation

_LAYOUT = re.compile(r"[\s|]+")
CONTEXT = 20  # characters of neighbouring text (layout removed) that must match
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NOT_TEXT = ("script", "style", "noscript", "template", "svg", "head")


def squash(text: str) -> str:
    """``text`` in the form both extractions are compared in: NFKC (ligatures spelled
    out), without white space or table-cell separators."""
    return _LAYOUT.sub("", unicodedata.normalize("NFKC", text))


def _html(path: Path) -> str:
    import lxml.html

    page = lxml.html.fromstring(path.read_bytes())
    for element in page.iter(*_NOT_TEXT):
        element.drop_tree()
    return str(page.text_content())


def _pdf(path: Path) -> str:
    from pdfminer.high_level import extract_text

    return str(extract_text(str(path)))


def _paragraphs(root: etree._Element, paragraph: str, text: str) -> str:
    """Every ``paragraph`` element's ``text`` runs, a paragraph a line, in document order."""
    return "\n".join("".join(t.text or "" for t in p.iter(text)) for p in root.iter(paragraph))


def _docx(path: Path) -> str:
    with zipfile.ZipFile(path) as package:
        body = etree.fromstring(package.read("word/document.xml"))
    return _paragraphs(body, f"{_W}p", f"{_W}t")


def _pptx(path: Path) -> str:
    """The slides' text in the deck's order (presentation.xml's list), notes left out."""
    with zipfile.ZipFile(path) as package:
        deck = etree.fromstring(package.read("ppt/presentation.xml"))
        links = etree.fromstring(package.read("ppt/_rels/presentation.xml.rels"))
        targets = {link.get("Id"): link.get("Target") for link in links}
        slides = []
        for slide in deck.iter("{http://schemas.openxmlformats.org/presentationml/2006/main}sldId"):
            target = targets[slide.get(f"{_R}id")]
            xml = etree.fromstring(package.read(f"ppt/{target.removeprefix('/ppt/')}"))
            slides.append(_paragraphs(xml, f"{_A}p", f"{_A}t"))
    return "\n".join(slides)


_EXTRACTORS = {".pdf": _pdf, ".docx": _docx, ".pptx": _pptx, ".html": _html, ".htm": _html}


@lru_cache(maxsize=64)
def independent(path: str) -> str:
    """The file's text by an extractor independent of the loaders, ``squash``-ed."""
    return squash(_EXTRACTORS[Path(path).suffix.lower()](Path(path)))


@lru_cache(maxsize=64)
def _decoded(path: str) -> str:
    return Path(path).read_bytes().decode("utf-8")


@lru_cache(maxsize=64)
def _shown(path: str) -> str:
    return load(Path(path), path).text


def citation_valid(citation: Citation, path: str) -> bool:
    """Whether ``citation.quote`` is what the file at ``path`` holds at its offsets."""
    if Path(path).suffix.lower() not in _EXTRACTORS:  # .txt, .md: the file's own characters
        return _decoded(path)[citation.start : citation.end] == citation.quote
    shown = _shown(path)
    if shown[citation.start : citation.end] != citation.quote:
        return False
    extracted, quote = independent(path), squash(citation.quote)
    if not quote or quote not in extracted:
        return False
    before = squash(shown[max(0, citation.start - 4 * CONTEXT) : citation.start])[-CONTEXT:]
    after = squash(shown[citation.end : citation.end + 4 * CONTEXT])[:CONTEXT]
    return before + quote in extracted or quote + after in extracted
