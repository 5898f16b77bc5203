"""SQuAD 2.0 (official JSON) as a corpus of articles and a suite of questions."""

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from evals.splits import Split, split_groups
from evals.suite import EvidenceSpan, SuiteRow
from rag.errors import RagError
from rag.text import Span, sentence_spans


def _evidence(context: str, answer: Span) -> Span:
    """The sentence(s) of ``context`` that hold the answer span (else the answer itself)."""
    spans = sentence_spans(context)
    first = next((s for s in spans if s.start <= answer.start < s.end), None)
    last = next((s for s in spans if s.start < answer.end <= s.end), None)
    if first is None or last is None:
        return answer
    return Span(first.start, last.end)


def _article_text(article: dict[str, Any]) -> str:
    contexts = [p["context"] for p in article["paragraphs"]]
    return article["title"].replace("_", " ") + "\n\n" + "\n\n".join(contexts) + "\n"


def _paragraph_offsets(article: dict[str, Any]) -> list[int]:
    """Where each paragraph starts in the article's file (see ``_article_text``)."""
    offsets, at = [], len(article["title"]) + 2
    for paragraph in article["paragraphs"]:
        offsets.append(at)
        at += len(paragraph["context"]) + 2
    return offsets


def _row(
    qa: dict[str, Any], context: str, offset: int, source: str, split: Split, group: str
) -> SuiteRow:
    """One question; evidence and answers as spans of the article file too."""
    answers = qa.get("answers", [])
    spans = [Span(a["answer_start"], a["answer_start"] + len(a["text"])) for a in answers]
    evidence = {_evidence(context, span) for span in spans}

    def in_file(found: Iterable[Span]) -> list[EvidenceSpan]:
        unique = sorted({(s.start, s.end) for s in found})
        return [EvidenceSpan(source=source, start=offset + a, end=offset + b) for a, b in unique]

    return SuiteRow(
        id=qa["id"],
        question=qa["question"],
        answers=sorted({a["text"] for a in answers}),
        answerable=not qa.get("is_impossible", False) and bool(answers),
        evidence=sorted({context[s.start : s.end] for s in evidence}),
        evidence_spans=in_file(evidence),
        answer_spans=in_file(spans),
        source=source,
        split=split,
        group=group,
    )


def _file_name(number: int, title: str) -> str:
    return f"{number:03d}-{re.sub(r'[^A-Za-z0-9]+', '-', title).strip('-')[:60]}.txt"


def write_articles(articles: list[dict[str, Any]], folder: Path) -> list[Path]:
    """One text file per SQuAD article: its title, then its paragraphs, blank-line
    separated. Unchanged files are left alone (their mtime too)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for number, article in enumerate(articles):
        text = _article_text(article)
        target = folder / _file_name(number, article["title"])
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        files.append(target)
    return files


def build_squad(path: Path, cache: Path) -> tuple[Path, list[SuiteRow]]:
    """Write one text file per article and return the corpus folder and the suite.

    Args:
        path: the SQuAD 2.0 JSON file.
        cache: folder under which the corpus is written (keyed by the file's hash).

    Returns:
        (corpus folder, rows): unanswerable questions included, evidence = the
        sentence(s) holding each gold answer, also as spans of the article file
        (title, blank line, paragraphs joined by blank lines: paragraph offset +
        ``answer_start``), split by article (evals/splits.py), grouped by paragraph.
    """
    if not path.is_file():
        raise RagError(f"SQuAD file {path} not found")
    raw = path.read_bytes()
    try:
        articles = json.loads(raw)["data"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise RagError(f"{path} is not SQuAD JSON: {error}") from None
    corpus = cache / f"squad-{hashlib.sha256(raw).hexdigest()[:12]}" / "corpus"
    files = write_articles(articles, corpus)
    splits = split_groups(article["title"] for article in articles)
    rows = []
    for path, article in zip(files, articles, strict=True):
        split, offsets = splits[article["title"]], _paragraph_offsets(article)
        for number, (paragraph, offset) in enumerate(
            zip(article["paragraphs"], offsets, strict=True)
        ):
            group = f"{path.name}#{number}"  # a paragraph's questions share its context
            for qa in paragraph["qas"]:
                rows.append(_row(qa, paragraph["context"], offset, path.name, split, group))
    return corpus, rows
