"""Probe the admin tab and uploads of a real ``rag serve`` as an attacker would (issue 25).

Starts ``rag serve`` twice on free loopback ports over a fresh index of the seeds:
the README's intranet set-up with the admin tab (``RAG_ADMIN=1``, UI logins ``admin``
and ``bob``, ``RAG_ADMIN_USERS=admin``, ``RAG_API_TOKENS``), then the same without the
admin tab. Sends each probe over HTTP (Gradio's wire protocol for the tab's handlers)
and prints one Markdown table row per probe: what was sent, what came back, and
whether that is the refusal (or the result) wanted. Exit status 1 when any is not.

    python -m bench.admin_probe
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from harness.gradio_events import call, file_data, fn_index, login, upload
from harness.servers import BIN, free_port, running

REPO = Path(__file__).resolve().parent.parent

MB = 1024 * 1024
SECRET = "The vault opens with the code 4-8-15-16-23-42 on weekdays only."
Probe = tuple[str, str, bool]


@contextmanager
def served(folder: Path, env: dict[str, str]) -> Iterator[str]:
    """``rag serve`` over ``folder``'s index with ``env``; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(BIN / "rag"), "serve", "--port", str(port)]
    with running(command, f"{url}/readyz", folder / f"serve-{port}.log", cwd=folder, env=env):
        yield url


def client(url: str, user: str | None = None, password: str = "") -> httpx.Client:
    """A client of ``url``, signed in to the UI as ``user`` when given."""
    made = httpx.Client(base_url=url, timeout=120)
    if user:
        login(made, user, password)
    return made


def event(made: httpx.Client, elem_id: str, fns: dict[str, int], data: list[Any]) -> str:
    outcome = call(made, fns[elem_id], data)
    if outcome.status != 200:
        return f"HTTP {outcome.status}"
    return f"error: {outcome.error}" if outcome.error else f"ran: {outcome.output[0]!r}"[:90]


def admin_probes(url: str, folder: Path, secret: Path) -> Iterator[Probe]:
    admin, bob, anonymous = client(url, "admin", "ad-pw"), client(url, "bob", "bob-pw"), client(url)
    fns = {name: fn_index(admin, name) for name in ("ingest", "remove", "admin-tab")}
    seed = "seeds/netflix-generative-ai.txt"
    named = [[file_data(str(secret))], None]
    for who, made in (("admin", admin), ("bob (not an admin)", bob), ("no login", anonymous)):
        got = event(made, "ingest", fns, named)
        yield f"Ingest naming `{secret}` (0600, outside any upload), as {who}", got, "HTTP 4" in got
    passwd = [[file_data("/etc/passwd")], None]
    got = event(admin, "ingest", fns, passwd)
    yield "Ingest naming `/etc/passwd`, as admin", got, "HTTP 403" in got
    url_file = [[file_data("http://127.0.0.1:1/x.txt")], None]
    got = event(admin, "ingest", fns, url_file)
    yield "Ingest naming a URL (the server would fetch it), as admin", got, "HTTP 403" in got
    copies = list(Path(tempfile.gettempdir(), "gradio").rglob(secret.name))
    yield "Copies of the named file in Gradio's cache", str(len(copies)), not copies
    for who, made in (("bob (not an admin)", bob), ("no login", anonymous)):
        got = event(made, "remove", fns, [seed, None])
        yield f"Remove `{seed}`, as {who}", got, "HTTP 401" in got or "Only an admin" in got
        got = event(made, "admin-tab", fns, [None])
        yield f"List the sources, as {who}", got, "HTTP 401" in got or "Only an admin" in got
    status, _ = upload(bob, "note.txt", b"a note\n")
    yield "Upload a file, as bob (not an admin)", f"HTTP {status}", status == 403
    status, _ = upload(admin, "huge.txt", b"x" * (60 * MB))
    yield "Upload 60 MB (limit 50 MB), as admin", f"HTTP {status}", status == 413
    status, stored = upload(admin, "parking.txt", b"Visitors park in the north lot.\n")
    got = event(admin, "ingest", fns, [[file_data(stored[0])], None])
    kept = sorted(p.name for p in (folder / "data" / "uploads").iterdir())
    yield "Upload and ingest a .txt, as admin", got, got.startswith("ran: 'Ingested 1 file")
    yield (
        "Upload and copy kept after the ingest",
        f"{Path(stored[0]).exists()}, {kept}",
        not (Path(stored[0]).exists() or kept),
    )
    got = event(bob, "ingest", fns, [[file_data(stored[0])], None])
    yield "The same stored upload named again, by bob", got, "HTTP 403" in got
    token = {"Authorization": "Bearer probe-token"}
    asked = admin.post("/api/ask", json={"question": "Where do visitors park?"}, headers=token)
    quote = asked.json()["citations"][0]["quote"] if asked.status_code == 200 else asked.text
    yield "Ask the one-line upload: Where do visitors park?", quote, "north lot" in quote
    cited = asked.json()["citations"][0]["source_id"] if asked.status_code == 200 else ""
    for body in (
        {"source_id": cited, "start": 9, "end": 3},
        {"source_id": cited, "start": 0, "end": 10**29},
    ):
        response = admin.post("/api/source-link", json=body, headers=token)
        what = f"`/api/source-link` start {body['start']}, end {body['end']:.0e}"
        yield what, str(response.status_code), response.status_code == 422
    response = admin.post("/api/ask", json={"question": "Where?", "k": True}, headers=token)
    yield '`/api/ask` with `"k": true`', str(response.status_code), response.status_code == 422
    for method in ("TRACE", "PROPFIND", "FOO"):
        response = admin.request(method, "/api/ask")
        is_json = response.headers.get("content-type", "").startswith("application/json")
        wanted = response.status_code == 405 and is_json
        yield f"{method} /api/ask", f"{response.status_code} {response.text}", wanted


def closed_probes(url: str) -> Iterator[Probe]:
    anonymous = client(url)
    status, stored = upload(anonymous, "dump.bin.txt", b"y" * (20 * MB))
    yield "Upload 20 MB with no token, admin tab off", f"HTTP {status}", status == 404
    served_back = anonymous.get(f"/gradio_api/file={stored[0]}").status_code if stored else None
    yield "The upload served back by /gradio_api/file=", str(served_back), served_back is None


def mode_probes(folder: Path) -> Iterator[Probe]:
    opened = []
    for root, folders, files in os.walk(folder / "data"):
        for name in folders + files:
            mode = stat.S_IMODE(Path(root, name).lstat().st_mode)
            if mode & 0o077:
                opened.append(f"{Path(root, name).relative_to(folder)} {mode:o}")
    data_mode = f"{stat.S_IMODE((folder / 'data').stat().st_mode):o}"
    yield "Data folder mode after ingest and serve", data_mode, data_mode == "700"
    yield "Files or folders in it others can read", str(opened or 0), not opened


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="admin-probe-"))
    shutil.copytree(REPO / "seeds", work / "seeds")
    secret = work / "elsewhere" / f"vault-{work.name}.txt"  # a name no earlier run left
    secret.parent.mkdir()
    secret.write_text(SECRET)
    secret.chmod(0o600)
    base = {**os.environ, "RAG_DATA_DIR": str(work / "data"), "RAG_API_TOKENS": "probe-token"}
    subprocess.run([str(BIN / "rag"), "ingest", "seeds"], cwd=work, env=base, check=True)
    probes: list[Probe] = []
    admin_env = {
        **base,
        "RAG_ADMIN": "1",
        "RAG_AUTH": "admin:ad-pw,bob:bob-pw",
        "RAG_ADMIN_USERS": "admin",
    }
    runs: list[tuple[dict[str, str], Callable[[str], Iterator[Probe]]]] = [
        (admin_env, lambda url: admin_probes(url, work, secret)),
        (base, closed_probes),
    ]
    for env, probe in runs:
        with served(work, env) as url:
            probes += probe(url)
    probes += mode_probes(work)
    refused = subprocess.run(
        [str(BIN / "rag"), "serve", "--port", str(free_port())],
        cwd=work,
        env={**base, "RAG_ADMIN": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = refused.stderr.strip()
    probes.append(
        (
            "`rag serve` with RAG_ADMIN=1 and API tokens only",
            f"exit {refused.returncode}: {line}",
            refused.returncode == 2 and "\n" not in line,
        )
    )
    print("| probe | result | as wanted |\n| --- | --- | --- |")
    for what, got, wanted in probes:
        shown = json.dumps(got)[1:-1].replace("|", "\\|")
        print(f"| {what} | {shown} | {'yes' if wanted else '**NO**'} |")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if all(wanted for _, _, wanted in probes) else 1


if __name__ == "__main__":
    sys.exit(main())
