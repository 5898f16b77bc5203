"""Bad input: fuzz a real ``rag serve`` from its OpenAPI schema, plus hostile requests.

Starts ``rag serve`` on a free loopback port over an index of the seeds (ingested
into a temporary folder), or uses ``--url``. Sends ``--examples`` schemathesis
cases per API operation and generation mode (valid data for every operation;
invalid data too for the two ask operations, which take a body), then the
hand-written hostile requests of tests/ui/test_fuzz.py ``--rounds`` times.
Prints the number of requests by status code and by operation; the exit status
is 1 when any response is a server error (>= 500) or an error that is not JSON.

    python -m bench.fuzz_api                  # about 1,100 requests, ~2 minutes
    python -m bench.fuzz_api --examples 500 --rounds 5
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

from harness.fuzzing import HOSTILE, OPERATIONS, request_of
from harness.servers import BIN, free_port, running

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def served() -> Iterator[str]:
    """``rag serve`` over the seeds in a temporary folder, with a generous rate limit."""
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        shutil.copytree(REPO / "seeds", folder / "seeds")
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
        env |= {"RAG_DATA_DIR": str(folder / "data"), "RAG_RATE_LIMIT": "100000/minute"}
        rag = str(BIN / "rag")
        subprocess.run(
            [rag, "ingest", "seeds"], cwd=folder, env=env, check=True, capture_output=True
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [rag, "serve", "--host", "127.0.0.1", "--port", str(port)]
        with running(command, f"{url}/readyz", folder / "server.log", cwd=folder, env=env):
            yield url
        log = (folder / "server.log").read_text()
        print(f"server log: {log.count('Traceback')} tracebacks")


class Tally:
    """Counts by status and operation, and the responses that break the rules."""

    def __init__(self) -> None:
        """Start from nothing."""
        self.statuses: Counter[int] = Counter()
        self.operations: Counter[str] = Counter()
        self.bad: list[str] = []

    def add(self, operation: str, status: int, content_type: str, body: bytes) -> None:
        """Count one response; remember it if it is a server error or a non-JSON error."""
        self.statuses[status] += 1
        self.operations[operation] += 1
        problem = ""
        if status >= 500:
            problem = "server error"
        elif status >= 400:
            try:
                assert content_type.startswith("application/json") and "detail" in json.loads(body)
            except (AssertionError, ValueError):
                problem = "error that is not JSON with a detail"
        if problem:
            self.bad.append(f"{operation} -> {status} {problem}: {body[:120]!r}")


def fuzz(url: str, examples: int, tally: Tally) -> None:
    """``examples`` schemathesis cases per operation and mode."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    for method, path, mode in OPERATIONS:
        _fuzz_one(
            url, schema[path][method], f"{method} {path} ({mode.value})", mode, examples, tally
        )


def _fuzz_one(
    url: str,
    operation: schemathesis.APIOperation,
    name: str,
    mode: GenerationMode,
    examples: int,
    tally: Tally,
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=url, timeout=60)
        content_type = response.headers.get("content-type", [""])[0]
        tally.add(name, response.status_code, content_type, response.content)

    run()


def hostile(url: str, rounds: int, tally: Tally) -> None:
    """The hand-written hostile requests, ``rounds`` times."""
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(rounds):
            for method, path, options in HOSTILE:
                response = client.request(method, path, **request_of(options))
                content_type = response.headers.get("content-type", "")
                tally.add(
                    f"hostile {method} {path}", response.status_code, content_type, response.content
                )


def main() -> int:
    """Run, print the counts, exit 1 on any server error or non-JSON error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start one over the seeds)")
    parser.add_argument("--examples", type=int, default=250, help="cases per operation and mode")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the hostile requests")
    args = parser.parse_args()
    tally = Tally()
    started = time.monotonic()
    with served() if args.url is None else _given(args.url) as url:
        fuzz(url, args.examples, tally)
        hostile(url, args.rounds, tally)
    total = sum(tally.statuses.values())
    print(f"{total} requests in {time.monotonic() - started:.0f} s")
    print("by status:", ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items())))
    for operation, count in sorted(tally.operations.items()):
        print(f"  {count:5d}  {operation}")
    server_errors = sum(n for s, n in tally.statuses.items() if s >= 500)
    print(f"server errors (>= 500): {server_errors}; errors that are not JSON: ", end="")
    print(sum(1 for b in tally.bad if "not JSON" in b))
    for line in tally.bad[:20]:
        print("  " + line)
    return 1 if tally.bad else 0


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url.rstrip("/")


if __name__ == "__main__":
    sys.exit(main())
