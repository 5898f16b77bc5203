"""HTML for answers and source cards. Every piece of document text is escaped here.

Documents may contain markup; nothing in them may run in the reader's browser,
so text only ever reaches the page through ``html.escape``. The chat renders its
messages as Markdown too, so a chat message is one HTML block on one line
(``chat_message``): Markdown leaves an HTML block as it is, and a quote reads
exactly as the document says it, ``[here](javascript:...)`` and ``**`` included.
"""

import html
import re
from typing import TYPE_CHECKING

from rag.schema import Answer, Citation, Passage

if TYPE_CHECKING:
    from ui.links import SourceLinks

_MARKER = re.compile(r"\[(\d+)\]")


def escape(text: str) -> str:
    """HTML-escape ``text``, quotes included."""
    return html.escape(text, quote=True)


def literal(text: str) -> str:
    """``text`` escaped on one line, its line breaks and indentation shown (a quoted code
    block): ``<br>`` for each break, no-break spaces for the indentation."""
    return "<br>".join(
        "&#160;" * (len(line) - len(line.lstrip(" "))) + escape(line.lstrip(" "))
        for line in text.split("\n")
    )


def chat_message(body: str) -> str:
    """A chat message of ``body`` (HTML without line breaks) that Markdown leaves as it
    is: a ``<div>`` on one line is an HTML block, passed through whole."""
    return f'<div class="message-body">{body}</div>'


def answer_html(answer: Answer) -> str:
    """The answer with each ``[n]`` linked to source card ``n``; abstentions styled apart,
    and any notice (an LLM fallback) shown above it."""
    notice = (
        f'<div class="notice" role="status">{literal(answer.notice)}</div>' if answer.notice else ""
    )
    if answer.abstained:
        abstention = f'<div class="abstention" role="status">{literal(answer.answer)}</div>'
        return chat_message(notice + abstention)
    pieces = _MARKER.split(answer.answer)  # text, marker number, text, ...
    return chat_message(
        notice
        + "".join(
            f'<a class="cite" href="#source-{piece}">[{piece}]</a>' if odd else literal(piece)
            for odd, piece in ((n % 2 == 1, piece) for n, piece in enumerate(pieces))
        )
    )


def _links(citation: Citation, links: "SourceLinks | None") -> str:
    """Links to the source view at the quote and, for a PDF, to the file at its page."""
    if links is None or citation.source_id is None:
        return ""
    view = links.view(citation.source_id, citation.start, citation.end)
    page = citation.location.page if citation.location else None
    original = links.original(citation.source_id, page)
    pdf = (
        f' · <a class="open-file" href="{escape(original)}" target="_blank" rel="noopener">'
        f"PDF, page {page}</a>"
        if original
        else ""
    )
    return (
        f'<p class="source-links"><a class="open-source" href="{escape(view)}" target="_blank" '
        f'rel="noopener">Open in the document</a>{pdf}</p>'
    )


def source_card(
    citation: Citation, passages: list[Passage], links: "SourceLinks | None" = None
) -> str:
    """Card ``n``: file, section, location, span, the passage with the quote highlighted,
    and (given ``links``) links to the source view and the original PDF."""
    passage = citation.passage_in(passages)
    if passage is None:
        body = f"<mark>{escape(citation.quote)}</mark>"
    else:
        text, offset = passage.chunk.text, passage.chunk.start
        before = text[: citation.start - offset]
        after = text[citation.end - offset :]
        body = f"{escape(before)}<mark>{escape(citation.quote)}</mark>{escape(after)}"
    where = citation.location.describe() if citation.location else ""
    location = f' · <span class="location">{escape(where)}</span>' if where else ""
    also = (
        f'<p class="also">Also in {escape(", ".join(citation.also))}</p>' if citation.also else ""
    )
    return (
        f'<section class="source-card" id="source-{citation.n}" aria-label="source {citation.n}">'
        f'<header><span class="badge">[{citation.n}]</span> <b>{escape(citation.source)}</b>'
        f" › {escape(citation.section)}{location}"
        f" <small>chars {citation.start}–{citation.end} · score {citation.score:.2f}</small>"
        f'</header><p class="passage">{body}</p>{also}{_links(citation, links)}</section>'
    )


def sources_html(answer: Answer, links: "SourceLinks | None" = None) -> str:
    """All source cards of an answer (none for an abstention)."""
    if not answer.citations:
        return '<p class="no-sources">No sources: the documents do not answer this.</p>'
    return "".join(source_card(c, answer.passages, links) for c in answer.citations)


def passages_html(answer: Answer) -> str:
    """The "sources only" view: every retrieved passage with its scores."""
    rows = []
    for rank, p in enumerate(answer.passages, start=1):
        dense = "–" if p.dense_score is None else f"{p.dense_score:.3f}"
        bm25 = "–" if p.bm25_score is None else f"{p.bm25_score:.2f}"
        rows.append(
            f'<section class="source-card passage-card" id="passage-{rank}">'
            f'<header><span class="badge">#{rank}</span> <b>{escape(p.chunk.source)}</b>'
            f" › {escape(p.chunk.section)} <small>fused {p.score:.4f} · dense {dense}"
            f' · bm25 {bm25}</small></header><p class="passage">{escape(p.chunk.text)}</p>'
            "</section>"
        )
    return "".join(rows) or '<p class="no-sources">Nothing was retrieved.</p>'


def passages_summary(answer: Answer) -> str:
    """The chat message of the "sources only" view."""
    lines = [
        f"#{rank} {literal(p.chunk.source)} › {literal(p.chunk.section)} (score {p.score:.4f})"
        for rank, p in enumerate(answer.passages, start=1)
    ]
    return chat_message(
        '<div class="retrieved">Retrieved passages:<br>' + "<br>".join(lines) + "</div>"
    )
