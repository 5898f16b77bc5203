"""PubMedQA PQA-L (official JSON) as a corpus of abstracts and a suite of questions.

The file maps a PMID to ``{"QUESTION", "CONTEXTS": [...], "LONG_ANSWER", ...}``.
Each abstract becomes one text file: a heading naming the PMID (not the
question, which would hand retrieval the answer), then its CONTEXTS joined by
blank lines. Each question is answerable, its gold span the whole loaded text
of its own abstract: relevance is "the passage comes from the right paper".
Rows are split by the hash of the PMID (the ``SuiteRow`` default).
"""

import hashlib
import json
from pathlib import Path
from typing import Any

from evals.suite import EvidenceSpan, SuiteRow
from ingest.loaders import load
from rag.errors import RagError


def abstract_text(pmid: str, entry: dict[str, Any]) -> str:
    """The file written for one abstract: ``PMID <id>``, a blank line, the contexts."""
    return f"PMID {pmid}\n\n" + "\n\n".join(entry["CONTEXTS"]) + "\n"


def write_abstracts(entries: dict[str, dict[str, Any]], folder: Path) -> dict[str, Path]:
    """One text file per abstract, ``<pmid>.txt``; unchanged files are left alone."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for pmid, entry in entries.items():
        text = abstract_text(pmid, entry)
        target = folder / f"{pmid}.txt"
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        files[pmid] = target
    return files


def build_pubmedqa(path: Path, cache: Path) -> tuple[Path, list[SuiteRow]]:
    """Write one text file per abstract and return the corpus folder and the suite.

    Args:
        path: the PubMedQA JSON file (e.g. ``ori_pqal.json``).
        cache: folder under which the corpus is written (keyed by the file's hash).

    Returns:
        (corpus folder, rows): one answerable row per question, id = PMID, its
        evidence the whole loaded text of its abstract's file.
    """
    if not path.is_file():
        raise RagError(f"PubMedQA file {path} not found")
    raw = path.read_bytes()
    try:
        entries = json.loads(raw)
        questions = {pmid: (e["QUESTION"], e["CONTEXTS"]) for pmid, e in entries.items()}
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
        raise RagError(f"{path} is not PubMedQA JSON: {error}") from None
    if not questions:
        raise RagError(f"{path} holds no questions")
    corpus = cache / f"pubmedqa-{hashlib.sha256(raw).hexdigest()[:12]}" / "corpus"
    files = write_abstracts(entries, corpus)
    rows = []
    for pmid, (question, _) in questions.items():
        name = files[pmid].name
        length = len(load(files[pmid], name).text)
        rows.append(
            SuiteRow(
                id=str(pmid),
                question=question,
                evidence_spans=[EvidenceSpan(source=name, start=0, end=length)],
                source=name,
            )
        )
    return corpus, rows
