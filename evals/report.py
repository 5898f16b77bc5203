"""Reports of eval runs: a terminal table, JSON, Markdown with a PNG chart, a comparison."""

import math
from collections.abc import Sequence
from pathlib import Path

from rich.table import Table

from evals.gates import target_status
from evals.runner import RunResult

# The metrics shown in tables and charts, in reading order.
SHOWN = [
    "hit@1",
    "hit@3",
    "hit@5",
    "hit@10",
    "mrr@10",
    "answer_recall",
    "answer_recall_first",
    "exact_match",
    "f1",
    "f1_answerable",
    "citation_precision",
    "citation_validity",
    "cites_relevant",
    "abstain_rate",
    "false_abstention_rate",
    "abstention_f1",
    "latency_p50_ms",
    "latency_p95_ms",
]
CHARTED = [m for m in SHOWN if not m.startswith("latency")]


def _format(value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.3f}"


def terminal_table(runs: Sequence[RunResult]) -> Table:
    """Metrics by run, one column per run."""
    table = Table("metric", *(run.name for run in runs), title=f"{runs[0].suite}")
    for metric in SHOWN:
        table.add_row(metric, *(_format(run.metrics.get(metric, math.nan)) for run in runs))
    return table


def targets_table(run: RunResult) -> Table:
    """The product's targets, PASS or MISSED, for ``run``."""
    table = Table("target", "value", "goal", "", title=f"targets: {run.name}")
    for name, value, goal, status in target_status(run):
        colour = "green" if status == "PASS" else "red"
        table.add_row(name, _format(value), f"≥ {goal}", f"[{colour}]{status}[/]")
    return table


def compare_table(before: RunResult, after: RunResult) -> Table:
    """Two runs side by side with the change of every metric."""
    table = Table("metric", before.name, after.name, "delta", title="comparison")
    for metric in SHOWN:
        a, b = before.metrics.get(metric, math.nan), after.metrics.get(metric, math.nan)
        delta = b - a
        style = "" if math.isnan(delta) or delta == 0 else "green" if delta > 0 else "red"
        if metric.startswith(("latency", "false_")):
            style = {"green": "red", "red": "green"}.get(style, style)  # lower is better
        sign = "+" if delta > 0 else ""
        table.add_row(
            metric,
            _format(a),
            _format(b),
            f"[{style}]{sign}{_format(delta)}[/]" if style else _format(delta),
        )
    return table


def write_chart(runs: Sequence[RunResult], path: Path) -> None:
    """A grouped bar chart of the quality metrics, one bar colour per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width = 0.8 / len(runs)
    figure, axes = plt.subplots(figsize=(max(8, len(CHARTED) * 0.9), 4.5))
    for offset, run in enumerate(runs):
        values = [run.metrics.get(m, math.nan) for m in CHARTED]
        positions = [i + offset * width for i in range(len(CHARTED))]
        axes.bar(positions, [0 if math.isnan(v) else v for v in values], width, label=run.name)
    axes.set_xticks([i + width * (len(runs) - 1) / 2 for i in range(len(CHARTED))])
    axes.set_xticklabels(CHARTED, rotation=40, ha="right")
    axes.set_ylim(0, 1.05)
    axes.set_title(runs[0].suite)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_markdown(runs: Sequence[RunResult], path: Path) -> None:
    """A Markdown report: metrics table, chart, settings and the missed questions."""
    chart = path.with_suffix(".png")
    write_chart(runs, chart)
    lines = [f"# Eval report: {runs[0].suite}", "", f"![metrics]({chart.name})", ""]
    lines += [
        "| metric | " + " | ".join(r.name for r in runs) + " |",
        "| --- |" + " --- |" * len(runs),
    ]
    lines += [
        f"| {m} | " + " | ".join(_format(r.metrics.get(m, math.nan)) for r in runs) + " |"
        for m in SHOWN
    ]
    lines += [
        "",
        f"Targets ({runs[0].name}):",
        "",
        "| target | value | goal | |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {name} | {_format(value)} | ≥ {goal} | {status} |"
        for name, value, goal, status in target_status(runs[0])
    ]
    for run in runs:
        settings = ", ".join(f"{k}={v}" for k, v in run.settings.items())
        lines += ["", f"## {run.name}", "", f"Settings: {settings}", ""]
        missed = [r for r in run.rows if r.answerable and r.metrics.get("answer_recall") == 0]
        wrong = [r for r in run.rows if not r.answerable and not r.abstained]
        lines.append(
            f"Answerable questions missed: {len(missed)}; "
            f"unanswerable questions answered: {len(wrong)}."
        )
        for row in (missed + wrong)[:20]:
            lines.append(f"- `{row.id}` {row.question} → {row.answer[:160]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
