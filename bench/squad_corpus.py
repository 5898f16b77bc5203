"""Shared by the benchmarks: the corpora, their questions, run context and tables.

A SQuAD 2.0 JSON file (official format: ``data[].title``,
``data[].paragraphs[].context`` and ``.qas[].question``) becomes one ``.txt``
file per article: the title on the first line, a blank line, then the
paragraphs separated by blank lines.
"""

import json
import os
import platform
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from evals.markdown import markdown_table as table_lines
from evals.squad import write_articles
from evals.suite import load_suite

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
DEFAULT_SQUAD = (REPO / "../shared/data/squad-v2-dev-half.json").resolve()
SEEDS_QUESTIONS = REPO / "evals" / "suites" / "seeds.jsonl"
# A 1-minute load average above this before a run means another process is busy.
BUSY_LOAD = 0.5

Squad = dict[str, Any]


def load_squad(path: Path) -> Squad:
    """The parsed SQuAD JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def write_squad_corpus(squad: Squad, folder: Path) -> list[Path]:
    """One text file per SQuAD article, exactly as `rag eval squad` builds its corpus."""
    return write_articles(squad["data"], folder)


def copy_seeds(folder: Path) -> list[Path]:
    """Copy the seeds corpus into ``folder`` (writable copies); returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for source in sorted(p for p in SEEDS.rglob("*") if p.is_file()):
        target = folder / source.relative_to(SEEDS)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        files.append(target)
    return files


def squad_questions(squad: Squad, n: int) -> list[str]:
    """The first ``n`` questions in file order (answerable or not)."""
    questions = [
        qa["question"]
        for article in squad["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]
    return questions[:n]


def seeds_questions() -> list[str]:
    """The questions of the bundled seeds eval suite, in file order."""
    return [row.question for row in load_suite(SEEDS_QUESTIONS)]


def run_context() -> dict[str, Any]:
    """Date, commit, Python, cores, torch threads and the load average before measuring.

    Other processes on a 2-core machine slow torch down many times over, so a
    load average well above zero at the start means the figures are suspect.
    """
    import torch

    return {
        "date": datetime.now(UTC).date().isoformat(),
        "commit": subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def warn_if_busy(load_average: float, console: Console) -> None:
    """Say so when another process is busy: timings on 2 cores will be slow and noisy."""
    if load_average > BUSY_LOAD:
        console.print(
            f"[yellow]load average {load_average}: other processes compete for the CPU, "
            "figures will be slow and noisy[/]"
        )


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    """The benchmarks' tables (evals/markdown.py): columns after the first two right-aligned."""
    return "\n".join(table_lines(headers, rows, right_from=2))
