"""Structure-aware chunking with exact character offsets.

A document is cut at its headings into sections; each section is packed into
chunks of whole sentences, preferring to end a chunk at a paragraph break.
Every chunk is a contiguous slice ``text[start:end]`` of the document, so a
citation inside it maps back to the file exactly. LangChain's splitters only
recover offsets by searching for the chunk text again, and cut inside a
sentence wherever the size falls; here a sentence is cut only when it alone is
longer than ``size``, between words, into exact slices.
"""

import bisect
import hashlib
from collections import Counter
from collections.abc import Iterator

from ingest.document import Heading, Page, SourceDocument
from rag.schema import Chunk
from rag.text import Span, folded, paragraph_spans, sentence_spans

# Titles and headings are copied into every chunk's metadata: a file whose first
# line is 5 MB long must not put 5 MB on each of its chunks.
MAX_LABEL_CHARS = 200


def chunk_id(path: str, text: str, occurrence: int) -> str:
    """A content address: the file, the chunk's text and how many identical chunks
    precede it in that file. The offset is left out on purpose, so text moved by an
    edit above it keeps its id (and its embedding); only its ``start``/``end`` change."""
    return hashlib.sha256(f"{path}\0{occurrence}\0{text}".encode()).hexdigest()[:32]


def fingerprint(text: str) -> str:
    """A hash of ``text`` as copies of it read alike (rag.text.folded)."""
    return hashlib.sha256(folded(text).encode()).hexdigest()[:24]


def heading_paths(headings: list[Heading]) -> list[list[str]]:
    """Each heading's path: the headings it sits under (by level), outermost first, then
    itself. Headings without a level count as top-level."""
    paths: list[list[str]] = []
    stack: list[tuple[int, str]] = []
    for heading in headings:
        level = heading.level or 0
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, label(heading.text)))
        paths.append([text for _, text in stack])
    return paths


def _sections(doc: SourceDocument) -> Iterator[tuple[str, list[str], int, int, int]]:
    """(heading, heading path, start, body start, end) of each section: its headings run
    from start to body start. A heading with no body of its own (a title above a
    subtitle) joins the next section, whose heading names it; a document that is all
    headings (a one-line file, short unpunctuated lines) is one section of body text."""
    paths = heading_paths(doc.headings)
    bounds: list[tuple[str, list[str], int, int]] = [(doc.title, [], 0, 0)] + [
        (h.text, path, h.start, h.end) for h, path in zip(doc.headings, paths, strict=True)
    ]
    pending: int | None = None
    found = False
    for index, (heading, path, start, heading_end) in enumerate(bounds):
        end = bounds[index + 1][2] if index + 1 < len(bounds) else len(doc.text)
        if not doc.text[heading_end:end].strip():
            pending = start if pending is None else pending
            continue
        yield heading, path, start if pending is None else pending, heading_end, end
        pending, found = None, True
    if not found and doc.text.strip():
        yield doc.title, [], 0, 0, len(doc.text)


def page_marks(pages: list[Page], start: int, end: int) -> list[tuple[int, int]] | None:
    """(offset, number) of the page in effect at ``start``, then of each page that
    begins before ``end``; None when the document has no pages."""
    if not pages:
        return None
    first = max(bisect.bisect_right(pages, start, key=lambda page: page.start) - 1, 0)
    last = bisect.bisect_left(pages, end, lo=first + 1, key=lambda page: page.start)
    return [(page.start, page.number) for page in pages[first:last]]


def code_marks(code: list[Span], start: int, end: int) -> list[tuple[int, int]] | None:
    """The code blocks of ``code`` that overlap ``start``-``end``, cut to it; None if none."""
    inside = [
        (max(block.start, start), min(block.end, end))
        for block in code
        if block.start < end and start < block.end
    ]
    return inside or None


def pack(sentences: list[Span], paragraph_starts: set[int], size: int, overlap: int) -> list[Span]:
    """Group consecutive sentences into spans of at most ``size`` characters.

    Args:
        sentences: the sentences of one section, in order.
        paragraph_starts: offsets at which a paragraph begins (preferred cut points).
        size: maximum characters in a chunk (a longer sentence stands alone).
        overlap: at most this many characters of whole sentences are repeated
            at the start of the next chunk.

    Returns:
        The chunk spans, in order.
    """
    chunks: list[Span] = []
    first = 0
    while first < len(sentences):
        start = sentences[first].start
        last = first
        while last + 1 < len(sentences) and sentences[last + 1].end - start <= size:
            last += 1
        # End at a paragraph break instead, if that still fills half the chunk.
        for candidate in range(last, first, -1):
            is_break = (
                sentences[candidate + 1].start in paragraph_starts
                if candidate + 1 < len(sentences)
                else True
            )
            if is_break and sentences[candidate].end - start >= size // 2:
                last = candidate
                break
        chunks.append(Span(start, sentences[last].end))
        if last + 1 >= len(sentences):
            break
        following = last + 1
        while (
            following - 1 > first
            and sentences[last].end - sentences[following - 1].start <= overlap
        ):
            following -= 1
        first = following
    return chunks


def bounded(text: str, sentences: list[Span], size: int) -> list[Span]:
    """``sentences`` with each one longer than ``size`` cut into exact slices of at
    most ``size`` characters, between words where there is a space to cut at.

    The embedding model reads only its window (about ``size`` characters at the
    default): the rest of a longer span could never be found by meaning."""
    pieces = []
    for sentence in sentences:
        start = sentence.start
        while sentence.end - start > size:
            cut = text.rfind(" ", start + 1, start + size + 1)
            cut = cut if cut > start else start + size
            pieces.append(Span(start, cut))
            start = cut + 1 if text[cut] == " " else cut
        pieces.append(Span(start, sentence.end))
    return pieces


def label(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    """A title or heading short enough to repeat in every chunk's metadata."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def chunk_document(doc: SourceDocument, size: int, overlap: int) -> list[Chunk]:
    """Cut a document into chunks that carry their source, section, offsets and what
    locates a quote inside them (heading path, pages, slides)."""
    chunks = []
    seen: Counter[str] = Counter()
    covered = 0  # the end of the text the chunks so far hold
    for section, path, start, body_start, end in _sections(doc):
        paragraph_starts = {p.start for p in paragraph_spans(doc.text, start, end)}
        sentences = bounded(doc.text, sentence_spans(doc.text, start, end), size)
        for span in pack(sentences, paragraph_starts, size, overlap):
            text = doc.text[span.start : span.end]
            seen[text] += 1
            chunks.append(
                Chunk(
                    id=chunk_id(doc.path, text, seen[text] - 1),
                    text=text,
                    source=doc.source,
                    path=doc.path,
                    title=label(doc.title),
                    section=label(section),
                    start=span.start,
                    end=span.end,
                    headings=path if doc.outline else None,
                    pages=page_marks(doc.pages, span.start, span.end),
                    slides=page_marks(doc.slides, span.start, span.end),
                    gap=doc.text[covered : span.start],
                    fingerprint=fingerprint(text),
                    body_start=body_start if body_start > span.start else None,
                    code=code_marks(doc.code, span.start, span.end),
                )
            )
            covered = max(covered, span.end)
    return chunks
