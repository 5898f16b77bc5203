"""Extraction without embedding: loaders and chunker over a documentation folder.

Discovers the files as ``rag ingest`` does (``ingest.pipeline.discover``), loads
and chunks each one in this process with the default chunk settings, and prints
what a reader of the index would meet: files, chunks, seconds (loading alone and
loading plus chunking), chunks that carry a Sphinx permalink sign (``¶``), chunks
that come from a Sphinx ``_sources`` copy, and how many chunks hold each
``--sample`` string (with the first one's text around it).

    python -m bench.extract_docs /usr/share/doc/python3.11/html \
        --sample 'python3 -m venv tutorial-env' --sample 'subprocess.run(["ls", "-l"])'
"""

import argparse
import json
import os
import time
from collections import Counter, defaultdict
from pathlib import Path

from ingest.chunker import chunk_document
from ingest.document import LoadError
from ingest.loaders import file_type, load
from ingest.pipeline import discover
from rag.settings import Settings


def main() -> None:
    """Measure extraction over the folders given, print a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--sample", action="append", default=[], help="a string to look for")
    parser.add_argument("--show", type=int, default=200, help="characters shown around a sample")
    args = parser.parse_args()
    settings = Settings()
    load_average = os.getloadavg()[0]  # other processes on 2 cores slow every figure
    found = discover(args.folders)
    files = found.files
    load_seconds = chunk_seconds = 0.0
    chunks, failed, by_suffix = [], Counter[str](), Counter[str]()
    load_by_suffix: dict[str, float] = defaultdict(float)
    for path in files:
        began = time.perf_counter()
        try:
            document = load(path, str(path))
        except LoadError:
            failed[file_type(path)] += 1
            continue
        loaded = time.perf_counter()
        pieces = chunk_document(document, settings.chunk_size, settings.chunk_overlap)
        chunk_seconds += time.perf_counter() - loaded
        load_seconds += loaded - began
        load_by_suffix[file_type(path)] += loaded - began
        by_suffix[file_type(path)] += len(pieces)
        chunks.extend(pieces)
    samples = {}
    for sample in args.sample:
        holders = [c for c in chunks if sample in c.text]
        samples[sample] = {
            "chunks": len(holders),
            "first": _around(holders[0].text, sample, args.show) if holders else None,
            "source": holders[0].source if holders else None,
        }
    summary = {
        "load_average_at_start": load_average,
        "files": len(files),
        "sphinx_copies_skipped": len(found.sphinx_copies),
        "failed": dict(failed),
        "chunks": len(chunks),
        "chunks_by_suffix": dict(by_suffix),
        "load_seconds": round(load_seconds, 1),
        "load_seconds_by_suffix": {k: round(v, 1) for k, v in load_by_suffix.items()},
        "load_and_chunk_seconds": round(load_seconds + chunk_seconds, 1),
        "chunks_with_pilcrow": sum("¶" in c.text for c in chunks),
        "chunks_from_sources": sum("/_sources/" in c.source for c in chunks),
        "samples": samples,
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))


def _around(text: str, sample: str, width: int) -> str:
    at = text.find(sample)
    return text[max(at - width // 2, 0) : at + len(sample) + width // 2]


if __name__ == "__main__":
    main()
