"""The final split is reported once, and every report of it is kept.

``rag eval ... --split final`` appends its figures, with the commit, the settings
and the hashes of the data and of the questions asked, to docs/final-runs.md. The
file is only ever appended to; the docs quote final-split figures from it alone.
"""

import hashlib
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from evals.report import metrics_lines
from evals.runner import RunResult
from evals.splits import membership

REPO = Path(__file__).resolve().parent.parent
HEADER = """# Final-split runs

Appended by `rag eval ... --split final` (evals/final.py), one section per run; never
edited by hand. The final split is for reporting once, after every choice was made
on tune and dev (evals/README.md): a figure here that led to a change means the next
run of the final split is no longer held out, which the next section must say.
"""


def commit() -> str:
    """The checkout's commit, and whether its working tree had changes."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "HEAD")
    if not head:
        return "unknown (not a git checkout)"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{head}{' with uncommitted changes' if dirty else ''}"


def sha256_of(path: Path) -> str:
    """The sha256 of a file, or of a folder's files (names and bytes, in order)."""
    digest = hashlib.sha256()
    if path.is_file():
        digest.update(path.read_bytes())
    else:
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(str(file.relative_to(path)).encode())
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def record(runs: Sequence[RunResult], command: str, data: Sequence[Path], log: Path) -> str:
    """Append ``runs`` to ``log`` (created with its header if missing) and return
    the section appended.

    Args:
        runs: the final-split runs of one command (each with its rows).
        command: the command line that made them.
        data: the data files (a suite or the dataset, the corpus folder if any).
        log: docs/final-runs.md.
    """
    rows = runs[0].rows
    questions = membership([(row.id, "final") for row in rows])
    section = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {runs[0].suite}",
        "",
        f"- command: `{command}`",
        f"- commit: {commit()}",
        *(f"- data: `{path.name}` sha256 {sha256_of(path)}" for path in data),
        f"- questions: {len(rows)}, membership sha256 {questions} (evals/splits.py)",
        *(
            f"- settings of {run.name}: "
            + ", ".join(f"{k}={v}" for k, v in sorted(run.settings.items()))
            for run in runs
        ),
        "",
        *metrics_lines(runs),
        "",
    ]
    text = "\n".join(section) + "\n"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as file:
        if file.tell() == 0:
            file.write(HEADER + "\n")
        file.write(text)
    return text
