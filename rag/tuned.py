"""Defaults chosen on the tune splits: rag/tuned.json (``rag eval tune``) and the
answerability gate's threshold in rag/gate.json (``rag eval tune-gate``).

Each file is its command's output (values, data hashes, command, date); the
evidence is in docs/tuning.md and docs/gate.md.
"""

import json
from importlib.resources import files
from typing import Any

TUNED: dict[str, Any] = json.loads(files("rag").joinpath("tuned.json").read_text())["values"]
GATE_THRESHOLD: float = json.loads(files("rag").joinpath("gate.json").read_text())["threshold"]
