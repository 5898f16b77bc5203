"""Concurrent load: N clients asking at once through ``POST /api/ask`` of a real server.

Starts ``rag serve`` on a free loopback port over an index of the seeds (ingested
into a temporary folder) or over ``--data-dir``, waits for ``/readyz``, asks one
untimed question, then runs ``--clients`` threads that each send ``--questions``
questions of the seeds eval suite (client i starts at question i, cycling) over
one keep-alive connection, one after another. Reports latency p50/p95/max,
throughput, errors by HTTP status and the server's resident memory (VmRSS) before
the clients, at its peak while they run, and after; the rate limit and pending
cap are raised so that they do not interfere, unless ``--default-limits`` keeps
the server's defaults (then some requests get 429: every request must still
complete within ``--timeout``). Every request goes to 127.0.0.1; the count is
clients x questions and the whole run is bounded by ``--deadline`` seconds.

    python -m bench.concurrent_load --clients 8 --questions 20 --threads 1
    python -m bench.concurrent_load --threads 2 --data-dir data
    python -m bench.concurrent_load --clients 50 --questions 20 --default-limits
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.squad_corpus import BUSY_LOAD, REPO, seeds_questions
from harness.servers import BIN, free_port, stop, wait_for

HOST = "127.0.0.1"
# High enough that neither the rate limit nor the pending cap ever answers 429 here.
LOAD_ENV = {"RAG_RATE_LIMIT": "100000/minute", "RAG_MAX_PENDING": "64"}


@dataclass
class ClientResult:
    """What one client saw: latency per answered question, and failures."""

    latencies: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Every request: its HTTP status (0: no response, e.g. a timeout) and seconds.
    statuses: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    # The bodies of non-200 responses (the first 200 bytes).
    bodies: list[bytes] = field(default_factory=list)


class HttpError(RuntimeError):
    """A response other than 200."""

    def __init__(self, status: int, body: bytes) -> None:
        """Keep the status and the start of the body."""
        super().__init__(f"HTTP {status}: {body[:200]!r}")
        self.status = status
        self.body = body[:200]


def rss_mb(pid: int) -> float:
    """The resident memory of process ``pid`` in MB (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def ask(connection: http.client.HTTPConnection, question: str) -> dict[str, Any]:
    """One ``POST /api/ask`` on ``connection``; the JSON answer, or an error on non-200."""
    body = json.dumps({"question": question})
    connection.request("POST", "/api/ask", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    payload = response.read()
    if response.status != 200:
        raise HttpError(response.status, payload)
    return dict(json.loads(payload))


def run_client(
    port: int, questions: list[str], timeout: float, deadline: float, result: ClientResult
) -> None:
    """Ask ``questions`` one after another on one connection, until done or ``deadline``."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        for question in questions:
            if time.monotonic() > deadline:
                result.errors.append("deadline reached")
                return
            began = time.perf_counter()
            try:
                answer = ask(connection, question)
            except (OSError, RuntimeError, http.client.HTTPException) as error:
                result.seconds.append(time.perf_counter() - began)
                result.statuses.append(error.status if isinstance(error, HttpError) else 0)
                if isinstance(error, HttpError):
                    result.bodies.append(error.body)
                result.errors.append(str(error))
                connection.close()  # a fresh connection for the next question
                continue
            result.seconds.append(time.perf_counter() - began)
            result.statuses.append(200)
            result.latencies.append(time.perf_counter() - began)
            result.server_ms.append(float(answer["timings_ms"]["total"]))
    finally:
        connection.close()


def _detail(body: bytes) -> str:
    """The ``detail`` of a JSON error body, or the body itself."""
    try:
        return str(json.loads(body)["detail"])
    except (ValueError, KeyError, TypeError):
        return body.decode(errors="replace")


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def ingest_seeds(data_dir: Path, env: dict[str, str]) -> None:
    """Build the seeds index in ``data_dir`` with ``rag ingest``."""
    subprocess.run(
        [str(BIN / "rag"), "ingest", str(REPO / "seeds")],
        env={**env, "RAG_DATA_DIR": str(data_dir)},
        check=True,
        capture_output=True,
        timeout=600,
    )


def measure(
    args: argparse.Namespace, data_dir: Path, env: dict[str, str], scratch: Path
) -> dict[str, Any]:
    """Serve ``data_dir`` (log in ``scratch``), run the clients, stop the server; the figures."""
    port = free_port(HOST)
    command = [str(BIN / "rag"), "serve", "--host", HOST, "--port", str(port)]
    limits = {} if getattr(args, "default_limits", False) else LOAD_ENV
    server_env = {**env, **limits, "RAG_DATA_DIR": str(data_dir)}
    log = (scratch / f"serve-{port}.log").open("wb")
    server = subprocess.Popen(command, env=server_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        ready_s = wait_for(f"http://{HOST}:{port}/readyz", server, args.ready_timeout)
        questions = seeds_questions()
        warm = http.client.HTTPConnection(HOST, port, timeout=args.timeout)
        began = time.perf_counter()
        ask(warm, questions[0])
        first_s = time.perf_counter() - began
        warm.close()
        results = [ClientResult() for _ in range(args.clients)]
        rss_before = rss_mb(server.pid)
        peak = [rss_before]
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(0.5):
                peak.append(rss_mb(server.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        deadline = time.monotonic() + args.deadline
        threads = [
            threading.Thread(
                target=run_client,
                args=(
                    port,
                    [questions[(i + j) % len(questions)] for j in range(args.questions)],
                    args.timeout,
                    deadline,
                    results[i],
                ),
            )
            for i in range(args.clients)
        ]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
        sampling.set()
        sampler.join()
        rss_after = rss_mb(server.pid)
    finally:
        stop(server, 15)
        log.close()
    latencies = [s for r in results for s in r.latencies]
    server_ms = [ms for r in results for ms in r.server_ms]
    errors = [e for r in results for e in r.errors]
    statuses = [s for r in results for s in r.statuses]
    seconds = [s for r in results for s in r.seconds]
    details = [_detail(b) for r in results for b in r.bodies]
    if not latencies:
        raise RuntimeError(f"no question was answered: {errors[:3]}")
    return {
        "inference_threads": env.get("RAG_INFERENCE_THREADS", "default"),
        "clients": args.clients,
        "questions_per_client": args.questions,
        "ready_s": round(ready_s, 2),
        "first_answer_ms": round(first_s * 1000, 1),
        "limits": "default" if limits is not LOAD_ENV else "raised",
        "requests": len(statuses),
        "answered": len(latencies),
        "errors": len(errors),
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "rejected_by": {d: details.count(d) for d in sorted(set(details))},
        "slowest_request_ms": round(max(seconds) * 1000, 1),
        "server_rss_mb": {"before": rss_before, "peak": max(peak), "after": rss_after},
        "error_examples": errors[:3],
        "wall_s": round(wall, 2),
        "throughput_per_s": round(len(latencies) / wall, 2),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50) * 1000, 1),
            "p95": round(percentile(latencies, 0.95) * 1000, 1),
            "max": round(max(latencies) * 1000, 1),
            "mean": round(statistics.fmean(latencies) * 1000, 1),
        },
        "server_total_ms": {
            "p50": round(percentile(server_ms, 0.50), 1),
            "p95": round(percentile(server_ms, 0.95), 1),
        },
        "load_average_1min_before": args.load_before,
    }


def main() -> None:
    """Parse the arguments, run one measurement per ``--threads`` value, print JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--questions", type=int, default=20, help="questions per client")
    parser.add_argument(
        "--threads",
        type=int,
        nargs="*",
        default=[],
        help="RAG_INFERENCE_THREADS values to compare (default: the environment's)",
    )
    parser.add_argument("--data-dir", type=Path, help="serve this index (default: seeds)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per request")
    parser.add_argument("--deadline", type=float, default=600, help="seconds for all clients")
    parser.add_argument("--ready-timeout", type=float, default=180, help="seconds to start")
    parser.add_argument("--out", type=Path, help="also write the results here (JSON)")
    parser.add_argument(
        "--default-limits",
        action="store_true",
        help="keep the server's rate limit and pending cap (expect 429s)",
    )
    args = parser.parse_args()
    if not 1 <= args.clients <= 64 or not 1 <= args.questions <= 1000:
        parser.error("--clients must be 1-64 and --questions 1-1000")
    args.load_before = round(os.getloadavg()[0], 2)
    if args.load_before > BUSY_LOAD:
        print(f"warning: load average {args.load_before} before the run", file=sys.stderr)
    runs = []
    with tempfile.TemporaryDirectory(prefix="concurrent-load-") as scratch:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = Path(scratch) / "data"
            ingest_seeds(data_dir, dict(os.environ))
        for threads in args.threads or [None]:
            env = dict(os.environ)
            if threads is not None:
                env["RAG_INFERENCE_THREADS"] = str(threads)
            result = measure(args, data_dir.resolve(), env, Path(scratch))
            print(json.dumps(result), flush=True)
            runs.append(result)
    if args.out:
        args.out.write_text(json.dumps(runs, indent=1) + "\n")


if __name__ == "__main__":
    main()
