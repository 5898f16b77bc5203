"""`rag eval`: run a suite, compare two runs, the CI gate, and the tuning of the defaults.

Every command with ``--json`` prints one JSON document on stdout instead of its tables
(as every other `rag` command does); ``--json-out PATH`` writes the results of a run
to a file that `rag eval compare` reads. `rag eval SUITE ...`, the form before `run`
existed, is `rag eval run SUITE ...`.

Only typer, rich and the settings load here: evals' modules (and the chain, Chroma,
the models) are imported inside the commands that use them.
"""

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from cli.console import JsonOption, bars, err, fail, print_json, progress, read_settings, wide
from rag.errors import RagError


class _RunByDefault(TyperGroup):
    """A first argument that names no command is a suite: `rag eval SUITE` is `rag eval
    run SUITE` (the form every command line and note before `run` used)."""

    # Any: typer vendors its own click (typer._click), whose types are not public.
    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """Resolve ``args[0]`` as a command, or as the suite of ``run``."""
        if args and args[0] not in self.commands:
            args = ["run", *args]
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=_RunByDefault,
    # `rag eval --compare A B` and `rag eval --limit 5 squad F`: options of `run`.
    context_settings={"ignore_unknown_options": True},
    help="Measure retrieval, answers, citations and abstention; compare runs; tune.",
    no_args_is_help=True,
)

SquadOption = Annotated[Path | None, typer.Option(help="SQuAD 2.0 JSON (its tune/dev split)")]
PubmedqaOption = Annotated[Path | None, typer.Option(help="PubMedQA JSON (its tune/dev split)")]
ReportOption = Annotated[Path | None, typer.Option(help="write a Markdown report (+ PNG)")]


@app.command()
def run(
    suite: Annotated[
        str | None, typer.Argument(help="a suite .jsonl file, squad or pubmedqa")
    ] = None,
    dataset: Annotated[
        Path | None, typer.Argument(help="squad/pubmedqa: the official JSON file")
    ] = None,
    corpus: Annotated[
        Path | None, typer.Option(help="ingest this folder into its own index")
    ] = None,
    as_json: JsonOption = False,
    json_out: Annotated[
        Path | None, typer.Option("--json-out", help="write the results here (for compare)")
    ] = None,
    report: ReportOption = None,
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
    final_log: Annotated[
        Path, typer.Option(help="with --split final: the append-only record")
    ] = Path("docs/final-runs.md"),
) -> None:
    """Score a suite, each figure with its 95 % bootstrap interval and question count.

    `--split final` appends the figures to docs/final-runs.md: run it once, at the end.
    """
    from evals import report as reports
    from evals.evaluate import CONFIGURATIONS, evaluate, load_rows
    from evals.gates import failed_limits, parse_limits
    from evals.runner import dump_runs

    if compare:
        _compare(*compare, as_json)
        return
    if suite is None:
        fail("give a suite file, 'squad PATH' or 'pubmedqa PATH'", 2)
        return
    for name in retriever or []:
        if name not in CONFIGURATIONS:
            fail(f"--retriever {name}: use one of {', '.join(CONFIGURATIONS)}", 2)
    if dataset is not None and dataset.suffix == ".json" and suite not in ("squad", "pubmedqa"):
        fail(f"{dataset}: only squad and pubmedqa take a data file (--json-out writes one)", 2)
    try:
        if split == "final" and limit is not None:
            raise RagError("the final split is reported whole: drop --limit")
        floors = parse_limits(fail_under or [])
        chosen = read_settings()
        name, rows, corpus = load_rows(suite, dataset, corpus, limit, seed, chosen, split)
        configurations = CONFIGURATIONS if baselines else retriever or [chosen.retriever]
        with progress() as shown:
            runs = evaluate(rows, name, chosen, corpus, configurations, bars(shown))
    except RagError as error:
        fail(str(error))
    held_out = split in ("dev", "final")  # targets are judged on held-out questions only
    if as_json:
        print(dump_runs(runs))
    else:
        wide().print(reports.terminal_table(runs))
        if held_out:
            wide().print(reports.targets_table(runs[0]))
    if json_out:
        json_out.write_text(dump_runs(runs))
    if report:
        reports.write_markdown(runs, report, targets=held_out)
    if split == "final":
        from evals.final import record

        data = [p for p in (dataset or Path(suite), corpus) if p is not None]
        record(runs, " ".join(["rag", *sys.argv[1:]]), data, final_log)
        err.print(f"[yellow]final split:[/] figures appended to {escape(str(final_log))}")
    failures = failed_limits(runs[0], floors)
    for failure in failures:
        err.print(f"[bold red]below the gate:[/] {escape(failure)}")
    if failures:
        raise typer.Exit(1)


@app.command("compare")
def compare_command(
    before: Annotated[str, typer.Argument(help="results FILE[:RUN] (`--json-out`)")],
    after: Annotated[str, typer.Argument(help="results FILE[:RUN] to compare with it")],
    as_json: JsonOption = False,
) -> None:
    """Pair two runs question by question: each metric's difference, interval, p-value.

    FILE:RUN picks a run of a file by its name (e.g. squad.json:txtai).
    """
    _compare(before, after, as_json)


def _compare(before_spec: str, after_spec: str, as_json: bool) -> None:
    from evals.compare import compare_runs, compare_table, load_run

    try:
        before, after = load_run(before_spec), load_run(after_spec)
        differences, count = compare_runs(before, after)
    except RagError as error:
        fail(str(error))
    if as_json:
        found = [asdict(d) | {"delta": d.delta} for d in differences]
        print_json({"before": before.name, "after": after.name, "paired": count, "metrics": found})
    else:
        wide().print(compare_table(before, after, differences, count))


def _existing(squad: Path | None, pubmedqa: Path | None) -> dict[str, Path]:
    """The data files given, by set name; exit 2 naming one that is not there."""
    given = {n: p for n, p in (("squad", squad), ("pubmedqa", pubmedqa)) if p is not None}
    for path in given.values():
        if not path.is_file():
            fail(f"{path} not found", 2)
    return given


@app.command()
def ci(
    squad: SquadOption = None,
    pubmedqa: PubmedqaOption = None,
    baseline: Annotated[
        Path | None, typer.Option(help="the limits to hold (evals/ci-baseline.json)")
    ] = None,
    write_baseline: Annotated[
        Path | None, typer.Option(help="derive the limits from this run, write them here")
    ] = None,
    retriever: Annotated[str | None, typer.Option(help="the configuration to gate")] = None,
    as_json: JsonOption = False,
) -> None:
    """The CI gate: fixed dev samples held to the limits of a baseline file.

    `--write-baseline FILE` derives the limits from this run instead (make ci-baseline).
    """
    from evals.ci import check_sample, ci_table, failures, load_baseline, run_ci
    from evals.ci import write_baseline as derive

    sets = _existing(squad, pubmedqa)
    try:
        if not sets:
            raise RagError("usage: rag eval ci --squad PATH --pubmedqa PATH --baseline FILE")
        if (baseline is None) == (write_baseline is None):
            raise RagError("rag eval ci needs --baseline FILE (check) or --write-baseline FILE")
        chosen = read_settings()
        limits = load_baseline(baseline) if baseline else None
        if limits is not None:
            check_sample(limits, sets, chosen)
        with progress() as shown:
            runs = run_ci(chosen, sets, retriever or chosen.retriever, bars(shown))
        if write_baseline is not None:
            limits = derive(runs, sets, " ".join(["rag", *sys.argv[1:]]), write_baseline)
            err.print(f"limits written to {escape(str(write_baseline))}")
    except RagError as error:
        fail(str(error))
    found = failures(runs, limits) if baseline and limits else []
    if as_json:
        results = {name: json.loads(run.model_dump_json()) for name, run in runs.items()}
        print_json({"runs": results, "failures": found})
    else:
        wide().print(ci_table(runs, limits))
    for failure in found:
        err.print(f"[bold red]CI gate:[/] {escape(failure)}")
    if found:
        raise typer.Exit(1)


@app.command()
def tune(
    squad: SquadOption = None,
    pubmedqa: PubmedqaOption = None,
    docs: Annotated[
        Path | None, typer.Option(help="python3-doc's HTML folder (its questions take part)")
    ] = None,
    out: Annotated[Path, typer.Option(help="where the chosen values go")] = Path("rag/tuned.json"),
    report: ReportOption = None,
    as_json: JsonOption = False,
) -> None:
    """Choose every tunable on the tune splits; write them to rag/tuned.json.

    They are the defaults of Settings; --report writes the evidence (docs/tuning.md).
    """
    from evals.tune import evidence_markdown, write_tuned
    from evals.tune import tune as choose

    _existing(squad, pubmedqa)
    if docs is not None and not docs.is_dir():
        fail(f"{docs} is not a folder (make bench-data installs python3-doc)", 2)
    command = " ".join(["rag eval tune", *sys.argv[3:]])
    try:
        with progress() as shown:
            values, evidence, sets = choose(read_settings(), squad, pubmedqa, bars(shown), docs)
    except RagError as error:
        fail(str(error))
    write_tuned(values, sets, command, out)
    if report:
        report.write_text(evidence_markdown(values, evidence, command))
    if as_json:
        print_json({"values": values, "written": str(out)})
        return
    table = Table("setting", "value", title=f"chosen on the tune splits, written to {out}")
    for name, value in values.items():
        table.add_row(name, str(value))
    wide().print(table)


@app.command("tune-gate")
def tune_gate(
    squad: SquadOption = None,
    pubmedqa: PubmedqaOption = None,
    gate_out: Annotated[Path, typer.Option("--gate-out", help="where the gate goes")] = Path(
        "rag/gate.json"
    ),
    report: ReportOption = None,
    as_json: JsonOption = False,
) -> None:
    """Train the answerability gate on the tune splits; write it to rag/gate.json.

    --report writes the evidence (docs/gate.md and its PNG).
    """
    from evals.train_gate import tune_gate as train
    from evals.train_gate import write

    _existing(squad, pubmedqa)
    if not gate_out.parent.is_dir():
        fail(f"--gate-out {gate_out}: no folder {gate_out.parent}", 2)
    command = " ".join(["rag eval tune-gate", *sys.argv[3:]])
    try:
        with progress() as shown:
            gate, evidence = train(read_settings(), squad, pubmedqa, bars(shown), command)
    except RagError as error:
        fail(str(error))
    write(gate, evidence, gate_out, report)
    if as_json:
        print_json({"gate": gate, "dev": evidence["dev"], "written": str(gate_out)})
        return
    _print_gate(gate, evidence, gate_out)


def _print_gate(gate: dict[str, Any], evidence: dict[str, Any], written: Path) -> None:
    table = Table("set", "decider", "abstention F1", "false abstention", "answer recall")
    table.title = f"dev splits; gate written to {written} (threshold {gate['threshold']})"
    for row in evidence["dev"]:
        table.add_row(
            row["set"],
            row["decider"],
            f"{row['abstention_f1']:.3f}",
            f"{row['false_abstention']:.3f}",
            f"{row['answer_recall']:.3f}",
        )
    wide().print(table)
