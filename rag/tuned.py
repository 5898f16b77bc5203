"""Defaults chosen by ``rag eval tune`` on the tune splits, read from rag/tuned.json.

The file is that command's output (values, data hashes, command, date); the
evidence for each value is in docs/benchmarks.md.
"""

import json
from importlib.resources import files
from typing import Any

TUNED: dict[str, Any] = json.loads(files("rag").joinpath("tuned.json").read_text())["values"]
