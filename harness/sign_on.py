"""A stand-in for the intranet's sign-on service behind nginx ``auth_request``, with
groups, and the README's nginx block that passes the user and their groups on."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

from harness.servers import BIN, SSO_LOCATIONS, free_port, nginx_with, running

# Who signs on, and their groups (comma-separated, as oauth2-proxy sends them).
GROUPS = {"alice": "hr", "bob": "engineering", "carol": "", "dave": ""}  # carol, dave: none
# The README's single sign-on block, with the groups passed on as the user is.
GROUP_LOCATIONS = SSO_LOCATIONS.replace(
    "auth_request_set $user $upstream_http_x_user;",
    "auth_request_set $user $upstream_http_x_user;\n"
    "            auth_request_set $groups $upstream_http_x_groups;",
).replace(
    "proxy_set_header X-Forwarded-User $user;",
    "proxy_set_header X-Forwarded-User $user;\n"
    "            proxy_set_header X-Forwarded-Groups $groups;",
)
assert GROUP_LOCATIONS.count("$groups") == 2


class SignOn(BaseHTTPRequestHandler):
    """The sign-on check: ``Bearer <user>-pass`` is that user, in their groups
    (``X-Groups``; none sent for a user in no group); anything else is 401."""

    def check(self) -> None:
        scheme, _, secret = self.headers.get("Authorization", "").partition(" ")
        user = secret.removesuffix("-pass")
        known = scheme == "Bearer" and secret.endswith("-pass") and user in GROUPS
        self.send_response(200 if known else 401)
        if known:
            self.send_header("X-User", user)
            if GROUPS[user]:
                self.send_header("X-Groups", GROUPS[user])
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = check

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@contextmanager
def sign_on_service() -> Iterator[int]:
    """The sign-on service on a free loopback port, in a thread; yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), SignOn)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def behind_nginx(folder: Path, env: dict[str, str], locations: str) -> Iterator[tuple[str, str]]:
    """`rag serve` in ``folder`` with ``env``, behind a real nginx whose ``locations``
    (SSO_LOCATIONS or GROUP_LOCATIONS) ask the sign-on service; nginx listens on
    127.0.0.2, the address the app trusts. Yields nginx's URL and the app's own."""
    port = free_port()
    direct = f"http://127.0.0.1:{port}"
    command = [str(BIN / "rag"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with ExitStack() as stack:
        stack.enter_context(
            running(command, f"{direct}/healthz", folder / "server.log", cwd=folder, env=env)
        )
        sign_on = stack.enter_context(sign_on_service())
        blocks = locations.format(upstream=port, sign_on=sign_on, bind="127.0.0.2")
        yield stack.enter_context(nginx_with(folder / "nginx", blocks)), direct


def signed_in(user: str) -> dict[str, str]:
    """What the intranet's sign-on (a cookie in real life) gives the proxy."""
    return {"Authorization": f"Bearer {user}-pass"}
