"""Which passages and citations are relevant: character spans that overlap the gold.

A row's gold is its evidence as spans of a file's loaded text: given
(``evidence_spans``, as SQuAD and PubMedQA rows have) or located from its
``evidence`` snippets, with the gold answers found inside them. Comparing
offsets, not text, is fair to any chunker: a chunk that cuts the evidence
sentence still counts when it holds the answer.
"""

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from evals.metrics import QUOTES
from evals.suite import EvidenceSpan, SuiteRow
from ingest.loaders import load
from rag.schema import Chunk, Citation, Passage
from rag.text import Span


@dataclass(frozen=True)
class Folded:
    """A text lower-cased, quotes straightened and white-space runs made one space;
    ``where[i]`` is the index in the original text of folded character ``i``."""

    text: str
    where: list[int]


def fold(text: str) -> Folded:
    """The case-, white-space- and quote-insensitive form of ``text`` with its offsets."""
    chars: list[str] = []
    where: list[int] = []
    for at, char in enumerate(text):
        if char.isspace():
            if chars and chars[-1] == " ":
                continue
            char = " "
        for folded in char.translate(QUOTES).lower():
            chars.append(folded)
            where.append(at)
    return Folded("".join(chars), where)


@lru_cache(maxsize=64)
def _folded_file(path: str) -> Folded:
    return fold(load(Path(path), path).text)


def locate(folded: Folded, snippet: str, within: Span | None = None) -> list[Span]:
    """Every occurrence of ``snippet`` in the folded text, as spans of the original.

    With ``within``, only occurrences inside that span, on word boundaries.
    """
    needle = fold(snippet).text.strip()
    if not needle:
        return []
    low, high = 0, len(folded.text)
    if within is not None:
        low, high = bisect_left(folded.where, within.start), bisect_left(folded.where, within.end)
    found, at = [], folded.text.find(needle, low, high)
    while at >= 0:
        end = at + len(needle)
        bounded = within is None or not (
            (at > 0 and folded.text[at - 1].isalnum())
            or (end < len(folded.text) and folded.text[end].isalnum())
        )
        if bounded:
            found.append(Span(folded.where[at], folded.where[end - 1] + 1))
        at = folded.text.find(needle, at + 1, high)
    return found


def _in_file(source: str, path: str) -> bool:
    """Whether ``path`` is the file ``source`` names (relative to its corpus folder)."""
    parts = Path(source).parts
    return Path(path).parts[-len(parts) :] == parts


@dataclass(frozen=True)
class Gold:
    """A row's gold in one file: evidence spans, and the spans a relevant passage
    must overlap (the answers found inside an evidence span, else the span)."""

    evidence: list[Span]
    targets: list[Span]


def _spans(spans: list[EvidenceSpan], path: str) -> list[Span]:
    return [Span(s.start, s.end) for s in spans if _in_file(s.source, path)]


def gold_in(row: SuiteRow, path: str) -> Gold:
    """The gold of ``row`` inside the file at ``path`` (empty when it holds none)."""
    if row.evidence_spans:
        evidence, answers = _spans(row.evidence_spans, path), _spans(row.answer_spans, path)
    elif row.evidence and (row.source is None or _in_file(row.source, path)):
        folded = _folded_file(path)
        evidence = [span for snippet in row.evidence for span in locate(folded, snippet)]
        answers = [a for e in evidence for g in row.answers for a in locate(folded, g, e)]
    else:
        return Gold([], [])
    targets = []
    for span in evidence:
        inside = [a for a in answers if span.start <= a.start and a.end <= span.end]
        targets += inside or [span]
    return Gold(evidence, list(dict.fromkeys(targets)))


def has_gold(row: SuiteRow) -> bool:
    """Whether relevance can be judged for ``row`` (answerable, with evidence)."""
    return row.answerable and bool(row.evidence or row.evidence_spans)


def _overlaps(start: int, end: int, spans: list[Span]) -> bool:
    return any(s.start < end and start < s.end for s in spans)


def passage_relevant(row: SuiteRow, chunk: Chunk) -> bool:
    """The chunk's ``[start, end)`` overlaps a gold answer (else evidence) span of its file."""
    return _overlaps(chunk.start, chunk.end, gold_in(row, chunk.path).targets)


def holds_gold(row: SuiteRow, chunk: Chunk) -> bool:
    """The chunk overlaps a gold evidence span of its file or says a gold answer (as
    whole words, folded): what to withhold for ``row``'s documents not to answer it.
    An answer of one or two characters, or one the question says itself, is not
    looked for: it would withhold every passage on the topic."""
    text, question = fold(chunk.text).text, fold(row.question).text
    answers = [fold(a).text for a in row.answers]
    said = (
        re.search(rf"(?<!\w){re.escape(a)}(?!\w)", text)
        for a in answers
        if len(a) > 2 and a not in question
    )
    return _overlaps(chunk.start, chunk.end, gold_in(row, chunk.path).evidence) or any(said)


def citation_relevant(row: SuiteRow, citation: Citation, passages: list[Passage]) -> bool:
    """The quoted ``[start, end)`` overlaps a gold evidence span of the same file."""
    passage = citation.passage_in(passages)
    assert passage is not None, "a citation always quotes a retrieved passage"
    evidence = gold_in(row, passage.chunk.path).evidence
    return _overlaps(citation.start, citation.end, evidence)
