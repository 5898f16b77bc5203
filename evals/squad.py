"""SQuAD 2.0 (official JSON) as a corpus of articles and a suite of questions."""

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from evals.suite import SuiteRow
from rag.errors import RagError
from rag.text import sentence_spans


def _evidence(context: str, answer_start: int, answer_text: str) -> str:
    """The sentence(s) of ``context`` that hold the answer span."""
    answer_end = answer_start + len(answer_text)
    spans = sentence_spans(context)
    first = next((s for s in spans if s.start <= answer_start < s.end), None)
    last = next((s for s in spans if s.start < answer_end <= s.end), None)
    if first is None or last is None:
        return answer_text
    return context[first.start : last.end]


def _file_name(number: int, title: str) -> str:
    return f"{number:03d}-{re.sub(r'[^A-Za-z0-9]+', '-', title).strip('-')[:60]}.txt"


def write_articles(articles: list[dict[str, Any]], folder: Path) -> list[Path]:
    """One text file per SQuAD article: its title, then its paragraphs, blank-line
    separated. Unchanged files are left alone (their mtime too)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for number, article in enumerate(articles):
        contexts = [p["context"] for p in article["paragraphs"]]
        text = article["title"].replace("_", " ") + "\n\n" + "\n\n".join(contexts) + "\n"
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
        sentence(s) holding each gold answer.
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
    rows = []
    for path, article in zip(files, articles, strict=True):
        name = path.name
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = qa.get("answers", [])
                rows.append(
                    SuiteRow(
                        id=qa["id"],
                        question=qa["question"],
                        answers=sorted({a["text"] for a in answers}),
                        answerable=not qa.get("is_impossible", False) and bool(answers),
                        evidence=sorted(
                            {
                                _evidence(paragraph["context"], a["answer_start"], a["text"])
                                for a in answers
                            }
                        ),
                        source=name,
                    )
                )
    return corpus, rows
