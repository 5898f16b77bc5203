"""Calibrate the citation check's threshold (rag.citation_check.SUPPORTED_AT).

Claims are built from the seeds suite: "<question>: <gold answer>." Each claim
is checked against the passage holding its evidence (should be supported) and
against a random other passage (should not). Prints both score lists and the
threshold with the best accuracy.

    python bench/calibrate_citation_check.py
"""

import random
import tempfile
from pathlib import Path

from evals.corpus import corpus_settings, ingest_corpus
from evals.relevance import passage_relevant
from evals.suite import load_suite
from rag.chain import Chain
from rag.citation_check import check_answer
from rag.embeddings import load_embeddings
from rag.models import Passage
from rag.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    """Score the claims and print the best threshold."""
    with tempfile.TemporaryDirectory() as data:
        settings = corpus_settings(REPO / "seeds", Settings(data_dir=Path(data)))
        ingest_corpus(REPO / "seeds", settings)
        chunks = sorted(Chain(settings).index.iter_chunks(), key=lambda c: (c.path, c.start))
        embeddings = load_embeddings(settings)
        rows = [r for r in load_suite(REPO / "evals/suites/seeds.jsonl") if r.answerable]
        rng = random.Random(0)
        supported, unsupported = [], []
        for row in rows:
            claim = f"{row.question.rstrip('?')}: {row.answers[0]}."
            good = [c for c in chunks if passage_relevant(row, c)]
            bad = [c for c in chunks if not passage_relevant(row, c)]
            for chunk, scores in ((good[0], supported), (rng.choice(bad), unsupported)):
                checked = check_answer(claim, [Passage(chunk=chunk, score=1.0)], embeddings, False)
                scores.append(checked.sentences[0].support)
    total = len(supported) + len(unsupported)
    accuracy, threshold = max(
        ((sum(s >= t for s in supported) + sum(u < t for u in unsupported)) / total, t)
        for t in (x / 100 for x in range(20, 90))
    )
    print("supported:  ", sorted(round(s, 2) for s in supported))
    print("unsupported:", sorted(round(u, 2) for u in unsupported))
    print(f"best threshold {threshold:.2f}: accuracy {accuracy:.3f} on {total} claims")


if __name__ == "__main__":
    main()
