"""`rag eval tune-gate`: learn the answerability gate on the tune splits, write rag/gate.json.

Each tune set's evidence is collected once (evals/gate_data.py), the gate chosen
on the tune rows alone (evals/gate_fit.py) and saved; only then are the dev
splits read, for the report (evals/gate_report.py): figures beside today's
threshold, the ablation and the trade-off curve.
"""

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evals import gate_report
from evals.gate_data import collect, withheld_set
from evals.gate_fit import Table, select
from evals.tune import TuneSet, load_sets
from evals.tune import provenance as tuned_provenance
from rag.settings import Settings

Progress = Callable[[str, int], Callable[[], None]]
# Sets whose answerable questions are asked again with their gold withheld
# (evals/gate_data.gather): on-topic questions the documents do not answer, as people
# ask them, beside SQuAD's unanswerable ones, written to resemble their paragraph.
WITHHELD_FROM = ("seeds", "squad")


def provenance(sets: Sequence[TuneSet], tune: Table, command: str) -> dict[str, Any]:
    """What trained the gate: as for rag/tuned.json, the unanswerable counts and how
    many questions of ``tune`` were asked again with their gold withheld."""
    unanswerable = {s.name: sum(not r.answerable for r in s.rows) for s in sets}
    withheld = {
        s.name: int((tune.sets == withheld_set(s.name)).sum())
        for s in sets
        if s.name in WITHHELD_FROM
    }
    return tuned_provenance(sets, command) | {"unanswerable": unanswerable, "withheld": withheld}


def table_of(sets: Sequence[TuneSet], split: str, base: Settings, progress: Progress) -> Table:
    """The feature rows of ``sets`` (their evidence collected, or read from the cache),
    and of the answerable questions of those in WITHHELD_FROM with their gold withheld,
    as sets of their own ("squad-withheld")."""
    by_set = {s.name: collect(s.name, split, s.rows, s.folder, base, progress) for s in sets}
    for s in sets:
        if s.name in WITHHELD_FROM:
            withheld = collect(s.name, split, s.rows, s.folder, base, progress, withhold=True)
            by_set[withheld_set(s.name)] = withheld
    return Table.of(by_set)


def tune_gate(
    base: Settings,
    squad: Path | None,
    pubmedqa: Path | None,
    progress: Progress,
    command: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Train and choose the gate on the tune splits, then measure it on the dev splits.

    Returns:
        (the JSON of rag/gate.json, the evidence tables of the report).
    """
    sets = load_sets(base, squad, pubmedqa, "tune")
    most, floor = base.max_sentences, base.abstain_below
    tune = table_of(sets, "tune", base, progress)
    chosen, selection = select(tune, floor)
    gate = chosen.dump(provenance(sets, tune, command))
    dev = table_of(load_sets(base, squad, pubmedqa, "dev"), "dev", base, progress)
    held = chosen.model.probability(dev.columns(chosen.model.names))
    evidence = {
        "selection": selection,
        "tune": gate_report.compare(tune, chosen.cv_probability, chosen.threshold, floor, most),
        "dev": gate_report.compare(dev, held, chosen.threshold, floor, most),
        "ablation": gate_report.ablation(tune, dev, chosen, floor),
        "curve": gate_report.curve(dev, held, chosen.threshold, floor, most),
    }
    return gate, evidence


def write(gate: dict[str, Any], evidence: dict[str, Any], out: Path, report: Path | None) -> None:
    """rag/gate.json, and with ``report`` the Markdown report with its PNG beside it."""
    out.write_text(json.dumps(gate, indent=1) + "\n", encoding="utf-8")
    if report:
        png = report.with_name(report.stem + "-tradeoff.png")
        gate_report.plot(evidence["curve"], gate["threshold"], evidence["dev"], png)
        report.write_text(gate_report.markdown(gate, evidence, png.name), encoding="utf-8")
