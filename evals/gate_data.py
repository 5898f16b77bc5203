"""What the answerability gate learns from: each question's evidence, collected once.

For every question of a set's split, the passages the chain retrieves, the
answerer's ranked sentences and the document frequencies of the question's
terms are kept (data_dir/eval-cache/gate/), so features can be changed and the
gate trained again without retrieving anything.
"""

import gzip
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.corpus import corpus_settings, ingest_corpus
from evals.evaluate import EVIDENCE_SHAPING
from evals.relevance import has_gold, holds_gold
from evals.suite import SuiteRow
from rag.answer.answerability import features, question_terms
from rag.chain import Chain
from rag.schema import Citation, Passage
from rag.settings import Settings
from rag.text import tokenize

# The features read the first two sentences; an answer quotes at most max_sentences.
RANKED_KEPT = 10
# Passages retrieved beyond k, so that k remain once those holding the gold are withheld.
WITHHELD_EXTRA = 10


@dataclass
class Evidence:
    """One question with what the chain found for it."""

    row: SuiteRow
    passages: list[Passage]
    ranked: list[Citation]
    held: dict[str, int]
    chunks: int

    def vector(self) -> np.ndarray:
        """The gate's features of this question (rag.answer.answerability.FEATURES)."""
        return features(self.row.question, self.passages, self.ranked, self.held, self.chunks)

    def dump(self) -> str:
        """One JSON line."""
        return json.dumps(
            {
                "row": self.row.model_dump(mode="json"),
                "passages": [p.model_dump(mode="json") for p in self.passages],
                "ranked": [c.model_dump(mode="json") for c in self.ranked],
                "held": self.held,
                "chunks": self.chunks,
            }
        )

    @classmethod
    def parse(cls, line: str) -> "Evidence":
        """The evidence ``dump`` wrote."""
        data = json.loads(line)
        return cls(
            SuiteRow.model_validate(data["row"]),
            [Passage.model_validate(p) for p in data["passages"]],
            [Citation.model_validate(c) for c in data["ranked"]],
            data["held"],
            data["chunks"],
        )


def withheld_set(name: str) -> str:
    """The name of set ``name``'s questions asked with their gold withheld."""
    return f"{name}-withheld"


def withheld(row: SuiteRow) -> SuiteRow:
    """``row`` made a question its documents do not answer: its gold withheld."""
    return SuiteRow(
        id=f"{row.id}/withheld",
        question=row.question,
        answerable=False,
        source=row.source,
        split=row.split,
    )


def _without(
    held: dict[str, int], chunks: int, dropped: Sequence[Passage]
) -> tuple[int, dict[str, int]]:
    """Document frequencies as if the ``dropped`` chunks were not in the collection."""
    said = [set(tokenize([p.chunk.text])[0]) for p in dropped]
    return chunks - len(dropped), {
        t: max(0, n - sum(t in s for s in said)) for t, n in held.items()
    }


def gather(
    chain: Chain, rows: Sequence[SuiteRow], on_row: Callable[[], None], withhold: bool = False
) -> list[Evidence]:
    """Retrieve and rank for every row with ``chain`` (its settings' ``k``).

    With ``withhold``, each answerable row becomes unanswerable (``withheld``): its
    passages are the best ``k`` that neither overlap its gold evidence nor say a gold
    answer, and the document frequencies leave out the retrieved chunks that do, as
    if the documents lacked them. A row with no passage left is skipped."""
    bm25 = chain.retriever.bm25.current()  # type: ignore[attr-defined]
    k = chain.settings.k
    found = []
    for row in rows:
        chunks, held = bm25.document_frequencies(question_terms(row.question))
        if withhold:
            retrieved = chain.ranked(row.question, k + WITHHELD_EXTRA)
            dropped = [p for p in retrieved if holds_gold(row, p.chunk)]
            passages = [p for p in retrieved if p not in dropped][:k]
            chunks, held = _without(held, chunks, dropped)
            row = withheld(row)
        else:
            passages = chain.ranked(row.question, k)
        if passages:
            ranked = chain.answerer.ranked(row.question, passages)[:RANKED_KEPT]
            found.append(Evidence(row, passages, ranked, held, chunks))
        on_row()
    return found


def collect(
    name: str,
    split: str,
    rows: Sequence[SuiteRow],
    folder: Path,
    base: Settings,
    progress: Callable[[str, int], Callable[[], None]],
    withhold: bool = False,
) -> list[Evidence]:
    """The evidence of ``rows`` over the index of corpus ``folder``, from the cache
    when the rows and the settings that shape it are unchanged; with ``withhold``,
    of its answerable rows with their gold withheld (``gather``)."""
    if withhold:
        name, rows = withheld_set(name), [r for r in rows if has_gold(r)]
    settings = corpus_settings(folder, base)
    # data_dir is the corpus's own index (corpus_settings): evidence is of that index.
    key = hashlib.sha256(
        (
            settings.model_dump_json(include=set(EVIDENCE_SHAPING) | {"data_dir"})
            + f"|{withhold}:{WITHHELD_EXTRA}|"
            + "|".join(r.model_dump_json() for r in rows)
        ).encode()
    ).hexdigest()[:16]
    cache = base.data_dir / "eval-cache" / "gate" / f"{name}-{split}-{key}.jsonl.gz"
    if cache.is_file():
        with gzip.open(cache, "rt", encoding="utf-8") as lines:
            return [Evidence.parse(line) for line in lines]
    ingest_corpus(folder, settings)
    found = gather(Chain(settings), rows, progress(f"{name} ({split})", len(rows)), withhold)
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(".part")
    with gzip.open(partial, "wt", encoding="utf-8") as lines:
        lines.writelines(e.dump() + "\n" for e in found)
    partial.replace(cache)
    return found
