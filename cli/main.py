"""The `rag` command: a thin layer that parses, calls the library and prints."""

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from rag.errors import NotFound, RagError
from rag.settings import (
    MASK,
    SECRET_SETTINGS,
    Settings,
    SettingsInvalid,
    load_settings,
    setting_origins,
)

# Only typer, rich and the settings load with the command: the chain (Chroma, the
# embedder, LangChain), evals/ and ui/ are imported inside the commands that use
# them, so `rag --help` and `rag config` answer at once and `rag ask` starts sooner.
if TYPE_CHECKING:
    from rag.schema import Answer

app = typer.Typer(
    help="Ask questions about a folder of documents; answers cite exact passages.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)

JsonOption = Annotated[bool, typer.Option("--json", help="print one JSON object")]
CollectionOption = Annotated[
    str | None,
    typer.Option("--collection", "-c", help="the collection (document set) [default: collection]"),
]
DEFAULT_CORPUS = Path("seeds")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


def _bars(progress: Progress) -> Callable[[str, int], Callable[[], None]]:
    """A callback that adds a bar of ``total`` steps named ``name`` and returns its step."""

    def bar(name: str, total: int) -> Callable[[], None]:
        task = progress.add_task(name, total=total)
        return lambda: progress.advance(task)

    return bar


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def _settings(**values: object) -> Settings:
    """The settings, or one line naming the bad setting and exit status 2."""
    try:
        return load_settings(**values)
    except SettingsInvalid as error:
        _fail(str(error), 2)
        raise  # unreachable: _fail exits


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="files or folders [default: seeds/]")
    ] = None,
    as_json: JsonOption = False,
    reset: Annotated[
        bool, typer.Option("--reset", help="empty the index first, then ingest from nothing")
    ] = False,
    collection: CollectionOption = None,
) -> None:
    """Add, update and remove documents so the index matches the files.

    With --collection, into that collection (created if new) instead of the default.
    """
    from ingest.pipeline import ingest as run_ingest
    from rag.models.embeddings import load_embeddings
    from rag.retrieve.index import open_index, reset_index
    from rag.retrieve.lexical import LiveBm25, cache_path

    settings = _settings(**({"collection": collection} if collection else {}))
    _warn_if_exposed(settings)
    try:
        if reset:
            reset_index(settings)
        index = open_index(settings, create=True)  # only ingest creates a collection
        with _progress() as progress:
            task = progress.add_task("ingesting files", total=None)
            report = run_ingest(
                paths or [DEFAULT_CORPUS],
                settings,
                index,
                load_embeddings(settings),
                on_progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
            # Bring the saved BM25 state up to date now, so `rag serve` only loads it.
            progress.update(task, description="indexing terms", completed=0, total=None)
            with report.stage("BM25"):
                LiveBm25(index, cache_path(settings)).current()
    except RagError as error:
        _fail(str(error))
    for skipped in report.skipped:
        err.print(f"[yellow]skipped[/] {escape(skipped.source)}: {escape(skipped.reason)}")
    if as_json:
        print(report.model_dump_json())
    else:
        out.print(report.summary())
    if not report.ok:
        _fail("nothing could be ingested")


def _print_answer(answer: "Answer") -> None:
    if answer.notice:
        err.print(f"[yellow]note:[/] {escape(answer.notice)}")
    style = "italic yellow" if answer.abstained else ""
    out.print(escape(answer.answer), style=style, highlight=False)
    for c in answer.citations:
        where = c.location.describe() if c.location else ""  # page 2, slide 3, headings
        place = f"{escape(where)}, " if where else ""
        out.print(
            f"\n[bold][{c.n}][/] {escape(c.source)} › {escape(c.section)} "
            f"[dim]({place}chars {c.start}-{c.end}, score {c.score:.2f})[/]",
            highlight=False,
        )
        out.print(f"    “{escape(c.quote)}”", highlight=False)
        if c.also:
            out.print(f"    [dim]also in {escape(', '.join(c.also))}[/]", highlight=False)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the question")],
    as_json: JsonOption = False,
    k: Annotated[int | None, typer.Option(help="passages to retrieve")] = None,
    collection: CollectionOption = None,
    source: Annotated[
        list[str] | None,
        typer.Option(help="only documents under this folder or file (repeatable)"),
    ] = None,
) -> None:
    """Answer a question from the indexed documents, citing exact passages."""
    from rag.catalog import valid_name
    from rag.chain import Chain
    from rag.schema import Answer

    settings = _settings(**({"k": k} if k is not None else {}))
    try:
        valid_name(collection or settings.collection)
    except RagError as error:  # a bad argument, like a bad setting
        _fail(str(error), 2)
    # A generated answer streams to stderr as it is written; the checked answer
    # (markers verified, unsupported sentences flagged or dropped) follows on stdout.
    live = settings.llm != "none" and not as_json
    try:
        chain = Chain(settings).collection(collection)
        # A killed (or still running) ingest leaves the index part-updated: say so, answer.
        unfinished = chain.index.unfinished_ingest()
        if unfinished:
            err.print(f"[yellow]note:[/] {escape(unfinished)}")
        for event in chain.stream(question, sources=source or ()):
            if isinstance(event, Answer):
                answer = event
            elif live:
                err.print(event, end="", style="dim", highlight=False, markup=False)
    except NotFound as error:  # a collection or a --source that names nothing
        _fail(str(error), 2)
    except RagError as error:
        _fail(str(error))
    if live:
        err.print()
    if as_json:
        print(answer.model_dump_json())
    else:
        _print_answer(answer)


@app.command("collections")
def list_collections(as_json: JsonOption = False) -> None:
    """List the collections (document sets) with their file and chunk counts."""
    from rag.catalog import list_collections as listed

    settings = _settings()
    try:
        collections = listed(settings)
    except RagError as error:
        _fail(str(error))
    if as_json:
        print(json.dumps([c.model_dump() for c in collections]))
        return
    table = Table("collection", "files", "chunks", "")
    for c in collections:
        table.add_row(escape(c.name), str(c.files), str(c.chunks), "default" if c.default else "")
    out.print(table)


@app.command()
def config(as_json: JsonOption = False) -> None:
    """Print the effective settings and where each value came from."""
    settings = _settings()
    origins = setting_origins(settings)
    values = settings.model_dump(mode="json")
    for name in SECRET_SETTINGS:  # never printed: shown as **** (an empty list stays [])
        value = values[name]
        values[name] = [MASK] * len(value) if isinstance(value, list) else value and MASK
    if as_json:
        print(json.dumps({name: {"value": values[name], "from": origins[name]} for name in values}))
        return
    table = Table("setting", "value", "from", "description")
    for name, field in Settings.model_fields.items():
        table.add_row(name, escape(repr(values[name])), origins[name], field.description or "")
    out.print(table)


@app.command("eval")
def evaluate(
    suite: Annotated[
        str | None,
        typer.Argument(help="a suite .jsonl file, squad, pubmedqa, compare, ci, tune or tune-gate"),
    ] = None,
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="squad/pubmedqa: the JSON; compare: two results FILE[:RUN]"),
    ] = None,
    corpus: Annotated[
        Path | None, typer.Option(help="ingest this folder into its own index")
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="write results here")] = None,
    report: Annotated[Path | None, typer.Option(help="write a Markdown report (+ PNG)")] = None,
    fail_under: Annotated[
        list[str] | None, typer.Option(help="METRIC=VALUE; exit 1 when below")
    ] = None,
    retriever: Annotated[
        list[str] | None,
        typer.Option(
            help="a configuration to run (repeatable): hybrid, hybrid-no-rerank, "
            "bm25, dense, langchain, txtai, txtai-rerank"
        ),
    ] = None,
    baselines: Annotated[
        bool,
        typer.Option(
            help="run every configuration (ours with and without re-ranking, "
            "BM25, dense, the LangChain recipe, txtai, txtai re-ranked)"
        ),
    ] = False,
    split: Annotated[
        Literal["tune", "dev", "final", "all"],
        typer.Option(help="tune, dev or final (evals/splits.py), or all"),
    ] = "all",
    limit: Annotated[int | None, typer.Option(help="sample this many questions")] = None,
    seed: Annotated[int, typer.Option(help="sampling seed")] = 0,
    compare: Annotated[
        tuple[str, str] | None, typer.Option(help="the same as `rag eval compare A B`")
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="with 'ci': the limits to hold (evals/ci-baseline.json)")
    ] = None,
    write_baseline: Annotated[
        Path | None, typer.Option(help="with 'ci': derive the limits from this run, write here")
    ] = None,
    final_log: Annotated[
        Path, typer.Option(help="with --split final: the append-only record")
    ] = Path("docs/final-runs.md"),
    squad: Annotated[
        Path | None, typer.Option(help="with tune, tune-gate, ci: SQuAD 2.0 JSON")
    ] = None,
    pubmedqa: Annotated[
        Path | None, typer.Option(help="with tune, tune-gate, ci: PubMedQA JSON")
    ] = None,
    docs: Annotated[
        Path | None,
        typer.Option(help="with tune: python3-doc's HTML folder (its questions take part)"),
    ] = None,
    tuned: Annotated[
        Path, typer.Option("--out", help="with 'tune': where the chosen values go")
    ] = Path("rag/tuned.json"),
    gate_out: Annotated[
        Path, typer.Option("--gate-out", help="with 'tune-gate': where the gate goes")
    ] = Path("rag/gate.json"),
) -> None:
    """Measure retrieval, answers, citations and abstention on a suite, each figure
    with its 95 % bootstrap interval and question count.

    `rag eval compare A.json B.json` pairs two runs question by question: each
    metric's difference, its interval and p-value (FILE:RUN picks a run by name).
    `rag eval ci --squad PATH --pubmedqa PATH --baseline evals/ci-baseline.json`
    is the CI gate (`--write-baseline` derives its limits: make ci-baseline).
    `rag eval tune --squad PATH --pubmedqa PATH` chooses every tunable on the tune
    splits and writes them to rag/tuned.json (the defaults of Settings).
    `rag eval tune-gate --squad PATH --pubmedqa PATH` trains the answerability gate
    on the tune splits and writes it to rag/gate.json (--report: docs/gate.md + PNG).
    `--split final` appends the figures to docs/final-runs.md: run it once, at the end.
    """
    # The CLI is the composition root: the one place in rag/ that reaches evals/.
    from evals import report as reports
    from evals.evaluate import CONFIGURATIONS, evaluate, load_rows
    from evals.gates import failed_limits, parse_limits
    from evals.runner import dump_runs

    for name in retriever or []:
        if name not in CONFIGURATIONS:
            _fail(f"--retriever {name}: use one of {', '.join(CONFIGURATIONS)}", 2)
    given = paths or []
    try:
        if compare or suite == "compare":
            _compare(list(compare) if compare else given)
            return
        if suite is None:
            raise RagError("give a suite file, 'squad PATH', 'pubmedqa PATH' or 'compare A B'")
        if suite in ("tune", "tune-gate", "ci"):
            sets = {n: p for n, p in (("squad", squad), ("pubmedqa", pubmedqa)) if p}
            for path in sets.values():
                if not path.is_file():
                    _fail(f"{path} not found", 2)
            if docs is not None and not docs.is_dir():
                _fail(f"{docs} is not a folder (make bench-data installs python3-doc)", 2)
            if suite == "tune":
                _tune(squad, pubmedqa, docs, tuned, report)
            elif suite == "tune-gate":
                _tune_gate(squad, pubmedqa, gate_out, report)
            else:
                _ci(sets, retriever[0] if retriever else None, baseline, write_baseline)
            return
        if split == "final" and limit is not None:
            raise RagError("the final split is reported whole: drop --limit")
        floors = parse_limits(fail_under or [])
        settings = _settings()
        dataset = Path(given[0]) if given else None
        name, rows, corpus = load_rows(suite, dataset, corpus, limit, seed, settings, split)
        configurations = CONFIGURATIONS if baselines else retriever or [settings.retriever]
        with _progress() as progress:
            runs = evaluate(rows, name, settings, corpus, configurations, _bars(progress))
    except RagError as error:
        _fail(str(error))
    held_out = split in ("dev", "final")  # targets are judged on held-out questions only
    _wide().print(reports.terminal_table(runs))
    if held_out:
        _wide().print(reports.targets_table(runs[0]))
    if json_out:
        json_out.write_text(dump_runs(runs))
    if report:
        reports.write_markdown(runs, report, targets=held_out)
    if split == "final":
        from evals.final import record

        data = [p for p in (dataset or Path(str(suite)), corpus) if p is not None]
        record(runs, " ".join(["rag", *sys.argv[1:]]), data, final_log)
        err.print(f"[yellow]final split:[/] figures appended to {escape(str(final_log))}")
    failures = failed_limits(runs[0], floors)
    for failure in failures:
        err.print(f"[bold red]below the gate:[/] {escape(failure)}")
    if failures:
        raise typer.Exit(1)


def _wide() -> Console:
    """Eval tables (a value and its interval per cell, a column per configuration) are
    wider than 80 columns: a log or a pipe gets them unwrapped, a terminal at its width."""
    return out if out.is_terminal else Console(width=240)


def _compare(specs: list[str]) -> None:
    from evals.compare import compare_runs, compare_table, load_run

    if len(specs) != 2:
        raise RagError("usage: rag eval compare A.json B.json (or FILE:RUN for a named run)")
    before, after = load_run(specs[0]), load_run(specs[1])
    differences, count = compare_runs(before, after)
    _wide().print(compare_table(before, after, differences, count))


def _ci(
    sets: dict[str, Path], configuration: str | None, baseline: Path | None, write: Path | None
) -> None:
    from evals.ci import check_sample, ci_table, failures, load_baseline, run_ci
    from evals.ci import write_baseline as derive

    if not sets:
        raise RagError("usage: rag eval ci --squad PATH --pubmedqa PATH --baseline FILE")
    if (baseline is None) == (write is None):
        raise RagError("rag eval ci needs --baseline FILE (check) or --write-baseline FILE")
    settings = _settings()
    limits = load_baseline(baseline) if baseline else None
    if limits is not None:
        check_sample(limits, sets, settings)
    with _progress() as progress:
        runs = run_ci(settings, sets, configuration or settings.retriever, _bars(progress))
    if write is not None:
        limits = derive(runs, sets, " ".join(["rag", *sys.argv[1:]]), write)
        err.print(f"limits written to {escape(str(write))}")
    _wide().print(ci_table(runs, limits))
    found = failures(runs, limits) if baseline and limits else []
    for failure in found:
        err.print(f"[bold red]CI gate:[/] {escape(failure)}")
    if found:
        raise typer.Exit(1)


def _tune(
    squad: Path | None, pubmedqa: Path | None, docs: Path | None, tuned: Path, report: Path | None
) -> None:
    from evals.tune import evidence_markdown, tune, write_tuned

    command = " ".join(["rag eval tune", *sys.argv[3:]])
    with _progress() as progress:
        values, evidence, sets = tune(_settings(), squad, pubmedqa, _bars(progress), docs)
    write_tuned(values, sets, command, tuned)
    table = Table("setting", "value", title=f"chosen on the tune splits, written to {tuned}")
    for name, value in values.items():
        table.add_row(name, str(value))
    _wide().print(table)
    if report:
        report.write_text(evidence_markdown(values, evidence, command))


def _tune_gate(
    squad: Path | None, pubmedqa: Path | None, out_path: Path, report: Path | None
) -> None:
    from evals.train_gate import tune_gate, write

    for path in (squad, pubmedqa):
        if path is not None and not path.is_file():
            _fail(f"{path} not found", 2)
    if not out_path.parent.is_dir():
        _fail(f"--gate-out {out_path}: no folder {out_path.parent}", 2)
    command = " ".join(["rag eval tune-gate", *sys.argv[3:]])
    with _progress() as progress:
        gate, evidence = tune_gate(_settings(), squad, pubmedqa, _bars(progress), command)
    write(gate, evidence, out_path, report)
    table = Table("set", "decider", "abstention F1", "false abstention", "answer recall")
    table.title = f"dev splits; gate written to {out_path} (threshold {gate['threshold']})"
    for row in evidence["dev"]:
        table.add_row(
            row["set"],
            row["decider"],
            f"{row['abstention_f1']:.3f}",
            f"{row['false_abstention']:.3f}",
            f"{row['answer_recall']:.3f}",
        )
    _wide().print(table)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 7860,
) -> None:
    """Serve the chat UI, the JSON API and the embeddable widget."""
    # The CLI is the composition root: the one place in rag/ that reaches ui/.
    from rag.chain import Chain
    from ui.server import serve as run_server

    settings = _settings()
    _warn_if_exposed(settings)
    if settings.inference_threads is None:  # one per request: concurrent answers do not contend
        settings = settings.model_copy(update={"inference_threads": 1})
    try:
        run_server(Chain(settings), host, port)
    except OSError as error:  # the port is taken, or the host is not this machine's
        _fail(f"cannot serve on {host}:{port}: {error}")


def _warn_if_exposed(settings: Settings) -> None:
    from rag.private import exposure

    warning = None if settings.chroma_url else exposure(settings.data_dir)
    if warning:
        err.print(f"[yellow]{escape(warning)}[/]")


def main() -> None:
    """Entry point that turns configuration errors into messages, not tracebacks."""
    from rag.private import make_private

    make_private()  # the index, caches, uploads and keys are for this user only
    try:
        app()
    except SettingsInvalid as error:
        err.print(f"[bold red]error:[/] {escape(str(error))}")
        sys.exit(2)
    except RagError as error:
        err.print(f"[bold red]error:[/] {escape(str(error))}")
        sys.exit(1)
