"""Start real servers on loopback for tests, and stop them afterwards."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes] | None, timeout: float = 60.0) -> float:
    """Poll ``url`` until it answers 200 (a 503 while warming up is not yet), failing
    early if ``process`` died; the seconds it took."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.monotonic() - began
        except OSError:  # not listening yet, or 503 while warming up
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Terminate ``process``; kill it if it has not exited ``timeout`` seconds later."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running(
    command: list[str],
    ready_url: str,
    log: Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` (in ``cwd``, with ``env``) until the block ends; output goes to ``log``."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, cwd=cwd, env=env
        )
        try:
            wait_for(ready_url, process)
            yield process
        finally:
            stop(process)


@contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    """A real Chroma server (`chroma run`) on a free loopback port; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(BIN / "chroma"),
        "run",
        "--path",
        str(path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with running(command, f"{url}/api/v2/heartbeat", path.parent / "chroma.log"):
        yield url


@contextmanager
def static_site(folder: Path, port: int) -> Iterator[str]:
    """``python -m http.server`` over ``folder`` on ``port``; yields its URL."""
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "http.server",
        str(port),
        "--bind",
        "127.0.0.1",
        "--directory",
        str(folder),
    ]
    with running(command, f"{url}/", folder.parent / f"static-{port}.log"):
        yield url


NGINX_MAIN = """
{user}
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    types {{ text/html html; text/javascript js; }}
    server {{
        listen 127.0.0.1:{port};
        location = /nginx-ready {{ return 200 "ready"; }}
{locations}
    }}
}}
"""
# The README's block under "Behind a reverse proxy".
NGINX_LOCATIONS = """
        location {prefix}/ {{
            proxy_pass http://127.0.0.1:{upstream}/;
            proxy_http_version 1.1;
            proxy_set_header Host $host:$server_port;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_buffering off;
        }}
        location /intranet/ {{ alias {site}/; }}
"""
# Single sign-on: the README's auth_request block. nginx asks the sign-on service
# (port {sign_on}) about every request and passes its X-User on as X-Forwarded-User;
# it connects to the app from {bind}, the app's trusted proxy.
SSO_LOCATIONS = """
        location = /_sign_on {{
            internal;
            proxy_pass http://127.0.0.1:{sign_on}/check;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
        }}
        location @sign_in_first {{
            default_type application/json;
            return 401 '{{"detail": "sign in first"}}';
        }}
        location / {{
            auth_request /_sign_on;
            auth_request_set $user $upstream_http_x_user;
            error_page 401 = @sign_in_first;
            proxy_pass http://127.0.0.1:{upstream};
            proxy_bind {bind};
            proxy_http_version 1.1;
            proxy_set_header Host $host:$server_port;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-User $user;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_buffering off;
        }}
"""


@contextmanager
def nginx_with(folder: Path, locations: str) -> Iterator[str]:
    """Debian's nginx on a free loopback port serving ``locations``; yields its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = folder / "nginx.conf"
    # As root, nginx's workers would run as nobody and could not read pytest's
    # private temporary folders.
    user = "user root;" if os.geteuid() == 0 else ""
    config.write_text(NGINX_MAIN.format(user=user, folder=folder, port=port, locations=locations))
    url = f"http://127.0.0.1:{port}"
    with running(
        ["nginx", "-c", str(config), "-p", str(folder)], f"{url}/nginx-ready", folder / "nginx.log"
    ):
        yield url


@contextmanager
def nginx(folder: Path, prefix: str, upstream: int, site: Path) -> Iterator[str]:
    """Debian's nginx on loopback proxying ``prefix`` to ``upstream``; yields its URL."""
    locations = NGINX_LOCATIONS.format(prefix=prefix, upstream=upstream, site=site)
    with nginx_with(folder, locations) as url:
        wait_for(f"{url}{prefix}/healthz", None)
        yield url


@contextmanager
def llm_server(folder: Path) -> Iterator[str]:
    """A real OpenAI-compatible server (llama_cpp.server) with SmolLM2; yields its /v1 URL."""
    from rag.models.llm import default_gguf

    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        default_gguf(),
        "--model_alias",
        "smollm2",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
    ]
    folder.mkdir(parents=True, exist_ok=True)
    with running(command, f"{url}/models", folder / "llm.log"):
        yield url
