"""Admin uploads: who may upload, how much, and which stored file an event may name.

Gradio stores an upload in its upload folder and answers with the stored path; the
browser then sends that path back in the event that uses the file (the admin tab's
Ingest). Any client can send any other path instead, and a mounted Gradio app (never
"launched") copies and reads whatever file a path names before the handler runs. So
the check happens here, in front of Gradio: every path an event names must be one that
this user's own upload stored, and nothing else reaches Gradio.

- ``/gradio_api/upload`` answers only admins (``admin_users`` and members of
  ``admin_groups``), only with the admin tab on; Gradio bounds each file by ``max_file_mb``.
- Any other Gradio request whose JSON names a file (an object with a ``path``) is
  refused unless each path is one this user uploaded and has not used yet.
- Gradio's requests from another site's page (an ``Origin`` that is neither this
  server's nor allowed) are refused: a signed-in admin's browser cannot be made to
  upload or act by a page elsewhere.
- Gradio routes this UI never uses (recording uploads, component server functions)
  are refused.
"""

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.settings import Settings
from ui.access import Access
from ui.identity import request_origin
from ui.security import Guard, route_path

UPLOAD_ROUTE = "/gradio_api/upload"
UNUSED_ROUTES = ("/gradio_api/process_recording", "/gradio_api/component_server")
# The JSON of a Gradio event (a question, the conversation so far) is small; a body
# larger than this is refused before it is read whole.
MAX_EVENT_BYTES = 4 * 1024 * 1024
# An upload not used by an Ingest within this time can no longer be named (and Gradio
# deletes its file: ui.app).
UPLOAD_SECONDS = 3600


class Uploads:
    """The files each user's uploads stored and that no event has used yet."""

    def __init__(self) -> None:
        """Start with none."""
        self._by_user: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def record(self, user: str, paths: list[str]) -> None:
        """``user``'s upload stored ``paths`` (uploads past their time are forgotten)."""
        now = time.monotonic()
        with self._lock:
            for held in self._by_user.values():
                for path in [p for p, at in held.items() if now - at >= UPLOAD_SECONDS]:
                    del held[path]
            held = self._by_user.setdefault(user, {})
            for path in paths:
                held[path] = now

    def holds(self, user: str | None, path: str) -> bool:
        """Whether ``path`` is a recent, unused upload of ``user``."""
        with self._lock:
            stored = self._by_user.get(user or "", {}).get(path)
        return stored is not None and time.monotonic() - stored < UPLOAD_SECONDS

    def claim(self, user: str | None, paths: list[str]) -> list[Path] | None:
        """The uploaded files at ``paths``, used up (no event may name them again), if
        every one is a recent upload of ``user`` and still a regular file; None (and
        nothing used up) otherwise."""
        files = [Path(path) for path in paths]
        if not all(self.holds(user, p) for p in paths) or not all(
            f.is_file() and not f.is_symlink() for f in files
        ):
            return None
        with self._lock:
            for path in paths:
                self._by_user.get(user or "", {}).pop(path, None)
        return files


def named_paths(value: Any) -> Iterator[str]:
    """Every ``path`` of an object anywhere in a JSON value: the files it names."""
    pending = [value]
    while pending:  # not recursive: any depth the JSON parser accepted is fine here
        item = pending.pop()
        if isinstance(item, dict):
            path = item.get("path")
            if path is not None:
                yield str(path)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


async def _send_json(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
    await JSONResponse({"detail": detail}, status_code=status)(scope, receive, send)


class UploadGate:
    """Uploads for admins only; events name only the caller's own uploads; Gradio's
    requests only from this server's pages and allowed origins."""

    def __init__(
        self, app: ASGIApp, guard: Guard, access: Access, uploads: Uploads, settings: Settings
    ) -> None:
        """Wrap ``app`` (the whole server; only Gradio's routes are looked at)."""
        self._app = app
        self._guard = guard
        self._access = access
        self._uploads = uploads
        self._admin = settings.admin
        self._origins = frozenset(settings.allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse, or pass the request on (recording what an upload stored)."""
        path = route_path(scope).rstrip("/") if scope["type"] == "http" else ""
        if not path.startswith("/gradio_api/") or scope["method"] != "POST":
            await self._app(scope, receive, send)
        elif self._foreign(scope):
            await _send_json(scope, receive, send, 403, "a request from another site's page")
        elif path in UNUSED_ROUTES:
            await _send_json(scope, receive, send, 404, "not found")
        elif path == UPLOAD_ROUTE:
            await self._upload(scope, receive, send)
        else:
            await self._event(scope, receive, send)

    def _foreign(self, scope: Scope) -> bool:
        """Whether the request comes from a page of another, not allowed, origin."""
        origin = Request(scope).headers.get("origin")
        return (
            bool(origin)
            and origin not in self._origins
            and origin != request_origin(Request(scope))
        )

    def _user(self, scope: Scope) -> str | None:
        return self._guard.identity.ui_user(Request(scope))

    async def _upload(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._admin:
            await _send_json(scope, receive, send, 404, "uploads are off: the admin tab is off")
            return
        caller = self._guard.identity.identify(Request(scope))
        if not self._access.is_admin(caller):
            await _send_json(scope, receive, send, 403, "only an admin may upload files")
            return
        user = caller.name
        body = bytearray()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body") and user is not None:
                    try:
                        stored = json.loads(body)
                    except ValueError:
                        stored = None  # a refusal (413) in plain text: nothing stored
                    if isinstance(stored, list):
                        self._uploads.record(user, [str(p) for p in stored])
            await send(message)

        await self._app(scope, receive, capture)

    async def _event(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > MAX_EVENT_BYTES:
            await _send_json(scope, receive, send, 413, "request body too large")
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > MAX_EVENT_BYTES:
                await _send_json(scope, receive, send, 413, "request body too large")
                return
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        try:
            payload = json.loads(b"".join(m.get("body", b"") for m in messages) or b"null")
        except RecursionError:
            await _send_json(scope, receive, send, 400, "the JSON is nested too deeply")
            return
        except ValueError:
            payload = None  # not JSON: Gradio refuses it itself
        named = list(named_paths(payload))
        if named:
            user = self._user(scope)
            if not all(self._uploads.holds(user, p) for p in named):
                detail = "a file can only be one you have just uploaded"
                await _send_json(scope, receive, send, 403, detail)
                return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self._app(scope, replay, send)
