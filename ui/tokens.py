"""The tokens the server signs (itsdangerous), with its secret key.

- Widget tokens: short-lived, bound to the page's origin and good only for asking;
  issued to explicitly allow-listed origins (to the server's own origin too only
  while nothing is configured), so an intranet page never holds a long-lived key.
  They are public credentials.
- Source-link tokens: good for one ingested file of one collection for an hour
  (``SOURCE_LINK_SECONDS``), naming the caller the link was made for.
"""

import os
import secrets
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from rag.settings import Settings
from ui.access import Caller
from ui.identity import credentials_configured, request_origin

_WIDGET_SCOPE = "ask"
# A source link stays good this long: long enough to read an answer and follow its
# links, short enough that a link copied out of the page soon stops working.
SOURCE_LINK_SECONDS = 3600


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


class SignedTokens:
    """Widget tokens and source-link tokens, signed with the server's key."""

    def __init__(self, settings: Settings) -> None:
        """Read the key (made and kept in the data directory when none is set)."""
        self._settings = settings
        self._open = not credentials_configured(settings)
        key = secret_key(settings)
        self._widget = URLSafeTimedSerializer(key, salt="widget-token")
        self._source_links = URLSafeTimedSerializer(key, salt="source-link")

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
        return self._widget.dumps({"origin": origin, "scope": _WIDGET_SCOPE})

    def widget_token_valid(self, token: str, origin: str | None) -> bool:
        """Whether ``token`` is a widget token, unexpired, for ``origin``."""
        try:
            claims = self._widget.loads(token, max_age=self._settings.widget_token_seconds)
        except (SignatureExpired, BadSignature):
            return False
        return claims.get("scope") == _WIDGET_SCOPE and claims.get("origin") == origin

    def source_token(self, collection: str, file_id: str, caller: Caller) -> str:
        """A signed token that opens one ingested file (its source view and original) for
        ``caller``, whose access is checked again each time the link is used."""
        return self._source_links.dumps(
            {"collection": collection, "file": file_id, "by": [caller.kind, caller.name]}
        )

    def source_signer(self, token: str, collection: str, file_id: str) -> Caller | None:
        """The caller a valid, unexpired source token for exactly this file of this
        collection was made for; None for any other token."""
        try:
            claims: Any = self._source_links.loads(token, max_age=SOURCE_LINK_SECONDS)
        except (SignatureExpired, BadSignature):
            return None
        if not isinstance(claims, dict):
            return None
        if claims.get("file") != file_id or claims.get("collection") != collection:
            return None
        kind, name = claims.get("by", ["anonymous", ""])
        return Caller(kind, name)
