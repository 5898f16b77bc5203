"""Who may ask, how often, and how many at once.

- API tokens (``api_tokens``): ``Authorization: Bearer <token>``.
- Widget tokens: short-lived, signed (itsdangerous), bound to the page's
  origin and good only for asking; issued to allow-listed origins only, so an
  intranet page never holds a long-lived key.
- A per-client moving-window rate limit (the ``limits`` library) and a bound
  on answers in progress: past either, a 429 JSON error instead of a hang.
"""

import os
import secrets
import threading
from pathlib import Path

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from rag.settings import Settings

_WIDGET_SCOPE = "ask"


def secret_key(settings: Settings) -> str:
    """``settings.secret_key``, or a random key kept (mode 600) in the data directory."""
    if settings.secret_key:
        return settings.secret_key
    path: Path = settings.data_dir / "secret.key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def request_origin(request: Request) -> str:
    """The origin this server is reached at, as the browser sees it (Host header)."""
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


class Guard:
    """Authentication, origin checks, rate limit and the bound on pending answers."""

    def __init__(self, settings: Settings) -> None:
        """Read the security settings once."""
        self._settings = settings
        self._serializer = URLSafeTimedSerializer(secret_key(settings), salt="widget-token")
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._rate = parse(settings.rate_limit)
        self._pending = 0
        self._lock = threading.Lock()

    def origin_allowed(self, request: Request) -> str:
        """The request's Origin if it may get a widget token, else 403."""
        origin = request.headers.get("origin", "")
        if origin and (
            origin in self._settings.allowed_origins or origin == request_origin(request)
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

    def authenticate(self, request: Request) -> str:
        """The client's key for rate limiting; 401 when a token is needed or wrong."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if token:
            if scheme.lower() == "bearer" and (
                token in self._settings.api_tokens
                or self._widget_token_valid(token, request.headers.get("origin"))
            ):
                return f"token:{token[:16]}"
            raise HTTPException(401, "invalid, expired or foreign-origin token")
        if self._settings.api_tokens:
            raise HTTPException(401, "an API token is required (Authorization: Bearer ...)")
        return f"ip:{request.client.host if request.client else 'unknown'}"

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
