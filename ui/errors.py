"""Every HTTP error is JSON with the right status.

- Invalid requests: 422, without echoing the input back (a lone surrogate or a
  NaN in the input cannot be encoded as JSON, which used to turn a 422 into a
  plain-text 500).
- A server the answers depend on (Chroma, the LLM) is unreachable: 503.
- A collection, or documents under a path, that a request names do not exist: 404.
- The server's default collection, which the caller may not read (ui.access): 403.
- Any other ``RagError`` (a problem the user can fix): 400.
- A method no route serves (TRACE, made-up ones): 405, on every path.
- Anything else is a bug: 500 ``{"detail": "internal error", "request_id": ...}``,
  with the traceback in the server log under that request id.
"""

import json
import logging
import math
import uuid
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.errors import NotFound, RagError, Unavailable
from ui.access import AccessRefused

log = logging.getLogger(__name__)
# Every method some route serves; any other (TRACE, CONNECT, WebDAV's, made-up ones) gets
# a JSON 405 wherever it is sent, before any route or the UI sees it.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def clean(value: Any) -> Any:
    """``value`` with non-finite floats as None and unencodable text escaped."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


class SafeJSONResponse(JSONResponse):
    """A JSON response that renders whatever it is given: never a UnicodeEncodeError."""

    def render(self, content: Any) -> bytes:
        """Strict JSON (no NaN), UTF-8; unencodable parts are cleaned first."""
        try:
            return super().render(content)
        except (ValueError, UnicodeEncodeError):
            return json.dumps(clean(content), ensure_ascii=False, allow_nan=False).encode()


def request_id(request: Request) -> str:
    """The id the error middleware gave this request (also in the server log)."""
    return str(getattr(request.state, "request_id", "-"))


async def _invalid(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    detail = [
        {"type": e["type"], "loc": clean(list(e["loc"])), "msg": clean(e["msg"])}
        for e in error.errors()
    ]
    return SafeJSONResponse({"detail": detail}, status_code=422)


async def _unavailable(request: Request, error: Exception) -> JSONResponse:
    return SafeJSONResponse({"detail": str(error)}, status_code=503)


async def _not_found(request: Request, error: Exception) -> JSONResponse:
    return SafeJSONResponse({"detail": str(error)}, status_code=404)


async def _refused(request: Request, error: Exception) -> JSONResponse:
    return SafeJSONResponse({"detail": str(error)}, status_code=403)


async def _user_error(request: Request, error: Exception) -> JSONResponse:
    return SafeJSONResponse({"detail": str(error)}, status_code=400)


class CatchAll:
    """Outermost: gives each request an id; an uncaught exception becomes a JSON 500
    (or a 503 when it is a connection failure to a backend) and a logged traceback."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; answer for it if it fails before its response starts."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if scope["method"] not in METHODS:
            refused = {"detail": f"method {scope['method']} is not allowed"}
            headers = {"Allow": "GET, HEAD, POST"}
            await SafeJSONResponse(refused, status_code=405, headers=headers)(scope, receive, send)
            return
        rid = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = rid
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, receive, sending)
        except Exception as error:
            where = f"{scope.get('method')} {scope.get('path')}"
            if isinstance(error, httpx.TransportError | ConnectionRefusedError) and not started:
                log.warning("request %s: %s: a backend is unreachable: %s", rid, where, error)
                body = {"detail": f"a server the answers need is unreachable: {error}"}
                response = SafeJSONResponse(body, status_code=503)
            else:
                log.exception("request %s: %s failed", rid, where)
                if started:  # nothing more can be said: the client sees the response end
                    return
                body = {"detail": "internal error", "request_id": rid}
                response = SafeJSONResponse(body, status_code=500)
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers and the outermost middleware on ``app``."""
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(Unavailable, _unavailable)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(AccessRefused, _refused)
    app.add_exception_handler(RagError, _user_error)
    app.add_middleware(CatchAll)
