"""Whether the splits of a suite are held out from each other: no evidence sentence shared.

Two questions whose evidence is the same sentence of a document test the same
fact; if one is in tune and the other in dev or final, a value chosen on tune has
seen the answer. A sentence is one of ``rag.text.sentence_spans`` of the file's
loaded text, the coordinates of the gold spans (evals/relevance.py).
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from evals.relevance import gold_in
from evals.suite import SuiteRow
from ingest.loaders import load
from ingest.pipeline import discover
from rag.text import Span, sentence_spans


@lru_cache(maxsize=256)
def _sentences(path: str) -> list[Span]:
    return sentence_spans(load(Path(path), path).text)


def _touched(span: Span, sentences: list[Span]) -> list[Span]:
    """The sentences ``span`` overlaps."""
    starts = [s.start for s in sentences]
    first = max(0, bisect_right(starts, span.start) - 1)
    return [s for s in sentences[first:] if s.start < span.end and span.start < s.end]


def shared_evidence(rows: Sequence[SuiteRow], corpus: Path) -> list[str]:
    """One line per evidence sentence of ``corpus`` that rows of different splits
    cite (file, characters, splits and question ids); empty when the splits are
    held out from each other."""
    everywhere = [str(p) for p in discover([corpus])[0]]
    cited: dict[tuple[str, Span], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        paths = [str(corpus / row.source)] if row.source else everywhere
        for path in paths:
            sentences = _sentences(path)
            for span in gold_in(row, path).evidence:
                for sentence in _touched(span, sentences):
                    cited[(path, sentence)][row.split or ""].append(row.id)
    return [
        f"{Path(path).name} [{s.start}, {s.end}): "
        + "; ".join(f"{split} {', '.join(ids)}" for split, ids in sorted(by_split.items()))
        for (path, s), by_split in cited.items()
        if len(by_split) > 1
    ]
