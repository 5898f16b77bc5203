"""Who may ask, how often, and how many at once (the README's "who can ask what").

- Nothing configured: anyone who reaches the server may ask.
- API tokens (``api_tokens``): ``Authorization: Bearer <token>``; an entry
  ``name:token`` names its token (what access rules and logs use).
- UI logins (``auth``): the UI's session cookie, or ``Authorization: Basic``.
- Single sign-on (``trusted_user_header``): a trusted reverse proxy names the
  user in a header, and their groups in another (``trusted_groups_header``); every
  route but a few public ones needs the user (``AccessGate``).
- Widget tokens: short-lived, signed (itsdangerous), bound to the page's
  origin and good only for asking; issued to explicitly allow-listed origins
  (to the server's own origin too only while nothing is configured), so an
  intranet page never holds a long-lived key. They are public credentials.
- A per-client moving-window rate limit (the ``limits`` library) and a bound
  on answers in progress: past either, a 429 JSON error instead of a hang. A
  client is its user, a hash of its whole API token, its origin and address
  (widget), or its address; the address comes from ``X-Forwarded-For`` only
  when the peer is one of ``trusted_proxies``.

Each of these names a ``Caller`` (ui.access), which the access rules judge.
"""

import base64
import binascii
import hashlib
import hmac
import ipaddress
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from rag.errors import RagError
from rag.settings import Settings, SettingsInvalid
from ui.access import Caller

_WIDGET_SCOPE = "ask"
# A source link stays good this long: long enough to read an answer and follow its
# links, short enough that a link copied out of the page soon stops working.
SOURCE_LINK_SECONDS = 3600
# The address the connection came from, before X-Forwarded-For is applied.
PEER = "rag.peer"
# Reachable without the single sign-on header: no answers, no documents.
PUBLIC_PATHS = frozenset(
    {"/widget.js", "/docs", "/docs/oauth2-redirect", "/openapi.json", "/healthz", "/readyz"}
)


def secret_key(settings: Settings) -> str:
    """``settings.secret_key``, or a random key kept (mode 600) in the data directory."""
    if settings.secret_key:
        return settings.secret_key.get_secret_value()
    path: Path = settings.data_dir / "secret.key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def api_tokens(settings: Settings) -> list[tuple[str, bytes]]:
    """The API tokens as ``(name, token)`` ("" for an unnamed one); a ``RagError`` for a
    malformed entry, named by number, never by value.

    ``name:token`` names a token: a Bearer token holds no ``:`` (RFC 6750), so an entry
    without one is an unnamed token, as before tokens had names.
    """
    tokens: list[tuple[str, bytes]] = []
    for number, entry in enumerate(settings.api_tokens, 1):
        name, colon, token = entry.get_secret_value().partition(":")
        if not colon:
            name, token = "", name
        if (colon and not name.strip()) or not token:
            raise RagError(f"api_tokens entry {number} (RAG_API_TOKENS) is not token or name:token")
        tokens.append((name.strip(), token.encode()))
    names = [name for name, _ in tokens if name]
    if len(set(names)) < len(names):
        raise RagError("api_tokens (RAG_API_TOKENS): two tokens have the same name")
    return tokens


def request_origin(request: Request) -> str:
    """The origin this server is reached at, as the browser sees it (Host header)."""
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


def logins(settings: Settings) -> dict[str, str]:
    """The UI logins as ``{user: password}``; a ``RagError`` for a malformed entry.

    The message names the entry by number, never by value: it may hold a password.
    """
    pairs = {}
    for number, login in enumerate(settings.auth, 1):
        user, colon, password = login.get_secret_value().partition(":")
        if not (colon and user.strip() and password):
            raise RagError(f"auth entry {number} (RAG_AUTH) is not user:password; not serving")
        pairs[user.strip()] = password
    if pairs and settings.trusted_user_header:
        raise RagError("set either auth (UI logins) or trusted_user_header (single sign-on)")
    return pairs


def credentials_configured(settings: Settings) -> bool:
    """Whether anything is required of a client: API tokens, UI logins or single sign-on."""
    return bool(settings.api_tokens or settings.auth or settings.trusted_user_header)


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


def groups_of(value: str) -> frozenset[str]:
    """The groups of a single sign-on groups header: a comma-separated list."""
    return frozenset(group.strip() for group in value.split(",") if group.strip())


def one_user(value: str | None) -> bool:
    """Whether a single sign-on header's value names exactly one user. A proxy that adds
    its header instead of replacing the client's sends two, or one joined by a comma (the
    same thing in HTTP): the client's would come first, where the user is read."""
    return value is not None and bool(value.strip()) and "," not in value


class TrustedPeers:
    """``trusted_proxies``: addresses and networks (``10.0.0.0/8``), or other literals."""

    def __init__(self, entries: list[str]) -> None:
        """Parse ``entries`` once."""
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        self._literals: set[str] = set()
        for entry in entries:
            try:
                self._networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self._literals.add(entry)

    def __contains__(self, host: object) -> bool:
        """Whether ``host`` is trusted."""
        if not isinstance(host, str) or not host:
            return False
        if host in self._literals:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self._networks)


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


class Guard:
    """Authentication, origin checks, rate limit and the bound on pending answers."""

    def __init__(self, settings: Settings) -> None:
        """Read the security settings once."""
        self._settings = settings
        self.logins = logins(settings)  # a RagError for a malformed entry: refuse to start
        self._tokens = api_tokens(settings)
        if settings.trusted_groups_header and not settings.trusted_user_header:
            raise SettingsInvalid(
                "trusted_groups_header (RAG_TRUSTED_GROUPS_HEADER) needs trusted_user_header: "
                "groups are believed only with the user they belong to"
            )
        self._open = not credentials_configured(settings)
        self._peers = TrustedPeers(settings.trusted_proxies)
        key = secret_key(settings)
        self._serializer = URLSafeTimedSerializer(key, salt="widget-token")
        self._source_links = URLSafeTimedSerializer(key, salt="source-link")
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._rate = parse(settings.rate_limit)
        self._pending = 0
        self._lock = threading.Lock()
        # The UI's login session of a request (set once the UI is mounted; see ui.server).
        self.session_user: Callable[[Request], str | None] = lambda request: None

    def trusted_user(self, request: Request) -> str | None:
        """The single sign-on user: ``trusted_user_header`` sent by a trusted peer."""
        header = self._settings.trusted_user_header
        if not header or request.scope.get(PEER) not in self._peers:
            return None
        users = request.headers.getlist(header)
        return users[0].strip() if len(users) == 1 and one_user(users[0]) else None

    def trusted_groups(self, request: Request) -> frozenset[str]:
        """The single sign-on user's groups: ``trusted_groups_header`` (comma-separated)
        sent once by a trusted peer; none otherwise (AccessGate refuses it sent twice)."""
        header = self._settings.trusted_groups_header
        if not header or request.scope.get(PEER) not in self._peers:
            return frozenset()
        values = request.headers.getlist(header)
        return groups_of(values[0]) if len(values) == 1 else frozenset()

    def ui_user(self, request: Request) -> str | None:
        """The user signed in to the UI: by single sign-on, or by a UI login's session."""
        if self._settings.trusted_user_header:
            return self.trusted_user(request)
        return self.session_user(request)

    @property
    def token_names(self) -> frozenset[str]:
        """The names of the named API tokens."""
        return frozenset(name for name, _ in self._tokens if name)

    def _token_name(self, credential: str) -> str | None:
        """The name of the API token ``credential`` is ("" if unnamed), compared in
        constant time with every token; None when it is none of them."""
        given, found = credential.encode(), None
        for name, token in self._tokens:  # no short cut: every comparison is made
            if hmac.compare_digest(given, token):
                found = name
        return found

    @staticmethod
    def address(request: Request) -> str:
        """The client's address (from a trusted proxy's X-Forwarded-For: see AccessGate)."""
        return request.client.host if request.client else "unknown"

    def widget_client(self, origin: str, request: Request) -> str:
        """The rate-limit key of a widget visitor: the page's origin and their address."""
        return f"widget:{origin} {self.address(request)}"

    def origin_allowed(self, request: Request) -> str:
        """The request's Origin if it may get a widget token; 404 with the widget off, else 403.

        Only origins listed in ``allowed_origins`` get one, except that while no
        credentials are configured (anyone may ask anyway) the server's own origin does too.
        """
        if not self._settings.widget:
            raise HTTPException(404, "the widget is turned off on this server (RAG_WIDGET=off)")
        origin = request.headers.get("origin", "")
        if origin and (
            origin in self._settings.allowed_origins
            or (self._open and origin == request_origin(request))
        ):
            return origin
        raise HTTPException(403, f"origin {origin or '(none)'} is not allowed to use the widget")

    def widget_token(self, origin: str) -> str:
        """A signed token for ``origin``, good for asking only."""
        return self._serializer.dumps({"origin": origin, "scope": _WIDGET_SCOPE})

    def _widget_token_valid(self, token: str, origin: str | None) -> bool:
        try:
            claims = self._serializer.loads(token, max_age=self._settings.widget_token_seconds)
        except (SignatureExpired, BadSignature):
            return False
        return claims.get("scope") == _WIDGET_SCOPE and claims.get("origin") == origin

    def source_token(self, collection: str, file_id: str, caller: Caller) -> str:
        """A signed token that opens one ingested file (its source view and original) for
        ``caller``, whose access is checked again each time the link is used."""
        return self._source_links.dumps(
            {"collection": collection, "file": file_id, "by": [caller.kind, caller.name]}
        )

    def source_client(
        self, request: Request, collection: str, file_id: str, token: str | None
    ) -> Caller:
        """Who asks for a source view or file: with a valid source token for exactly that
        file, the request's own caller if it has credentials, else the caller the link
        was signed for (a browser following a link sends no Authorization); without one,
        what ``/api/ask`` needs. The rules are applied to that caller afterwards."""
        if token:
            try:
                claims = self._source_links.loads(token, max_age=SOURCE_LINK_SECONDS)
            except (SignatureExpired, BadSignature):
                claims = None
            signed = isinstance(claims, dict) and claims.get("file") == file_id
            if signed and claims.get("collection") == collection:
                key = f"source:{self.address(request)}"
                live = self.identify(request)
                if live.kind != "anonymous":
                    return Caller(live.kind, live.name, live.groups, key)
                kind, name = claims.get("by", ["anonymous", ""])
                return Caller(kind, name, key=key)
        try:
            return self.authenticate(request)
        except HTTPException as error:
            if token and error.status_code == 401:
                message = "this source link has expired or is for another file: ask again"
                raise HTTPException(401, message) from None
            raise

    def _basic_user(self, credential: str) -> str | None:
        """The user of valid ``Basic`` credentials (one of the UI logins), else None."""
        try:
            user, _, password = base64.b64decode(credential, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        known = self.logins.get(user, "")
        valid = hmac.compare_digest(password.encode(), known.encode())
        return user if known and valid else None

    def _session_user(self, request: Request) -> str | None:
        """The UI session's user, for requests from this server's pages or listed origins."""
        origin = request.headers.get("origin")
        foreign = origin not in self._settings.allowed_origins
        if origin and foreign and origin != request_origin(request):
            return None  # another site's page riding on the session cookie
        return self.session_user(request)

    def authenticate(self, request: Request) -> Caller:
        """Who the client is (its ``key`` is its rate-limit key); 401 when credentials are
        needed or wrong."""
        if self._settings.trusted_user_header:
            user = self.trusted_user(request)
            if user is None:
                raise HTTPException(401, "sign in first: this server is behind single sign-on")
            return Caller("sso", user, self.trusted_groups(request), f"user:{user}")
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        scheme, credential = scheme.lower(), credential.strip()
        if scheme == "bearer" and credential:
            name = self._token_name(credential)
            if name is not None:
                return Caller(
                    "token", name, key=f"token:{hashlib.sha256(credential.encode()).hexdigest()}"
                )
            origin = request.headers.get("origin")
            if origin and self._widget_token_valid(credential, origin):
                return Caller("widget", origin, key=self.widget_client(origin, request))
            if not self._open:
                raise HTTPException(401, "invalid, expired or foreign-origin token")
        if scheme == "basic" and self.logins:
            user = self._basic_user(credential)
            if user is None:
                raise HTTPException(401, "wrong user name or password")
            return Caller("login", user, key=f"user:{user}")
        user = self._session_user(request)
        if user is not None:
            return Caller("login", user, key=f"user:{user}")
        if self._tokens and not self.logins:
            raise HTTPException(401, "an API token is required (Authorization: Bearer ...)")
        if not self._open:
            raise HTTPException(
                401, "sign in first: a UI session, Authorization: Basic or Bearer <API token>"
            )
        return Caller(key=f"ip:{self.address(request)}")

    def identify(self, request: Request | None) -> Caller:
        """Who the client is, anonymous when it brings no valid credentials (Gradio's
        routes, which Gradio's login and AccessGate guard themselves)."""
        if request is None:
            return Caller()
        try:
            return self.authenticate(request)
        except HTTPException:
            return Caller(key=f"ip:{self.address(request)}")

    def count(self, client: str) -> None:
        """Count one request of ``client``; 429 past the rate limit."""
        if not self._limiter.hit(self._rate, client):
            raise HTTPException(429, f"rate limit of {self._settings.rate_limit} exceeded")

    def enter(self) -> None:
        """Take a place among the pending answers; 429 when all are taken."""
        with self._lock:
            if self._pending >= self._settings.max_pending:
                raise HTTPException(429, "the server is busy; try again in a moment")
            self._pending += 1

    def leave(self) -> None:
        """Give the place back."""
        with self._lock:
            self._pending -= 1

    @contextmanager
    def held(self) -> Iterator[None]:
        """A place among the pending answers for the ``with`` block (429 when all are taken)."""
        self.enter()
        try:
            yield
        finally:
            self.leave()


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
