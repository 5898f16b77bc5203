"""What every `rag` command shares: the two consoles, progress bars, one-line failures
and the settings (a bad one is a one-line error with exit status 2)."""

import json
import math
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from rag.settings import Settings, SettingsInvalid, load_settings

out = Console()
err = Console(stderr=True, soft_wrap=True)

JsonOption = Annotated[
    bool, typer.Option("--json", help="print one JSON document on stdout instead of tables")
]
Bars = Callable[[str, int], Callable[[], None]]
"""Given a task's name and step count, returns what to call after each step."""


def progress(console: Console = err) -> Progress:
    """A transient progress display, on stderr unless ``console`` says otherwise (stdout
    stays for the results): the `rag` commands' and the benchmarks' (bench/)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def bars(shown: Progress) -> Bars:
    """A callback that adds a bar of ``total`` steps named ``name`` and returns its step."""

    def bar(name: str, total: int) -> Callable[[], None]:
        task = shown.add_task(name, total=total)
        return lambda: shown.advance(task)

    return bar


def fail(message: str, code: int = 1) -> None:
    """Print ``message`` as one error line on stderr and exit with ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def read_settings(**values: object) -> Settings:
    """The settings, or one line naming the bad setting and exit status 2."""
    try:
        return load_settings(**values)
    except SettingsInvalid as error:
        fail(str(error), 2)
        raise  # unreachable: fail exits


def wide() -> Console:
    """Eval tables (a value and its interval per cell, a column per configuration) are
    wider than 80 columns: a log or a pipe gets them unwrapped, a terminal at its width."""
    return out if out.is_terminal else Console(width=240)


def print_json(value: Any) -> None:
    """``value`` as one strict JSON document on stdout (what ``--json`` means in every
    command): a figure that does not apply (NaN) is null."""
    print(json.dumps(_strict(value)))


def _strict(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _strict(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_strict(item) for item in value]
    return value
