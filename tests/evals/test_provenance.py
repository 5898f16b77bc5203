"""The committed tuned values and gate say which data chose them, and it is today's data.

rag/tuned.json (`make tune`) and rag/gate.json (`make train-gate`) record the sha256 of
every data file and of the membership of the tune rows they were chosen on. When a
file or a split rule changes, this fails until both commands are run again.
"""

import json
from pathlib import Path

import pytest

from evals.splits import membership
from evals.tune import DOCS_SUITE, SEEDS_SUITE, load_sets, sha256
from rag.settings import Settings
from tests.conftest import REPO


@pytest.mark.parametrize(("name", "command"), [("tuned", "make tune"), ("gate", "make train-gate")])
def test_the_recorded_data_is_todays(
    name: str, command: str, squad_file: Path, pubmedqa_file: Path, tmp_path: Path
) -> None:
    provenance = json.loads((REPO / "rag" / f"{name}.json").read_text())["provenance"]
    # make tune also asks python3-doc's tune questions (their folder is not read here:
    # the questions' file is what chose, the corpus is Debian's package).
    docs = Path("/usr/share/doc/python3.11/html") if name == "tuned" else None
    data = (SEEDS_SUITE, squad_file, pubmedqa_file, *([DOCS_SUITE] if docs else []))
    files = {path.name: path for path in data}
    stale = f"rag/{name}.json was chosen on other data: run `{command}`"
    assert provenance["data"] == {n: sha256(p) for n, p in files.items()}, stale
    sets = load_sets(Settings(data_dir=tmp_path), squad_file, pubmedqa_file, "tune", docs)
    rows = {s.name: membership([(r.id, r.split or "") for r in s.rows]) for s in sets}
    assert provenance.get("tune_rows") == rows, stale
    assert provenance["questions"] == {s.name: len(s.rows) for s in sets}, stale
