"""The `rag` command: a thin layer that parses, calls the library and prints.

The composition root: the one place that puts ingest/, the library (rag/), the
server (ui/) and the evals (evals/, whose `rag eval` sub-app is evals/cli.py) together;
rag/ imports none of them."""

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cli.console import JsonOption, err, fail, out, progress, read_settings
from evals.cli import app as eval_app
from rag.errors import NotFound, RagError
from rag.settings import MASK, SECRET_SETTINGS, Settings, SettingsInvalid, setting_origins

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
app.add_typer(eval_app, name="eval")

CollectionOption = Annotated[
    str | None,
    typer.Option("--collection", "-c", help="the collection (document set) [default: collection]"),
]
DEFAULT_CORPUS = Path("seeds")


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

    settings = read_settings(**({"collection": collection} if collection else {}))
    _warn_if_exposed(settings)
    try:
        if reset:
            reset_index(settings)
        index = open_index(settings, create=True)  # only ingest creates a collection
        with progress() as shown:
            task = shown.add_task("ingesting files", total=None)
            report = run_ingest(
                paths or [DEFAULT_CORPUS],
                settings,
                index,
                load_embeddings(settings),
                on_progress=lambda done, total: shown.update(task, completed=done, total=total),
            )
            # Bring the saved BM25 state up to date now, so `rag serve` only loads it.
            shown.update(task, description="indexing terms", completed=0, total=None)
            with report.stage("BM25"):
                LiveBm25(index, cache_path(settings)).current()
    except RagError as error:
        fail(str(error))
    for skipped in report.skipped:
        err.print(f"[yellow]skipped[/] {escape(skipped.source)}: {escape(skipped.reason)}")
    if as_json:
        print(report.model_dump_json())
    else:
        out.print(report.summary())
    if not report.ok:
        fail("nothing could be ingested")


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
    from rag.catalog import Collections
    from rag.chain import Chain
    from rag.retrieve.collections import valid_name
    from rag.schema import Answer

    settings = read_settings(**({"k": k} if k is not None else {}))
    try:
        valid_name(collection or settings.collection)
    except RagError as error:  # a bad argument, like a bad setting
        fail(str(error), 2)
    # A generated answer streams to stderr as it is written; the checked answer
    # (markers verified, unsupported sentences flagged or dropped) follows on stdout.
    live = settings.llm != "none" and not as_json
    try:
        chain = Collections(Chain(settings)).get(collection)
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
        fail(str(error), 2)
    except RagError as error:
        fail(str(error))
    if live:
        err.print()
    if as_json:
        print(answer.model_dump_json())
    else:
        _print_answer(answer)


@app.command("collections")
def list_collections(as_json: JsonOption = False) -> None:
    """List the collections (document sets) with their file and chunk counts."""
    from rag.retrieve.collections import list_collections as listed

    settings = read_settings()
    try:
        collections = listed(settings)
    except RagError as error:
        fail(str(error))
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
    settings = read_settings()
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


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 7860,
) -> None:
    """Serve the chat UI, the JSON API and the embeddable widget."""
    # The CLI is the composition root: the one place in rag/ that reaches ui/.
    from rag.chain import Chain
    from ui.server import serve as run_server

    settings = read_settings()
    _warn_if_exposed(settings)
    if settings.inference_threads is None:  # one per request: concurrent answers do not contend
        settings = settings.model_copy(update={"inference_threads": 1})
    try:
        run_server(Chain(settings), host, port)
    except OSError as error:  # the port is taken, or the host is not this machine's
        fail(f"cannot serve on {host}:{port}: {error}")


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
