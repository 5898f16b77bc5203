"""The suite format: one JSON object a line (see evals/README.md)."""

import json
import random
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ValidationError, model_validator

from evals.splits import Split, split_of
from rag.errors import RagError


class EvidenceSpan(BaseModel):
    """Characters ``[start, end)`` of the loaded text of file ``source``.

    ``source`` is the file's path relative to the corpus folder, as in ``SuiteRow.source``.
    """

    source: str
    start: int
    end: int


class SuiteRow(BaseModel):
    """One gold question."""

    id: str
    question: str
    answers: list[str] = []
    answerable: bool = True
    evidence: list[str] = []
    source: str | None = None
    evidence_spans: list[EvidenceSpan] = []
    """The evidence as character spans (SQuAD, PubMedQA); else located from ``evidence``."""
    answer_spans: list[EvidenceSpan] = []
    """The gold answers' spans, inside ``evidence_spans``."""
    split: Split | None = None
    """``tune``, ``dev`` or ``final``; by default from the hash of ``id`` (evals/splits.py)."""
    group: str | None = None
    """Questions that are not independent (SQuAD: one paragraph's) share a group; the
    intervals resample groups (evals/bootstrap.py). By default the question alone."""
    pages: list[str] = []
    """Documentation suites: every page that answers the question, relative to the
    corpus folder, the key's page first (found@k is judged by page)."""
    key: str | None = None
    """Documentation suites: a short phrase copied verbatim from the sentence on
    ``pages[0]`` that answers; an answer is useful when its first sentence holds it."""

    @model_validator(mode="after")
    def _consistent(self) -> "SuiteRow":
        if self.split is None:
            self.split = split_of(self.id)
        if self.answerable and not (self.answers or self.evidence or self.evidence_spans):
            raise ValueError("an answerable row needs answers, evidence or evidence_spans")
        if not self.answerable and (self.answers or self.pages or self.key):
            raise ValueError("an unanswerable row must have no answers, pages or key")
        if self.key is not None and not self.pages:
            raise ValueError("a key needs the pages that answer, its own page first")
        return self


def load_suite(path: Path) -> list[SuiteRow]:
    """Read a suite file, naming the line of the first malformed row."""
    if not path.is_file():
        raise RagError(f"suite file {path} not found")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(SuiteRow.model_validate(json.loads(line)))
        except json.JSONDecodeError as error:
            raise RagError(f"{path}:{number}: not a valid suite row: {error}") from None
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in error.errors()
            )
            raise RagError(f"{path}:{number}: not a valid suite row: {problems}") from None
    if not rows:
        raise RagError(f"{path} holds no questions")
    if len({row.id for row in rows}) != len(rows):
        raise RagError(f"{path}: ids are not unique")
    return rows


def in_split(rows: Sequence[SuiteRow], split: str) -> list[SuiteRow]:
    """The rows of ``split`` (``tune``, ``dev``, ``final``, or ``all``)."""
    return [row for row in rows if split in ("all", row.split)]


def sample(rows: Sequence[SuiteRow], limit: int | None, seed: int) -> list[SuiteRow]:
    """``limit`` rows drawn with ``seed``, in their original order (all when None)."""
    if limit is None or limit >= len(rows):
        return list(rows)
    chosen = set(random.Random(seed).sample(range(len(rows)), limit))
    return [row for index, row in enumerate(rows) if index in chosen]
