"""Deterministic tune/test splits: tune on one half, report on the other.

- Suites (seeds, PubMedQA, your own): by a hash of the question id, so a row keeps
  its split when rows are added or removed.
- SQuAD: by article, so no tune question shares a paragraph with a test question;
  the articles ranked by the hash of their title, the first half tune.

The corpus indexed for a suite is the same for both splits (documents are not
labels); only the questions are divided.
"""

import hashlib
from collections.abc import Iterable
from typing import Literal

Split = Literal["tune", "test"]
SPLITS: tuple[Split, ...] = ("tune", "test")


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def split_of(key: str) -> Split:
    """``tune`` when the first byte of sha256(key) is even, else ``test``."""
    return "tune" if _digest(key)[0] % 2 == 0 else "test"


def split_halves(keys: Iterable[str]) -> dict[str, Split]:
    """Exactly half of ``keys`` (rounded up) in tune: the first by sha256 order."""
    ranked = sorted(set(keys), key=_digest)
    half = (len(ranked) + 1) // 2
    return {key: "tune" if at < half else "test" for at, key in enumerate(ranked)}
