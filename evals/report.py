"""Reports of eval runs: a terminal table, Markdown with a PNG chart; every figure with
its 95 % interval and the number of questions it is over (evals/bootstrap.py)."""

import math
from collections.abc import Sequence
from pathlib import Path

from rich.table import Table

from evals.gates import target_status
from evals.markdown import markdown_table
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


def questions(run: RunResult, metric: str) -> str:
    """How many questions ``metric`` is over in ``run`` (and in how many groups)."""
    interval = run.intervals.get(metric)
    if interval is None:
        return "–"
    if interval.groups != interval.questions:
        return f"{interval.questions} ({interval.groups} groups)"
    return str(interval.questions)


def cell(run: RunResult, metric: str) -> str:
    """``0.846 [0.828, 0.863]``: the value and its 95 % interval."""
    value, interval = run.metrics.get(metric, math.nan), run.intervals.get(metric)
    if math.isnan(value) or interval is None or math.isnan(interval.low):
        return _format(value)
    return f"{_format(value)} [{_format(interval.low)}, {_format(interval.high)}]"


def terminal_table(runs: Sequence[RunResult]) -> Table:
    """Metrics by run, one column per run, each value with its 95 % interval; the
    questions column counts those of the first run each metric is over."""
    title = f"{runs[0].suite} (95 % bootstrap intervals)"
    table = Table("metric", "questions", *(run.name for run in runs), title=title)
    for metric in SHOWN:
        table.add_row(metric, questions(runs[0], metric), *(cell(run, metric) for run in runs))
    return table


def targets_table(run: RunResult) -> Table:
    """The product's targets, PASS or MISSED, for ``run``."""
    table = Table("target", "value", "goal", "", title=f"targets: {run.name}")
    for name, _, goal, status in target_status(run):
        colour = "green" if status == "PASS" else "red"
        table.add_row(name, cell(run, name), f"≥ {goal}", f"[{colour}]{status}[/]")
    return table


def _zero(value: float) -> float:
    return 0.0 if math.isnan(value) else value


def write_chart(runs: Sequence[RunResult], path: Path) -> None:
    """A grouped bar chart of the quality metrics, one bar colour per run, with the
    95 % intervals as error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width = 0.8 / len(runs)
    figure, axes = plt.subplots(figsize=(max(8, len(CHARTED) * 0.9), 4.5))
    for offset, run in enumerate(runs):
        values = [_zero(run.metrics.get(m, math.nan)) for m in CHARTED]
        bounds = [run.intervals.get(m) for m in CHARTED]
        below = [
            v - _zero(b.low) if b and not math.isnan(b.low) else 0
            for v, b in zip(values, bounds, strict=True)
        ]
        above = [
            _zero(b.high) - v if b and not math.isnan(b.high) else 0
            for v, b in zip(values, bounds, strict=True)
        ]
        positions = [i + offset * width for i in range(len(CHARTED))]
        axes.bar(positions, values, width, yerr=[below, above], capsize=2, label=run.name)
    axes.set_xticks([i + width * (len(runs) - 1) / 2 for i in range(len(CHARTED))])
    axes.set_xticklabels(CHARTED, rotation=40, ha="right")
    axes.set_ylim(0, 1.05)
    axes.set_title(runs[0].suite)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def metrics_lines(runs: Sequence[RunResult]) -> list[str]:
    """The Markdown table of every shown metric of ``runs``, with intervals and counts."""
    lines = [
        "Each value with its 95 % bootstrap interval (evals/bootstrap.py); questions: how",
        f"many of {len(runs[0].rows)} each metric is over (first run), and in how many groups",
        "when questions are resampled together.",
        "",
    ]
    header = ["metric", "questions", *(r.name for r in runs)]
    rows = ([m, questions(runs[0], m), *(cell(r, m) for r in runs)] for m in SHOWN)
    return lines + markdown_table(header, rows, right_from=1)


def write_markdown(runs: Sequence[RunResult], path: Path, targets: bool = False) -> None:
    """A Markdown report: metrics table, chart, the targets (with ``targets``: a run
    of held-out questions), settings and the missed questions."""
    chart = path.with_suffix(".png")
    write_chart(runs, chart)
    lines = [f"# Eval report: {runs[0].suite}", "", f"![metrics]({chart.name})", ""]
    lines += metrics_lines(runs)
    if targets:
        lines += ["", f"Targets ({runs[0].name}):", ""]
        lines += markdown_table(
            ["target", "value", "goal", ""],
            (
                [name, cell(runs[0], name), f"≥ {goal}", status]
                for name, _, goal, status in target_status(runs[0])
            ),
        )
    for run in runs:
        settings = ", ".join(f"{k}={v}" for k, v in run.settings.items())
        lines += ["", f"## {run.name}", "", f"Settings: {settings}", ""]
        missed = [r for r in run.rows if r.metrics.get("answer_recall_first") == 0]
        wrong = [r for r in run.rows if not r.answerable and not r.abstained]
        lines.append(
            f"Answerable questions whose first sentence holds no gold answer: {len(missed)}; "
            f"unanswerable questions answered: {len(wrong)}."
        )
        for row in (missed + wrong)[:20]:
            lines.append(f"- `{row.id}` {row.question} → {row.answer[:160]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
