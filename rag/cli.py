"""The `rag` command: a thin layer that parses, calls the library and prints."""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from rag.chain import Chain
from rag.errors import RagError
from rag.models import Answer
from rag.settings import Settings, setting_origins

app = typer.Typer(
    help="Ask questions about a folder of documents; answers cite exact passages.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="print one JSON object")]
DEFAULT_CORPUS = Path("seeds")


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="files or folders [default: seeds/]")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Add, update and remove documents so the index matches the files."""
    from ingest.pipeline import ingest as run_ingest
    from rag.embeddings import load_embeddings

    settings = Settings()
    chain = Chain(settings)
    try:
        with Progress(
            TextColumn("embedding"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task("embed", total=None)
            report = run_ingest(
                paths or [DEFAULT_CORPUS],
                settings,
                chain.index,
                load_embeddings(settings),
                on_progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
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


def _print_answer(answer: Answer) -> None:
    style = "italic yellow" if answer.abstained else ""
    out.print(escape(answer.answer), style=style, highlight=False)
    for c in answer.citations:
        out.print(
            f"\n[bold][{c.n}][/] {escape(c.source)} › {escape(c.section)} "
            f"[dim](chars {c.start}-{c.end}, score {c.score:.2f})[/]",
            highlight=False,
        )
        out.print(f"    “{escape(c.quote)}”", highlight=False)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the question")],
    as_json: JsonOption = False,
    k: Annotated[int | None, typer.Option(help="passages to retrieve")] = None,
) -> None:
    """Answer a question from the indexed documents, citing exact passages."""
    settings = Settings(**({"k": k} if k else {}))
    try:
        answer = Chain(settings).answer(question)
    except RagError as error:
        _fail(str(error))
    if as_json:
        print(answer.model_dump_json())
    else:
        _print_answer(answer)


@app.command()
def config(as_json: JsonOption = False) -> None:
    """Print the effective settings and where each value came from."""
    settings = Settings()
    origins = setting_origins(settings)
    values = settings.model_dump(mode="json")
    if as_json:
        print(json.dumps({name: {"value": values[name], "from": origins[name]} for name in values}))
        return
    table = Table("setting", "value", "from", "description")
    for name, field in Settings.model_fields.items():
        table.add_row(name, escape(repr(values[name])), origins[name], field.description or "")
    out.print(table)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 7860,
) -> None:
    """Serve the chat UI in the browser."""
    # The CLI is the composition root: the one place in rag/ that reaches ui/.
    from ui.app import build_app

    build_app(Chain(Settings())).launch(server_name=host, server_port=port, show_error=True)


def main() -> None:
    """Entry point that turns configuration errors into messages, not tracebacks."""
    try:
        app()
    except RagError as error:
        err.print(f"[bold red]error:[/] {escape(str(error))}")
        sys.exit(1)
