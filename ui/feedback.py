"""Thumbs up/down, appended to ``feedback.jsonl`` in the data directory.

Each record is one ``write`` of one line to a file opened in append mode,
under an exclusive ``flock``: concurrent clicks, even from several app
processes on one machine, never interleave or lose a line.
"""

import fcntl
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def record_feedback(
    path: Path, liked: bool, answer: dict[str, Any], settings: dict[str, Any]
) -> None:
    """Append one feedback record.

    Args:
        path: the JSONL file.
        liked: thumbs up (True) or down.
        answer: the answer's JSON (question, answer, citations, ...).
        settings: the settings that produced it.
    """
    record = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "liked": liked,
        "question": answer.get("question"),
        "answer": answer.get("answer"),
        "citations": answer.get("citations", []),
        "settings": settings,
    }
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        os.write(descriptor, line)
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)
