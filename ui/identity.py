"""Who may ask, and who a request comes from (the README's "who can ask what").

- Nothing configured: anyone who reaches the server may ask.
- API tokens (``api_tokens``): ``Authorization: Bearer <token>``; an entry
  ``name:token`` names its token (what access rules and logs use).
- UI logins (``auth``): the UI's session cookie, or ``Authorization: Basic``.
- Single sign-on (``trusted_user_header``): a trusted reverse proxy names the
  user in a header, and their groups in another (``trusted_groups_header``); every
  route but a few public ones needs the user (ui.security.AccessGate).
- Widget tokens (ui.tokens): short-lived, signed, bound to the page's origin, good
  only for asking.

Each of these names a ``Caller`` (ui.access), which the access rules judge; its
``key`` is what the rate limit counts (ui.limits): its user, a hash of its whole API
token, its origin and address (widget), or its address. The address comes from
``X-Forwarded-For`` only when the peer is one of ``trusted_proxies``.
"""

import base64
import binascii
import hashlib
import hmac
import ipaddress
from collections.abc import Callable

from fastapi import HTTPException, Request

from rag.errors import RagError
from rag.settings import Settings, SettingsInvalid
from ui.access import Caller

# The address the connection came from, before X-Forwarded-For is applied.
PEER = "rag.peer"
WidgetCheck = Callable[[str, str | None], bool]
"""Whether a token is a valid widget token for an origin."""


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


class Identity:
    """Who a request comes from: an API token, a widget token, a UI login (session or
    Basic), single sign-on, or nobody (an address)."""

    def __init__(self, settings: Settings, widget_token_valid: WidgetCheck) -> None:
        """Read the credentials once; ``widget_token_valid`` checks a widget token
        (ui.tokens.SignedTokens)."""
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
        self._widget_token_valid = widget_token_valid
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
