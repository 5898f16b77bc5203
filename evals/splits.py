"""Deterministic splits: tune (choose values), dev (look while working), final (report once).

- SQuAD: by article. The articles ranked by sha256(title): the first half tune,
  then half of the rest dev, the remainder final (16 articles: 8 / 4 / 4), so no
  question of one split asks about an article another split touches. Tune is the
  same 8 articles as the former tune/test halves; dev and final divide the former
  test half.
- Suites (PubMedQA, your own): by a hash of the key (PubMedQA: the PMID, one
  question per abstract; others: the question id), so a row keeps its split when
  rows are added: tune when the first byte of sha256(key) is even (the former tune
  half), else dev when the second byte is even, else final. A row may pin its split
  (the seeds suite pins every row, evals/README.md).

The corpus indexed for a suite is the same for every split (documents are not
labels); only the questions are divided.
"""

import hashlib
from collections.abc import Iterable, Sequence
from typing import Literal

Split = Literal["tune", "dev", "final"]
SPLITS: tuple[Split, ...] = ("tune", "dev", "final")


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def split_of(key: str) -> Split:
    """``tune`` when the first byte of sha256(key) is even; else ``dev`` when the
    second byte is even, else ``final``."""
    digest = _digest(key)
    if digest[0] % 2 == 0:
        return "tune"
    return "dev" if digest[1] % 2 == 0 else "final"


def split_groups(keys: Iterable[str]) -> dict[str, Split]:
    """Whole groups (SQuAD articles) by sha256 order: the first half of ``keys``
    (rounded up) tune, the first half of the rest (rounded up) dev, the rest final."""
    ranked = sorted(set(keys), key=_digest)
    tune = (len(ranked) + 1) // 2
    dev = tune + (len(ranked) - tune + 1) // 2
    return {
        key: "tune" if at < tune else "dev" if at < dev else "final"
        for at, key in enumerate(ranked)
    }


def membership(pairs: Sequence[tuple[str, str]]) -> str:
    """sha256 of the sorted ``(question id, split)`` pairs: recorded beside the data
    hashes, so that a change of split rules is seen as a change of data."""
    lines = sorted(f"{key}\t{split}" for key, split in pairs)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
