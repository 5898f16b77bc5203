"""Thumbs up/down, appended to ``feedback.jsonl`` in the data directory.

Each record is one ``write`` of one line to a file opened in append mode,
under an exclusive ``flock``: concurrent clicks, even from several app
processes on one machine, never interleave or lose a line. The file is
created readable by its owner only (0600), and a record holds only the
settings named in ``FEEDBACK_SETTINGS``: never a token, password or key.
"""

import fcntl
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.settings import Settings

# An allow-list, not a deny-list: a setting added later stays out until named here.
FEEDBACK_SETTINGS = (
    "embedding_model",
    "embedding_backend",
    "chunk_size",
    "chunk_overlap",
    "retriever",
    "k",
    "dense_weight",
    "bm25_weight",
    "rrf_k",
    "candidates",
    "max_sentences",
    "abstain_below",
    "llm",
    "llm_model",
    "strict_citations",
    "llm_fallback",
)


def record_feedback(
    path: Path, liked: bool, answer: dict[str, Any], settings: Settings, user: str | None = None
) -> None:
    """Append one feedback record.

    Args:
        path: the JSONL file.
        liked: thumbs up (True) or down.
        answer: the answer's JSON (question, answer, citations, ...).
        settings: the settings that produced it (only ``FEEDBACK_SETTINGS`` are kept).
        user: who gave it: the UI login or single sign-on user; None when anonymous.
    """
    record = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "liked": liked,
        "user": user,
        "question": answer.get("question"),
        "answer": answer.get("answer"),
        "citations": answer.get("citations", []),
        "settings": settings.model_dump(mode="json", include=set(FEEDBACK_SETTINGS)),
    }
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # also a file an older version created 0644
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        os.write(descriptor, line)
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)
