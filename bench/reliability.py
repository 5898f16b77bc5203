"""Crash safety (issue 10): kill -9 ``rag ingest`` at random moments, then let it finish.

Writes a corpus of small text and Markdown files (``--files``, default 48) of
random nautical words; one file holds the sentence that answers ``QUESTION``.
A clean ``rag ingest`` into its own data directory gives the first expected
duration. Then, ``--kills`` times in a row, ``rag ingest`` of the corpus into a
second data directory is killed with SIGKILL at a random moment in [0.5 s,
expected duration], the expected duration being that of the last run that
finished before its kill (the clean ingest's at first); before each run 8 files
are rewritten, so every run has work to do: new chunks, stale chunks and
records. One more kill lands while the ingest is certainly writing (once its
in-progress mark is seen), and ``rag ask`` then answers with a note about the
unfinished ingest. A last run is left to finish; its index must equal a clean
ingest of the final files into a third data directory: same chunk ids, no
duplicates, same manifest (digests, chunk counts), no in-progress mark, and
``rag ask`` cites the file that holds the answer.

Chunks are 200 characters (``RAG_CHUNK_SIZE``) so that the corpus makes several
write batches (512 chunks each) and a kill can fall between them.

    python -m bench.reliability --kills 20      # figures go to docs/reliability.md
"""

import rag  # noqa: F401  (offline environment before any library loads)

# isort: split
import argparse
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "reliability.md"
CORPUS_FILES = 48
# Several write batches of 512 chunks, so that a kill can land between two of them.
CRASH_ENV = {"RAG_CHUNK_SIZE": "200", "RAG_CHUNK_OVERLAP": "40"}
# Files rewritten before each run (about 14 chunks each).
CHANGED_FILES = 8
ASK_TIMEOUT = 300.0
INGEST_TIMEOUT = 900.0
WORDS = ("harbour tide lantern keeper signal rope anchor gull pier beacon shore storm "
         "ledger cargo sail mast compass chart current reef fog bell dock crane "
         "net barrel salt timber tower gallery stair lens wick oil glass").split()  # fmt: skip
ANSWER_NUMBER = 7
FACT = "The lantern of lighthouse number 7 is kept by Hollis Percivalson."
QUESTION = "Who keeps the lantern of lighthouse number 7?"
ANSWER_FILE = "lighthouse-07.txt"


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 14))).capitalize() + "."
        for _ in range(sentences)
    )


def write_file(folder: Path, number: int, revision: int = 0) -> Path:
    """Lighthouse ``number``'s document (its text changes with ``revision``)."""
    rng = random.Random(number * 1000 + revision)
    paragraphs = [_paragraph(rng, 4) for _ in range(8)]
    if number == ANSWER_NUMBER:  # the one sentence QUESTION asks about
        paragraphs.insert(rng.randint(0, len(paragraphs)), FACT)
    if number % 2:
        path = folder / f"lighthouse-{number:02d}.txt"
        text = f"Lighthouse {number}\n\n" + "\n\n".join(paragraphs) + "\n"
    else:
        path = folder / f"lighthouse-{number:02d}.md"
        text = f"# Lighthouse {number}\n\n" + "\n\n".join(paragraphs) + "\n"
    path.write_text(text)
    return path


def write_corpus(folder: Path, files: int = CORPUS_FILES) -> list[Path]:
    """``files`` documents of a few paragraphs each, .txt and .md alternately."""
    folder.mkdir(parents=True, exist_ok=True)
    return [write_file(folder, number) for number in range(files)]


def rag_env(data_dir: Path) -> dict[str, str]:
    """This environment with the crash-test chunking and ``data_dir`` as the index."""
    return {**os.environ, **CRASH_ENV, "RAG_DATA_DIR": str(data_dir)}


def run_rag(
    args: list[str], data_dir: Path, cwd: Path, timeout: float = INGEST_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """``rag ARGS`` to the end, output captured."""
    return subprocess.run(
        [str(BIN / "rag"), *args],
        cwd=cwd,
        env=rag_env(data_dir),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_ingest(corpus: Path, data_dir: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """``rag ingest CORPUS`` in the background, output discarded."""
    return subprocess.Popen(
        [str(BIN / "rag"), "ingest", str(corpus)],
        cwd=cwd,
        env=rag_env(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill(process: subprocess.Popen[bytes]) -> bool:
    """SIGKILL ``process`` unless it already ended; True when it was killed."""
    if process.poll() is not None:
        return False
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return process.returncode == -signal.SIGKILL


@dataclass
class Snapshot:
    """What an index holds, read with paged reads."""

    ids: set[str]
    chunks: int
    duplicates: int
    manifest: dict[str, tuple[str, int]]
    unfinished: str | None


def snapshot(data_dir: Path) -> Snapshot:
    """The chunk ids, duplicate count, manifest and in-progress mark of ``data_dir``'s index."""
    from rag.retrieve.index import open_index
    from rag.settings import Settings

    index = open_index(Settings(data_dir=data_dir))
    chunks = list(index.iter_chunks())
    ids = {c.id for c in chunks}
    spans = {(c.path, c.start, c.end, c.text) for c in chunks}
    return Snapshot(
        ids=ids,
        chunks=index.count(),
        duplicates=len(chunks) - min(len(ids), len(spans)),
        manifest={r.source: (r.digest, r.chunks) for r in index.files().values()},
        unfinished=index.unfinished_ingest(),
    )


def kill_while_writing(
    corpus: Path, data_dir: Path, cwd: Path, timeout: float = INGEST_TIMEOUT
) -> bool:
    """Start an ingest and SIGKILL it as soon as its in-progress mark is seen.

    Returns False when the ingest ended before the mark was seen.
    """
    from rag.retrieve.index import open_index
    from rag.settings import Settings

    index = open_index(Settings(data_dir=data_dir))
    process = start_ingest(corpus, data_dir, cwd)
    deadline = time.monotonic() + timeout
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if index.unfinished_ingest():
                return kill(process)
            time.sleep(0.05)
        return False
    finally:
        kill(process)


@dataclass
class CrashResult:
    """The figures of one crash-safety run."""

    files: int
    clean_seconds: float
    kills: int
    killed: int = 0
    finished_before_kill: int = 0
    # Exit statuses of the runs that ended before their kill: all must be 0.
    early_exits: list[int] = field(default_factory=list)
    marked_after_kill: int = 0
    kill_times: list[float] = field(default_factory=list)
    ask_after_kill: str = ""
    final_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    reference: Snapshot | None = None
    final: Snapshot | None = None

    @property
    def ok(self) -> bool:
        """True when the completed index equals the clean one and asking worked."""
        return not self.problems


def check_ask(result: subprocess.CompletedProcess[str], corpus: Path) -> list[str]:
    """Problems with a ``rag ask``: a traceback, a multi-line error, no cited corpus file."""
    problems = []
    if "Traceback" in result.stderr or "Traceback" in result.stdout:
        problems.append(f"rag ask printed a traceback: {result.stderr[-500:]}")
    if result.returncode == 0:
        if corpus.name not in result.stdout:
            problems.append(f"rag ask cited no file of the corpus: {result.stdout[:300]}")
    elif len(result.stderr.strip().splitlines()) > 2 or "error:" not in result.stderr:
        problems.append(f"rag ask failed without a one-line error: {result.stderr[-500:]}")
    return problems


def compare(reference: Snapshot, final: Snapshot) -> list[str]:
    """How the completed index differs from the clean one (empty when equal)."""
    problems = []
    if final.ids != reference.ids:
        problems.append(
            f"chunk ids differ: {len(final.ids - reference.ids)} extra, "
            f"{len(reference.ids - final.ids)} missing"
        )
    if final.chunks != reference.chunks:
        problems.append(f"{final.chunks} chunks, the clean index has {reference.chunks}")
    if final.duplicates:
        problems.append(f"{final.duplicates} duplicate chunks")
    if final.manifest != reference.manifest:
        differing = sorted(
            s
            for s in final.manifest.keys() | reference.manifest.keys()
            if final.manifest.get(s) != reference.manifest.get(s)
        )
        problems.append(f"manifest records differ for {differing[:5]}")
    if final.unfinished:
        problems.append(f"the completed index still says: {final.unfinished}")
    return problems


def crash_run(
    workdir: Path,
    kills: int,
    seed: int = 0,
    files: int = CORPUS_FILES,
    log: Callable[[str], None] = print,
) -> CrashResult:
    """The whole procedure in ``workdir``: clean reference, kills, completion, checks."""
    rng = random.Random(seed)
    corpus = workdir / "corpus"
    write_corpus(corpus, files)
    clean, crashed = workdir / "clean", workdir / "crashed"
    began = time.perf_counter()
    done = run_rag(["ingest", str(corpus)], clean, workdir)
    result = CrashResult(files=files, clean_seconds=time.perf_counter() - began, kills=kills)
    if done.returncode != 0:
        result.problems.append(f"the clean ingest failed: {done.stderr[-500:]}")
        return result
    log(f"clean ingest: {result.clean_seconds:.1f}s")
    revision = 0
    expected = result.clean_seconds
    for number in range(kills):
        # Some files change before each run: every run has chunks to add and remove.
        revision += 1
        for changed in rng.sample(range(files), CHANGED_FILES):
            write_file(corpus, changed, revision)
        after = rng.uniform(0.5, max(0.6, expected))
        mark_before = snapshot(crashed).unfinished
        process = start_ingest(corpus, crashed, workdir)
        started = time.monotonic()
        while process.poll() is None and time.monotonic() - started < after:
            time.sleep(0.02)
        killed = kill(process)
        if not killed:  # the next run has about as much to do as this one had
            expected = time.monotonic() - started
        result.kill_times.append(round(after, 2))
        result.killed += killed
        result.finished_before_kill += not killed
        if not killed:
            result.early_exits.append(process.returncode)
            if process.returncode != 0:
                result.problems.append(f"run {number + 1} failed with {process.returncode}")
        # This run set its own mark (a new start time): it was killed while writing.
        mark_after = snapshot(crashed).unfinished
        writing = killed and mark_after is not None and mark_after != mark_before
        result.marked_after_kill += writing
        log(f"kill {number + 1}/{kills} at {after:.1f}s: killed={killed} while writing={writing}")
    # One kill certainly while writing, then a question to the half-written index.
    for changed in rng.sample(range(files), CHANGED_FILES):
        write_file(corpus, changed, revision + 1)
    if kill_while_writing(corpus, crashed, workdir):
        asked = run_rag(["ask", QUESTION], crashed, workdir, ASK_TIMEOUT)
        result.ask_after_kill = f"exit {asked.returncode}: {asked.stderr.strip()[:300]}"
        result.problems += check_ask(asked, corpus)
        if "did not finish" not in asked.stderr:
            result.problems.append(f"rag ask did not mention the unfinished ingest: {asked.stderr}")
        log(f"ask after a kill while writing: {result.ask_after_kill}")
    else:
        result.problems.append("the ingest ended before its in-progress mark was seen")
    began = time.perf_counter()
    done = run_rag(["ingest", str(corpus)], crashed, workdir)
    result.final_seconds = time.perf_counter() - began
    if done.returncode != 0:
        result.problems.append(f"the completing ingest failed: {done.stderr[-500:]}")
        return result
    # The reference: a clean ingest of the final files into a fresh data directory.
    done = run_rag(["ingest", str(corpus)], workdir / "reference", workdir)
    if done.returncode != 0:
        result.problems.append(f"the reference ingest failed: {done.stderr[-500:]}")
        return result
    result.reference = snapshot(workdir / "reference")
    result.final = snapshot(crashed)
    result.problems += compare(result.reference, result.final)
    asked = run_rag(["ask", QUESTION], crashed, workdir, ASK_TIMEOUT)
    if asked.returncode != 0:
        result.problems.append(f"rag ask failed after completion: {asked.stderr[-500:]}")
    result.problems += check_ask(asked, corpus)
    if ANSWER_FILE not in asked.stdout:
        result.problems.append(f"rag ask did not cite {ANSWER_FILE}: {asked.stdout[:300]}")
    return result


def machine() -> str:
    """Cores, Python and the load average: what the figures depend on."""
    return (
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.2f} at the start"
    )


def replace_section(doc: Path, title: str, body: str) -> None:
    """Replace the ``## title`` section of ``doc`` (or append it), leaving the others."""
    text = doc.read_text() if doc.exists() else "# Reliability\n"
    heading = f"## {title}\n"
    section = heading + "\n" + body.strip() + "\n"
    if heading in text:
        before, rest = text.split(heading, 1)
        after = rest.split("\n## ", 1)
        text = before + section + ("\n## " + after[1] if len(after) > 1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.write_text(text)


def crash_section(result: CrashResult, command: str, context: str) -> str:
    """The "Crash safety" section of docs/reliability.md."""
    final, reference = result.final, result.reference
    same = final is not None and reference is not None
    chunks = f"{final.chunks} / {reference.chunks}" if final and reference else "-"
    same_ids = same and final.ids == reference.ids  # type: ignore[union-attr]
    same_manifest = same and final.manifest == reference.manifest  # type: ignore[union-attr]
    verdict = "PASS" if result.ok else "FAIL: " + "; ".join(result.problems)
    return f"""
`{command}` on {datetime.now(UTC).date().isoformat()} ({context}).

{result.files} files (.txt and .md, a few paragraphs each; 200-character chunks so that an
ingest writes several batches). A clean `rag ingest` took {result.clean_seconds:.1f}s; then
{result.kills} runs of `rag ingest` over the same corpus ({CHANGED_FILES} files rewritten before
each run) were sent SIGKILL at a random moment in [0.5 s, expected duration], the expected
duration being that of the last run that finished before its kill (kill times, seconds:
{", ".join(f"{t:g}" for t in result.kill_times)}).

| | |
|---|---:|
| runs killed | {result.killed} |
| runs that finished before their kill | {result.finished_before_kill} |
| killed runs that had set their own in-progress mark (while writing) | {result.marked_after_kill} |
| completing run (seconds) | {result.final_seconds:.1f} |
| chunks after completion / in a clean ingest | {chunks} |
| chunk ids equal to the clean ingest's | {same_ids} |
| duplicate chunks | {final.duplicates if final else "-"} |
| manifest (digest, chunk count per file) equal | {same_manifest} |

A run "killed while writing" had set its own in-progress mark (it was embedding or
writing chunks, moves, removals or file records); the other killed runs died while
starting (imports, model load, reading the manifest). Each next run completed what
the killed one left, then one more run finished with nothing killed.

`rag ask` after a kill while writing: {result.ask_after_kill or "-"}

Result: **{verdict}**
"""


def main() -> None:
    """Run the procedure and write the "Crash safety" section of docs/reliability.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20, help="kills in a row")
    parser.add_argument("--files", type=int, default=CORPUS_FILES, help="files in the corpus")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill times")
    parser.add_argument("--no-doc", action="store_true", help="do not write the doc")
    args = parser.parse_args()
    context = machine()
    with tempfile.TemporaryDirectory(prefix="reliability-") as scratch:
        result = crash_run(Path(scratch), args.kills, args.seed, args.files)
    for problem in result.problems:
        print(f"problem: {problem}", file=sys.stderr)
    print("PASS" if result.ok else "FAIL")
    if not args.no_doc:
        command = f"python -m bench.reliability --kills {args.kills}"
        replace_section(DOC, "Crash safety", crash_section(result, command, context))
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
