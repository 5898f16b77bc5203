"""A stand-in for the intranet's sign-on service behind nginx ``auth_request``, with
groups, and the README's nginx block that passes the user and their groups on."""

from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

from harness.servers import SSO_LOCATIONS

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


def signed_in(user: str) -> dict[str, str]:
    """What the intranet's sign-on (a cookie in real life) gives the proxy."""
    return {"Authorization": f"Bearer {user}-pass"}
