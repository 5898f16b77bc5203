"""Character-exact text spans: paragraphs and sentences, plus the terms of a text.

Sentence splitting is hand-written on purpose: citations need exact character
offsets, NLTK's punkt needs a data download (impossible offline), and pysbd is
unmaintained and ~50x slower. The rules below handle the cases our corpora show:
closing quotes after the full stop, abbreviations, initials and list numbers.
"""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import bm25s
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# A full stop, question or exclamation mark, any closing quotes or brackets,
# then white space and something that can start a sentence.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"“‘(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st sr jr vs etc inc ltd co corp no fig e.g i.e approx dept est".split()
)


# What an export, a mirror or a copy-and-paste changes without changing the text.
_FOLD = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′`´", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
    }
)


def folded(text: str) -> str:
    """``text`` as copies of it read alike: Unicode compatibility forms (NFKC), curly
    quotes and dashes made plain, case folded, white space runs made one space."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_FOLD).casefold().split())


@dataclass(frozen=True)
class Span:
    """The half-open character range ``[start, end)`` of a text."""

    start: int
    end: int


def _stripped(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Blank-line separated blocks of ``text[start:end]``, white space trimmed."""
    end = len(text) if end is None else end
    spans, at = [], start
    for match in _PARAGRAPH_BREAK.finditer(text, start, end):
        if (span := _stripped(text, at, match.start())) is not None:
            spans.append(span)
        at = match.end()
    if (span := _stripped(text, at, end)) is not None:
        spans.append(span)
    return spans


def _is_false_stop(text: str, paragraph_start: int, stop: int) -> bool:
    """True when the full stop at ``stop`` ends an abbreviation, initial or list number."""
    if text[stop] != ".":
        return False
    word_start = stop
    while word_start > paragraph_start and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:stop].lower().strip("(\"“‘'")
    if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
        return True
    return word.isdigit() and not text[paragraph_start:word_start].strip()


def _paragraph_sentences(text: str, paragraph: Span) -> Iterator[Span]:
    at = paragraph.start
    for match in _SENTENCE_END.finditer(text, paragraph.start, paragraph.end):
        if _is_false_stop(text, at, match.start()):
            continue
        if (span := _stripped(text, at, match.end())) is not None:
            yield span
        at = match.end()
    if (span := _stripped(text, at, paragraph.end)) is not None:
        yield span


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences of ``text[start:end]``; a sentence never crosses a blank line."""
    return [
        sentence
        for paragraph in paragraph_spans(text, start, end)
        for sentence in _paragraph_sentences(text, paragraph)
    ]


@lru_cache(maxsize=1)
def stemmer() -> Stemmer.Stemmer:
    """The English Snowball stemmer shared by BM25 and lexical overlap."""
    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stemmed content words of each text (English stop words removed).

    The longer stop list (179 words, with question words such as "which") keeps
    questions from matching passages on their grammar alone.
    """
    tokens = bm25s.tokenize(
        texts,
        stopwords=list(STOPWORDS_EN_PLUS),
        stemmer=stemmer(),
        return_ids=False,
        show_progress=False,
    )
    return [list(t) for t in tokens]
