"""The one writer of Markdown tables, for the eval, tuning and gate reports and the
benchmarks (bench/)."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def markdown_table(
    header: Sequence[str], rows: Iterable[Sequence[object]], right_from: int | None = None
) -> list[str]:
    """The lines of a GitHub Markdown table.

    Args:
        header: the column names.
        rows: the cells of each row, written with ``str``.
        right_from: the columns from this one on (numbers) are right-aligned; None: none.
    """
    align = [
        "---:" if right_from is not None and i >= right_from else "---" for i in range(len(header))
    ]
    return ["| " + " | ".join(map(str, cells)) + " |" for cells in (header, align, *rows)]


def entries_table(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """The lines of a table of ``entries``: one row each, the first's keys as header,
    floats to three decimals."""
    if not entries:
        return []
    cells = ([f"{v:.3f}" if isinstance(v, float) else v for v in e.values()] for e in entries)
    return markdown_table(list(entries[0]), cells)
