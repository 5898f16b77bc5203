"""Citation validity, checked against the file on disk and never through our loaders.

- .txt and .md: the quote must equal ``file_bytes.decode("utf-8")[start:end]``.
- HTML (lxml's ``text_content``; the loader uses BeautifulSoup) and PDF
  (pdfminer.six; the loader uses pypdf): the quote, white space removed, must be
  contained in the extraction with white space removed (the two extractors
  separate blocks and lines differently, so offsets cannot be compared).
"""

from functools import lru_cache
from pathlib import Path

from rag.models import Citation

_VERBATIM = (".txt", ".md", ".markdown")


@lru_cache(maxsize=64)
def _decoded(path: str) -> str:
    return Path(path).read_bytes().decode("utf-8")


@lru_cache(maxsize=64)
def _extracted(path: str) -> str:
    """The file's text by an independent extractor, all white space removed."""
    if path.lower().endswith(".pdf"):
        from pdfminer.high_level import extract_text

        text = extract_text(path)
    else:
        import lxml.html

        text = lxml.html.fromstring(Path(path).read_bytes()).text_content()
    return "".join(text.split())


def citation_valid(citation: Citation, path: str) -> bool:
    """Whether ``citation.quote`` is what the file at ``path`` holds at its offsets."""
    if path.lower().endswith(_VERBATIM):
        return _decoded(path)[citation.start : citation.end] == citation.quote
    return "".join(citation.quote.split()) in _extracted(path)
