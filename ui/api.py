"""The JSON API: ask, ask with server-sent events, widget tokens, health and readiness."""

import itertools
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import AfterValidator, BaseModel, Field, StrictInt, field_validator

from rag.catalog import Collections
from rag.errors import NotFound, RagError, Unavailable
from rag.retrieve.collections import CollectionInfo
from rag.retrieve.scope import MAX_PREFIX_CHARS, MAX_PREFIXES
from rag.schema import Answer
from rag.settings import check_collection_name
from ui.access import Access, AccessRefused, Caller
from ui.errors import METHODS, request_id
from ui.security import Guard

log = logging.getLogger(__name__)


def _collection_name(value: str | None) -> str | None:
    return None if value is None else check_collection_name(value)


# A collection named in a request (None: the server's default); a bad name is a 422.
CollectionName = Annotated[str | None, AfterValidator(_collection_name)]


class AskRequest(BaseModel):
    """A question, with the earlier questions of the conversation."""

    question: str = Field(min_length=1)
    history: list[str] = []
    k: StrictInt | None = Field(None, ge=1, le=50)  # strict: `true` is not 1
    collection: CollectionName = Field(
        None, description="the collection to ask (`GET /api/collections`); default: the server's"
    )
    sources: list[Annotated[str, Field(min_length=1, max_length=MAX_PREFIX_CHARS)]] = Field(
        [],
        max_length=MAX_PREFIXES,
        description="only documents under these folders or files, e.g. docs/policies/",
    )

    @field_validator("question", "history", "sources")
    @classmethod
    def _valid_unicode(cls, value: str | list[str]) -> str | list[str]:
        """Refuse lone surrogates (``"\\ud800"``): text that cannot be stored or shown."""
        for text in [value] if isinstance(value, str) else value:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("not valid Unicode text (a lone surrogate)") from None
        return value


class WidgetToken(BaseModel):
    """A short-lived token for one page origin."""

    token: str
    expires_in: int


def _sse(event: str, payload: object) -> str:
    """One server-sent event in the wire format."""
    return f"event: {event}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


def build_api(
    catalog: Collections,
    guard: Guard,
    warmed: threading.Event | None = None,
    access: Access | None = None,
) -> APIRouter:
    """The API routes over ``catalog``, guarded by ``guard`` and the ``access`` rules
    (default: those of its settings).

    When ``warmed`` is given, ``/readyz`` answers 503 until it is set: the server is
    ready once the index is open and the models are loaded, not merely listening.
    """
    settings = catalog.settings
    router = APIRouter(max_body_size=settings.max_body_bytes)
    rules = access or Access(settings, guard.identity.logins, guard.identity.token_names)

    def client(request: Request) -> Caller:
        caller = guard.identity.authenticate(request)
        guard.limits.count(caller.key)
        return caller

    Client = Annotated[Caller, Depends(client)]

    async def slot() -> AsyncIterator[None]:
        """A place among the pending answers, held until the response is over however it
        ends (a client that hangs up included); 429 at once when all are taken. Taken
        before the rate limit counts the request, so a busy refusal costs no budget."""
        with guard.limits.held():
            yield

    Slot = Annotated[None, Depends(slot, scope="request")]

    def start(body: AskRequest, caller: Caller, route: str) -> Iterator[str | Answer]:
        """The chain's stream with its first event already produced, so that bad
        input, a collection the caller may not read, an empty index or an unreachable
        LLM fail before any response starts."""
        if len(body.question) > settings.max_question_chars:
            raise HTTPException(422, f"question longer than {settings.max_question_chars} chars")
        if len(body.history) > settings.max_history:
            raise HTTPException(422, f"history longer than {settings.max_history} questions")
        try:
            rules.require(caller, body.collection, route)
            # A collection or a path that names nothing is a 404, before anything loads.
            events = catalog.get(body.collection).stream(
                body.question, body.history, body.k, sources=body.sources
            )
            first = next(events)
        except AccessRefused as error:
            raise HTTPException(403, str(error)) from None
        except NotFound as error:
            raise HTTPException(404, str(error)) from None
        except Unavailable as error:  # Chroma, the LLM, or an access rules file gone bad
            raise HTTPException(503, str(error)) from None
        except RagError as error:
            raise HTTPException(400, str(error)) from None
        return itertools.chain([first], events)

    @router.post("/api/ask", response_model=Answer, tags=["ask"])
    def ask(body: AskRequest, _slot: Slot, caller: Client) -> Answer:
        """Answer a question: the JSON object of `rag ask --json`."""
        try:
            *_, answer = start(body, caller, "/api/ask")
        except Unavailable as error:
            raise HTTPException(503, str(error)) from None
        assert isinstance(answer, Answer)
        return answer

    @router.post(
        "/api/ask/stream", tags=["ask"], responses={200: {"content": {"text/event-stream": {}}}}
    )
    def ask_stream(
        body: AskRequest, request: Request, _slot: Slot, caller: Client
    ) -> StreamingResponse:
        """The same answer as server-sent events: `delta` events with answer text as
        it is produced, then `citations`, then `done` with the complete JSON object
        (whose `answer` replaces the deltas: generated text is checked at the end)."""
        stream = start(body, caller, "/api/ask/stream")

        def events() -> Iterator[str]:
            try:
                for event in stream:
                    if isinstance(event, Answer):
                        yield _sse("citations", [c.model_dump() for c in event.citations])
                        yield _sse("done", event.model_dump(mode="json"))
                    else:
                        yield _sse("delta", {"text": event})
            except RagError as error:  # the LLM failed mid-answer: say so in the stream
                yield _sse("error", {"detail": str(error)})
            except Exception:  # a bug: logged under the request id, which the client gets
                rid = request_id(request)
                log.exception("request %s: the answer stream failed", rid)
                yield _sse("error", {"detail": "internal error", "request_id": rid})

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
        )

    @router.post("/api/widget-token", response_model=WidgetToken, tags=["widget"])
    def widget_token(request: Request) -> WidgetToken:
        """A token for the widget on an allow-listed page, bound to its origin: 403 for
        other origins, 404 when the widget is turned off (`RAG_WIDGET=off`)."""
        origin = guard.tokens.origin_allowed(request)
        guard.limits.count(f"issue {guard.identity.widget_client(origin, request)}")
        return WidgetToken(
            token=guard.tokens.widget_token(origin), expires_in=settings.widget_token_seconds
        )

    @router.get("/api/collections", response_model=list[CollectionInfo], tags=["ask"])
    def collections(caller: Client) -> list[CollectionInfo]:
        """The collections the caller may ask, with their file and chunk counts."""
        return rules.readable(caller, catalog.list(), "/api/collections")

    @router.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @router.get("/readyz", tags=["health"])
    def readyz() -> dict[str, object]:
        """Readiness: the index is loaded and holds chunks, and the models are loaded."""
        if warmed is not None and not warmed.is_set():
            raise HTTPException(503, "warming up: opening the index and loading the models")
        sources = catalog.default.index.sources()
        chunks = sum(sources.values())
        # Ready too when only named collections hold documents (the default is empty).
        if not chunks and not any(c.chunks for c in catalog.list()):
            raise HTTPException(503, "the index is empty: run `rag ingest`")
        # Still ready (it answers), but a killed or running ingest may have left it part-updated.
        unfinished = catalog.default.index.unfinished_ingest()
        ingest: dict[str, object] = {"ingest": "complete"}
        if unfinished:
            ingest = {"ingest": "unfinished", "warning": unfinished}
        return {
            **ingest,
            "ready": True,
            "sources": len(sources),
            "chunks": chunks,
            "embedding_model": settings.embedding_model,
            "answers": "extractive",
        }

    refuse_other_methods(
        router,
        {
            "/api/ask": "POST",
            "/api/ask/stream": "POST",
            "/api/widget-token": "POST",
            "/api/collections": "GET",
            "/healthz": "GET",
            "/readyz": "GET",
        },
    )
    return router


def refuse_other_methods(router: APIRouter, allowed: dict[str, str]) -> None:
    """Answer other methods on each path of ``allowed`` (path: its one method) with a
    JSON 405, not the UI's 404 (the UI is mounted at /)."""
    for route_path, method in allowed.items():
        router.add_api_route(
            route_path,
            _refusal(method),
            methods=[m for m in METHODS if m != method],
            include_in_schema=False,
        )


def _refusal(allowed: str) -> Callable[[], None]:
    def refuse() -> None:  # no parameters: FastAPI would read them from the request
        raise HTTPException(405, "Method Not Allowed", headers={"Allow": allowed})

    return refuse
