"""Where models derived from the embedding model (distilled, exported) are cached.

Each derived model lives in ``~/.cache/rag-chat/<kind>/<model>-<key>/``, the key
hashing the source folder (path, file names and sizes) and the build parameters,
so a changed model or parameter gets a new folder. Builds write to a temporary
sibling and rename it into place: a crash never leaves half a model behind, and
two processes building at once both end with one complete folder.
"""

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cache_root() -> Path:
    """The root of every derived model: ``~/.cache/rag-chat``."""
    return Path.home() / ".cache" / "rag-chat"


def cache_folder(kind: str, model_dir: str, params: dict[str, Any], root: Path | None) -> Path:
    """The folder of the ``kind`` model built from ``model_dir`` with ``params``.

    Args:
        kind: what is built, e.g. ``static`` or ``onnx`` (a sub-folder of the root).
        model_dir: the sentence-transformers folder it is built from.
        params: every parameter that changes the result.
        root: the cache root (default: :func:`cache_root`).
    """
    source = Path(model_dir).resolve()
    files = sorted(
        (str(p.relative_to(source)), p.stat().st_size) for p in source.rglob("*") if p.is_file()
    )
    key = json.dumps({"source": str(source), "files": files, **params}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return (root or cache_root()) / kind / f"{source.name}-{digest}"


def build_once(target: Path, build: Callable[[Path], None]) -> Path:
    """``target``, made by ``build(folder)`` into a temporary folder first if missing."""
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.parent / f".{target.name}.{os.getpid()}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        build(partial)
        partial.rename(target)
    except OSError:
        if not target.is_dir():  # not merely another process finishing first
            raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target
