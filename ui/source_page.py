"""The source view's page: a document's extracted text with the cited span marked.

Every piece of document text is escaped (ui.render.escape), and the page is served
with a Content-Security-Policy that runs no script at all. The quote is scrolled
into view without one: links to the page end in ``#quote``, the first mark's id,
and the mark takes the focus on load (``autofocus``). PDF pages and slides are
marked where they begin, so a reader sees which page a passage is on.
"""

import itertools

from rag.retrieve.source_text import SourceText
from ui.render import escape

STYLE = """
body { font: 15px/1.55 system-ui, sans-serif; color: #1f2328; margin: 0 auto; max-width: 52em;
       padding: 1em 1.5em 40vh; }
header { border-bottom: 1px solid #d0d7de; margin-bottom: 1em; padding-bottom: 0.5em; }
header h1 { font-size: 1.3em; margin: 0 0 0.2em; }
header p { margin: 0.2em 0; color: #57606a; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
mark { background: #fff3a3; outline: 2px solid #d4a72c; }
#quote { scroll-margin-top: 30vh; }
mark:focus { outline: 3px solid #0969da; }
.page { display: block; margin: 1.2em 0 0.4em; color: #57606a; font-size: 0.85em;
        border-top: 1px dashed #d0d7de; }
"""


_QUOTE = 'id="quote" tabindex="-1" autofocus'
# Characters shown on each side of the quote: a page stays small however long the file.
PART = 50_000
Span = tuple[int, int]


def part(span: Span | None, length: int) -> Span:
    """The part of a text of ``length`` characters shown around ``span`` (the start
    when there is none): ``PART`` characters on either side."""
    start, end = span or (0, 0)
    return max(0, start - PART), min(length, end + PART)


def _boundaries(found: SourceText, span: Span | None, shown: Span) -> list[int]:
    marks = {start for start, _ in found.pages + found.slides} | set(span or ())
    return sorted({at for at in marks if shown[0] <= at <= shown[1]} | set(shown))


def text_html(found: SourceText, span: Span | None, shown: Span) -> str:
    """The ``shown`` part of the document's text, escaped, with ``span`` marked and page
    or slide markers."""
    markers = {start: f"Page {n}" for start, n in found.pages}
    markers |= {start: f"Slide {n}" for start, n in found.slides}
    bounds = _boundaries(found, span, shown)
    parts: list[str] = []
    quoted = False
    for at, end in itertools.pairwise(bounds):
        if at in markers:
            anchor = markers[at].lower().replace(" ", "-")
            parts.append(f'<span class="page" id="{anchor}">{markers[at]}</span>')
        piece = escape(found.text[at:end])
        if span and span[0] <= at < span[1]:
            piece = f"<mark{'' if quoted else ' ' + _QUOTE}>{piece}</mark>"
            quoted = True
        elif span and at == span[0] == span[1]:  # an empty span: mark the place
            piece, quoted = f"<mark {_QUOTE}></mark>{piece}", True
        parts.append(piece)
    if span and not quoted:  # an empty span at the very end
        parts.append(f"<mark {_QUOTE}></mark>")
    return "".join(parts)


def source_page(
    found: SourceText,
    span: Span | None,
    where: str,
    file_link: str | None,
    shown: Span,
    around: tuple[str | None, str | None],
) -> str:
    """The whole page: the file's name, where the quote is, the text.

    Args:
        found: the file's record and text.
        span: the cited ``(start, end)``, or None to show the text alone.
        where: the quote's location in words ("page 2"), or "".
        file_link: a link to the original file at the quote's page, for PDFs.
        shown: the part of the text shown (``part``).
        around: links to the parts before and after ``shown``, where there are some.
    """
    record = found.record
    facts = [escape(where), f"characters {span[0]}–{span[1]}" if span else ""]
    if file_link:
        facts.append(f'<a href="{escape(file_link)}" rel="noopener">the PDF at this page</a>')
    details = " · ".join(fact for fact in facts if fact)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(record.source)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{escape(record.source)}</h1><p>{details}</p></header>"
        f"{_part_link(around[0], 'the text before')}"
        f'<main class="text">{text_html(found, span, shown)}</main>'
        f"{_part_link(around[1], 'the text after')}</body></html>"
    )


def _part_link(url: str | None, label: str) -> str:
    return f'<p class="part"><a href="{escape(url)}">{label}</a></p>' if url else ""
