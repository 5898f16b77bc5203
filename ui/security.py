"""The server's guards, one job each, and the middleware in front of every route.

- ``Guard.identity`` (ui.identity): who a request comes from.
- ``Guard.tokens`` (ui.tokens): the widget and source-link tokens the server signs.
- ``Guard.limits`` (ui.limits): the rate limit per client and the bound on answers
  in progress.
- ``AccessGate``: trusted proxies' forwarded headers and, with single sign-on, a 401
  for any request without the user header from a trusted peer.
- ``ApiBodyLimit``: a JSON 413 for API requests declared too large.
"""

import ipaddress

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from rag.settings import Settings
from ui.identity import PEER, Identity, TrustedPeers, credentials_configured, one_user
from ui.limits import RequestLimits
from ui.tokens import SignedTokens

# Reachable without the single sign-on header: no answers, no documents.
PUBLIC_PATHS = frozenset(
    {"/widget.js", "/docs", "/docs/oauth2-redirect", "/openapi.json", "/healthz", "/readyz"}
)


class Guard:
    """The three guards of one server, built once from its settings."""

    def __init__(self, settings: Settings) -> None:
        """Read the security settings once (a RagError for a malformed login or token)."""
        self.tokens = SignedTokens(settings)
        self.identity = Identity(settings, self.tokens.widget_token_valid)
        self.limits = RequestLimits(settings)


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` keeps the server to this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def startup_warning(settings: Settings, host: str) -> str | None:
    """What to say loudly at start-up about who can ask, if anything."""
    if is_loopback(host):
        return None
    if not credentials_configured(settings):
        return (
            f"WARNING: listening on {host} with no credentials configured: anyone who can "
            "reach this server may ask (set RAG_API_TOKENS, RAG_AUTH or "
            "RAG_TRUSTED_USER_HEADER; see the README, 'who can ask what')"
        )
    if not (settings.auth or settings.trusted_user_header):
        return (
            f"WARNING: listening on {host}: RAG_API_TOKENS guards /api/* only; the UI at / "
            "is open to anyone who can reach this server (set RAG_AUTH or "
            "RAG_TRUSTED_USER_HEADER to protect it)"
        )
    return None


def route_path(scope: Scope) -> str:
    """The request's path below ``root_path``."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return (path[len(root) :] or "/") if root and path.startswith(root) else path


class AccessGate:
    """The outermost layer: notes the peer, applies trusted proxies' X-Forwarded-* headers
    (the one place that does: uvicorn runs with ``proxy_headers=False``) and, with single
    sign-on, answers 401 JSON to any request for a non-public path without the user header
    from a trusted peer, or with the groups header more than once (a proxy that adds its
    header after the client's instead of replacing it)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        """Wrap ``app``."""
        self._app = ProxyHeadersMiddleware(app, trusted_hosts=settings.trusted_proxies)  # type: ignore[arg-type]
        self._peers = TrustedPeers(settings.trusted_proxies)
        header, groups = settings.trusted_user_header, settings.trusted_groups_header
        self._header = header.lower().encode("latin-1") if header else None
        self._groups = groups.lower().encode("latin-1") if groups else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse, or pass the request on."""
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            scope[PEER] = client[0] if client else None
            if self._header is not None and route_path(scope) not in PUBLIC_PATHS:
                trusted = scope[PEER] in self._peers
                values = [value for key, value in scope["headers"] if key == self._header]
                user = values[0].decode("latin-1") if len(values) == 1 else None
                groups = sum(1 for key, _ in scope["headers"] if key == self._groups)
                if not (trusted and one_user(user) and groups <= 1):
                    if scope["type"] == "websocket":
                        await send({"type": "websocket.close", "code": 1008})
                        return
                    response = JSONResponse(
                        {"detail": "sign in first: this server is behind single sign-on"},
                        status_code=401,
                    )
                    await response(scope, receive, send)
                    return
        await self._app(scope, receive, send)  # type: ignore[arg-type]


class ApiBodyLimit:
    """A JSON 413 for API requests whose declared size is over the limit.

    The API router's own ``max_body_size`` still stops bodies without a
    Content-Length (chunked) once they grow past it.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        """Wrap ``app``."""
        self._app = app
        self._max = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse early, or pass the request on."""
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            declared = dict(scope["headers"]).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self._max:
                response = JSONResponse(
                    {"detail": f"request body larger than {self._max} bytes"}, status_code=413
                )
                await response(scope, receive, send)
                return
        await self._app(scope, receive, send)
