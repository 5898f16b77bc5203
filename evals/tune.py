"""`rag eval tune`: choose every tunable on the tune splits, write rag/tuned.json.

Order matters: fusion first (retrieval decides which passages the answerer sees),
then the answer's similarity weight together with the re-ranking by best sentence
(the weight scores the sentences that re-rank the passages, so each weight is
judged in the order its own chosen re-ranking gives), then the abstention threshold
over the re-ranked passages, then the citation check's threshold. Every choice reads tune-split
rows only; the dev-split figures of the citation check are computed after its
threshold is fixed, for the report. No command here reads the final split.
"""

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from evals import metrics
from evals.bootstrap import RESAMPLES, Difference, Ratio, intervals, paired_mean
from evals.claims import HELD_OUT, KINDS, CheckedClaim, check_claims, make_claims
from evals.compare import p_text
from evals.corpus import corpus_settings, ingest_corpus
from evals.evaluate import load_rows
from evals.markdown import entries_table
from evals.observed import Observed, observe
from evals.splits import membership
from evals.suite import SuiteRow
from evals.tune_rerank import RERANK_RULE, choose_rerank, in_order
from evals.tune_retrieval import tune_fusion
from rag.chain import Chain
from rag.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SEEDS_SUITE, SEEDS_CORPUS = REPO / "evals/suites/seeds.jsonl", REPO / "seeds"
# Questions on real documentation (Debian's python3-doc): they take part in choosing the
# answer's sentence scoring only, the one choice they inform that does not need their
# corpus embedded once per chunking variant (~15k chunks each).
DOCS_SUITE = REPO / "evals/suites/python-docs-tune.jsonl"
WEIGHTS = [round(w / 20, 2) for w in range(21)]
THRESHOLDS = [round(t / 100, 2) for t in range(0, 100)]
MAX_FALSE_ABSTENTION = 0.05
ANSWERING_RULE = (
    "the weight with the best mean first-sentence answer recall over the sets; a weight"
    " other than the incumbent (the value in use when the tune starts) replaces it only"
    " when a paired bootstrap over the tune questions finds its mean better (the 95 %"
    " interval of the difference above 0): a flat objective keeps what is in use"
)


@dataclass
class TuneSet:
    """One public set: its rows of one split and its corpus folder."""

    name: str
    data: Path
    rows: list[SuiteRow]
    folder: Path

    def settings(self, base: Settings, values: dict[str, Any]) -> Settings:
        """``base`` with ``values``, pointed at this corpus's index so built (ingested)."""
        settings = corpus_settings(self.folder, base.model_copy(update=values))
        ingest_corpus(self.folder, settings)
        return settings


def load_sets(
    base: Settings,
    squad: Path | None,
    pubmedqa: Path | None,
    split: str,
    docs: Path | None = None,
) -> list[TuneSet]:
    """The seeds suite and the datasets given, with their corpus folders; with ``docs``
    (python3-doc's HTML folder), the documentation questions last."""
    specs: list[tuple[str, str, Path | None, Path | None, Path]] = [
        ("seeds", str(SEEDS_SUITE), None, SEEDS_CORPUS, SEEDS_SUITE)
    ]
    if squad:
        specs.append(("squad", "squad", squad, None, squad))
    if pubmedqa:
        specs.append(("pubmedqa", "pubmedqa", pubmedqa, None, pubmedqa))
    if docs:
        specs.append(("docs", str(DOCS_SUITE), None, docs, DOCS_SUITE))
    sets = []
    for name, suite, dataset, corpus, data in specs:
        _, rows, folder = load_rows(suite, dataset, corpus, None, 0, base, split)
        assert folder is not None, "every tune set has a corpus"
        sets.append(TuneSet(name, data, rows, folder))
    return sets


def _first_hits(
    observed: Sequence[Observed], weight: float, orders: Sequence[list[int]]
) -> list[float | None]:
    """Per row, whether its best sentence among the passages shown in ``orders`` (one
    per row) holds a gold answer (1.0 or 0.0); None for a row without gold answers."""
    hits: list[float | None] = []
    for item, order in zip(observed, orders, strict=True):
        if not (item.row.answerable and item.row.answers):
            hits.append(None)
            continue
        best = item.best(weight, order)
        answers = item.row.answers
        hits.append(
            float(best is not None and metrics.answer_recall(best.citation.quote, answers) == 1)
        )
    return hits


def _set_ratios(by_set: dict[str, list[float | None]]) -> list[Ratio]:
    """One first-sentence recall per set over all sets' rows, in ``by_set``'s order
    (zero outside the set), for ``paired_mean``."""
    every = [(name, hit) for name, hits in by_set.items() for hit in hits]
    return [
        Ratio(
            np.array([(hit or 0.0) if name == own else 0.0 for name, hit in every]),
            np.array([float(hit is not None and name == own) for name, hit in every]),
        )
        for own in by_set
    ]


@dataclass
class Answering:
    """The answer weight chosen with its re-ranking, the tables that chose them, and
    the paired comparison of the best weight with the incumbent (None when they agree
    or there is no incumbent)."""

    weight: float
    reranking: dict[str, Any]
    table: list[dict[str, Any]]
    rerank_table: list[dict[str, Any]]
    against_incumbent: Difference | None = None


def choose_answering(
    observed: dict[str, list[Observed]],
    by_set: dict[str, list[Observed]],
    incumbent: float | None = None,
) -> Answering:
    """The weight by ``ANSWERING_RULE``: each weight judged by the mean first-sentence
    answer recall over the sets of ``observed``, in the order its re-ranking gives (the
    re-ranking chosen for it on ``by_set``, ``choose_rerank``: the sets with passage
    relevance), applied to every set's questions. An incumbent off the grid is judged
    beside it. Each question is then put in the chosen order."""
    table, reranks, hits = [], {}, {}
    for weight in sorted({*WEIGHTS, *([] if incumbent is None else [incumbent])}):
        reranking, rerank_table = choose_rerank(by_set, weight)
        reranks[weight] = reranking, rerank_table
        hits[weight] = {
            name: _first_hits(obs, weight, [in_order(o, weight, reranking) for o in obs])
            for name, obs in observed.items()
        }
        recalls = {
            name: ratio.value()
            for name, ratio in zip(hits[weight], _set_ratios(hits[weight]), strict=True)
        }
        known = [r for r in recalls.values() if r == r]
        table.append({"weight": weight, **reranking, **recalls, "mean": sum(known) / len(known)})
    weight = max(table, key=lambda entry: entry["mean"])["weight"]
    against = None
    if incumbent in hits and incumbent != weight:
        groups = [o.row.group or f"{n}:{o.row.id}" for n, obs in observed.items() for o in obs]
        against = paired_mean(
            _set_ratios(hits[incumbent]), _set_ratios(hits[weight]), groups, f"mean at {weight}"
        )
        if not against.better:
            weight = incumbent
    reranking, rerank_table = reranks[weight]
    for obs in observed.values():
        for item in obs:
            item.order = in_order(item, weight, reranking)
    return Answering(weight, reranking, table, rerank_table, against)


def _abstention(observed: Sequence[Observed], weight: float, threshold: float) -> dict[str, float]:
    abstained = []
    for item in observed:
        best = item.best(weight)
        abstained.append(best is None or best.score(weight) < threshold)
    return metrics.abstention([o.row.answerable for o in observed], abstained)


def choose_threshold(
    by_set: dict[str, list[Observed]], weight: float
) -> tuple[float, list[dict[str, Any]]]:
    """The threshold with the best abstention F1 over all tune rows among those whose
    false-abstention rate is at most MAX_FALSE_ABSTENTION on every set."""
    everything = [o for obs in by_set.values() for o in obs]
    table = []
    for threshold in THRESHOLDS:
        per_set = {name: _abstention(obs, weight, threshold) for name, obs in by_set.items()}
        table.append(
            {
                "threshold": threshold,
                "abstention_f1": _abstention(everything, weight, threshold)["abstention_f1"],
                **{f"{n}_false_abstention": m["false_abstention_rate"] for n, m in per_set.items()},
                **{f"{n}_abstention_f1": m["abstention_f1"] for n, m in per_set.items()},
            }
        )
    allowed = [
        entry
        for entry in table
        if all(
            not value > MAX_FALSE_ABSTENTION
            for key, value in entry.items()
            if key.endswith("_false_abstention")
        )
    ]
    best = max(allowed, key=lambda entry: (entry["abstention_f1"], -entry["threshold"]))
    return best["threshold"], table


def choose_citation_check(
    claims: Sequence[CheckedClaim],
) -> tuple[tuple[float, float], list[dict[str, Any]]]:
    """The citation check's (similarity weight, threshold) with the best balanced
    accuracy: the mean of the share of true claims accepted and the share of false
    ones (hard negatives and random passages) refused; ties to the lowest values.
    The HELD_OUT kinds take no part: they measure the rule, they do not shape it."""
    claims = [c for c in claims if c.kind not in HELD_OUT]
    table = []
    for weight in WEIGHTS:
        scored = [(balanced_accuracy(claims, weight, t), t) for t in THRESHOLDS]
        accuracy, threshold = max(scored, key=lambda at: (at[0], -at[1]))
        table.append({"weight": weight, "best_threshold": threshold, "balanced_accuracy": accuracy})
    best = max(table, key=lambda entry: (entry["balanced_accuracy"], -entry["weight"]))
    return (best["weight"], best["best_threshold"]), table


def balanced_accuracy(claims: Sequence[CheckedClaim], weight: float, threshold: float) -> float:
    """Mean of true claims accepted and false claims refused."""
    true = [c for c in claims if c.kind == "true"]
    false = [c for c in claims if c.kind != "true"]
    accepted = sum(c.accepted(weight, threshold) for c in true) / len(true)
    refused = sum(not c.accepted(weight, threshold) for c in false) / len(false)
    return (accepted + refused) / 2


def claim_figures(
    claims: Sequence[CheckedClaim], weight: float, threshold: float
) -> dict[str, Any]:
    """Per kind of claim, the share judged correctly (true claims accepted, the others
    refused) with its 95 % interval and count, claims of one question resampled together;
    the balanced accuracy is over the kinds that chose the check (not HELD_OUT)."""
    chosen_by = [c for c in claims if c.kind not in HELD_OUT]
    figures: dict[str, Any] = {
        "claims": len(claims),
        "balanced_accuracy": balanced_accuracy(chosen_by, weight, threshold),
    }
    right = np.array([c.accepted(weight, threshold) == (c.kind == "true") for c in claims])
    kinds = {
        kind: Ratio(right * of_kind, of_kind.astype(float))
        for kind in KINDS
        if (of_kind := np.array([c.kind == kind for c in claims])).any()
    }
    found = intervals(kinds, [c.question for c in claims])
    for kind in KINDS:  # every kind, so that the report's rows line up
        interval = found.get(kind)
        figures[kind] = f"{kinds[kind].value():.3f} {interval.describe()}" if interval else "–"
    return figures


def sha256(path: Path) -> str:
    """The file's sha256, recorded beside the values it chose."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def provenance(sets: Sequence[TuneSet], command: str) -> dict[str, Any]:
    """What chose a tuned value: the command, the date, the data, which questions of it
    (``membership`` of the tune rows: a change of split rules changes it) and how many."""
    return {
        "command": command,
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "split": "tune",
        "data": {s.data.name: sha256(s.data) for s in sets},
        "tune_rows": {s.name: membership([(r.id, r.split or "") for r in s.rows]) for s in sets},
        "questions": {s.name: len(s.rows) for s in sets},
    }


def write_tuned(values: dict[str, Any], sets: Sequence[TuneSet], command: str, out: Path) -> None:
    """rag/tuned.json: the values and what chose them."""
    chosen_by = provenance(sets, command)
    out.write_text(json.dumps({"values": values, "provenance": chosen_by}, indent=1) + "\n")


def tune(
    base: Settings,
    squad: Path | None,
    pubmedqa: Path | None,
    progress: Callable[[str, int], Callable[[], None]],
    docs: Path | None = None,
) -> tuple[dict[str, Any], dict[str, Any], list[TuneSet]]:
    """Choose every tunable on the tune splits; the documentation questions of ``docs``
    (when given) take part in the answer's sentence scoring (``DOCS_SUITE``).

    Returns:
        (values for rag/tuned.json, the evidence tables, the tune sets).
    """
    sets = load_sets(base, squad, pubmedqa, "tune", docs)
    public = [s for s in sets if s.name != "docs"]
    fusion, fusion_table = tune_fusion([(s.name, s.rows, s.folder) for s in public], base)
    observed = {
        s.name: observe(s.rows, s.settings(base, fusion), progress(s.name, len(s.rows)))
        for s in sets
    }
    by_set = {name: found for name, found in observed.items() if name != "docs"}
    chosen = choose_answering(observed, by_set, base.answer_similarity_weight)
    threshold, threshold_table = choose_threshold(by_set, chosen.weight)
    answering = {
        "answer_similarity_weight": chosen.weight,
        **chosen.reranking,
        "abstain_below": threshold,
    }
    tune_claims = claims_of(public, base, fusion | answering, progress)
    (check_weight, supported_at), check_table = choose_citation_check(tune_claims)
    checking = {"citation_similarity_weight": check_weight, "citation_supported_at": supported_at}
    values = fusion | answering | checking
    dev_claims = claims_of(load_sets(base, squad, pubmedqa, "dev"), base, values, progress)
    evidence = {
        "fusion": fusion_table,
        "answer_similarity_weight": chosen.table,
        "answer_against_incumbent": chosen.against_incumbent,
        "rerank": chosen.rerank_table,
        "abstain_below": threshold_table,
        "citation_check_weight": check_table,
        "citation_check": {
            "tune": claim_figures(tune_claims, check_weight, supported_at),
            "dev": claim_figures(dev_claims, check_weight, supported_at),
        },
    }
    return values, evidence, sets


def claims_of(
    sets: Sequence[TuneSet],
    base: Settings,
    values: dict[str, Any],
    progress: Callable[[str, int], Callable[[], None]],
) -> list[CheckedClaim]:
    """True, hard-negative and random claims from the sets with short answers, checked."""
    checked = []
    for tune_set in sets:
        rows = [r for r in tune_set.rows if r.answerable and r.answers]
        if not rows:
            continue
        chain = Chain(tune_set.settings(base, values))
        claims = make_claims(rows, chain, seed=0)
        checked += check_claims(claims, chain, progress(f"claims: {tune_set.name}", len(claims)))
    return checked


def against_incumbent(verdict: Difference | None) -> list[str]:
    """The report's line on the best weight against the incumbent (none when they agree)."""
    if verdict is None:
        return []
    kept = "taken" if verdict.better else "not taken: the incumbent stays"
    return [
        f"The best weight against the incumbent ({verdict.metric}): {verdict.before:.3f} ->"
        f" {verdict.after:.3f}, difference {verdict.delta:+.3f} [{verdict.low:+.3f},"
        f" {verdict.high:+.3f}], p {p_text(verdict.p_value, RESAMPLES)}, {verdict.questions}"
        f" questions; {kept}.",
        "",
    ]


def evidence_markdown(values: dict[str, Any], evidence: dict[str, Any], command: str) -> str:
    """The tuning report: the chosen values, then every table that chose them."""
    lines = [
        "# Tuning (tune splits only)",
        "",
        f"Written by `{command}` on {datetime.now(UTC):%Y-%m-%d}. Every value below was",
        "chosen on the tune split of each set (evals/splits.py); the citation check's",
        "dev-split figures are computed after its threshold was fixed.",
        "",
        "| setting | value |",
        "| --- | --- |",
        *(f"| {name} | {value} |" for name, value in values.items()),
        "",
        "## Fusion",
        "",
        *entries_table(evidence["fusion"]),
        "",
        "## Answer similarity weight and re-ranking (first-sentence answer recall, each"
        " weight in the order of the re-ranking chosen for it)",
        "",
        f"Rule: {ANSWERING_RULE}.",
        "",
        *entries_table(evidence["answer_similarity_weight"]),
        "",
        *against_incumbent(evidence["answer_against_incumbent"]),
        f"## Re-ranking by the best sentence at the chosen weight ({RERANK_RULE})",
        "",
        *entries_table(evidence["rerank"]),
        "",
        f"## Abstention threshold (false abstention at most {MAX_FALSE_ABSTENTION} on every set)",
        "",
        *entries_table(
            [e for e in evidence["abstain_below"] if e["threshold"] <= 0.6]  # above: all abstain
        ),
        "",
        "## Citation check: similarity weight (best threshold at each weight)",
        "",
        *entries_table(evidence["citation_check_weight"]),
        "",
        "## Citation check (share judged right per kind of claim; evals/claims.py)",
        "",
        *entries_table([{"split": s, **f} for s, f in evidence["citation_check"].items()]),
        "",
    ]
    return "\n".join(lines)
