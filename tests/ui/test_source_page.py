"""The source view's page shows a bounded part of a long text around the quote."""

import re

from rag.retrieve.index import FileRecord
from rag.retrieve.source_text import SourceText
from ui.source_page import PART, part, source_page

MARKED = re.compile(r'<mark id="quote" tabindex="-1" autofocus>(.*?)</mark>')


def test_a_long_text_is_shown_in_a_part_around_the_quote() -> None:
    text = "a" * (3 * PART) + "the quote" + "b" * (3 * PART)
    record = FileRecord(path="/d/long.txt", source="long.txt", digest="x", chunks=0, version="1")
    found = SourceText(record, [], text)
    span = (3 * PART, 3 * PART + len("the quote"))
    shown = part(span, len(text))
    assert shown == (2 * PART, 4 * PART + len("the quote"))
    page = source_page(found, span, "", None, shown, ("../before", "../after"))
    assert MARKED.findall(page) == ["the quote"]
    assert len(page) < 2 * PART + 5_000  # not the 300,000 characters of the text
    assert '<a href="../before">the text before</a>' in page
    assert '<a href="../after">the text after</a>' in page
    assert part(None, len(text)) == (0, PART)  # no quote: the start of the text
    assert part((0, 9), 9) == (0, 9)  # a short text: all of it
