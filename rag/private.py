"""The data folder holds document text, vectors, keys and feedback: for its owner only.

The ``rag`` command creates everything with umask 077 (folders 0700, files 0600),
whoever wrote the file: Chroma's SQLite, the sentence cache, BM25, uploads, the key.
A folder made earlier with wider modes is reported, not changed behind the user's back.
"""

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
# Enough to tell the user; a data folder holds few files (Chroma keeps a handful each).
_LISTED = 3


def make_private() -> None:
    """Create every later file and folder of this process for its owner only."""
    os.umask(PRIVATE_UMASK)


def exposure(folder: Path) -> str | None:
    """A warning naming what in ``folder`` other local users may read, or None."""
    if not folder.is_dir():
        return None
    opened = [
        path
        for path in [folder, *_walk(folder)]
        if stat.S_IMODE(path.lstat().st_mode) & PRIVATE_UMASK
    ]
    if not opened:
        return None
    shown = ", ".join(f"{p} ({stat.S_IMODE(p.lstat().st_mode):o})" for p in opened[:_LISTED])
    more = f" and {len(opened) - _LISTED} more" if len(opened) > _LISTED else ""
    return (
        f"warning: other users of this machine can read the data folder: {shown}{more}; "
        f"run chmod -R go-rwx {folder}"
    )


def _walk(folder: Path) -> list[Path]:
    found = []
    for root, folders, files in os.walk(folder):
        found += [Path(root, name) for name in folders + files]
    return found
