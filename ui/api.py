"""The JSON API: ask, ask with server-sent events, widget tokens, health and readiness."""

import itertools
import json
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from rag.chain import Chain
from rag.errors import LlmUnavailable, RagError
from rag.models import Answer
from ui.security import Guard


class AskRequest(BaseModel):
    """A question, with the earlier questions of the conversation."""

    question: str = Field(min_length=1)
    history: list[str] = []
    k: int | None = Field(None, ge=1, le=50)


class WidgetToken(BaseModel):
    """A short-lived token for one page origin."""

    token: str
    expires_in: int


def _sse(event: str, payload: object) -> str:
    """One server-sent event in the wire format."""
    return f"event: {event}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


def build_api(chain: Chain, guard: Guard) -> APIRouter:
    """The API routes over ``chain``, guarded by ``guard``."""
    settings = chain.settings
    router = APIRouter(max_body_size=settings.max_body_bytes)

    def client(request: Request) -> str:
        key = guard.authenticate(request)
        guard.count(key)
        return key

    Client = Annotated[str, Depends(client)]

    def start(body: AskRequest) -> Iterator[str | Answer]:
        """The chain's stream with its first event already produced, so that bad
        input, an empty index or an unreachable LLM fail before any response starts."""
        if len(body.question) > settings.max_question_chars:
            raise HTTPException(422, f"question longer than {settings.max_question_chars} chars")
        if len(body.history) > settings.max_history:
            raise HTTPException(422, f"history longer than {settings.max_history} questions")
        events = chain.stream(body.question, body.history, body.k)
        try:
            first = next(events)
        except LlmUnavailable as error:
            raise HTTPException(503, str(error)) from None
        except RagError as error:
            raise HTTPException(400, str(error)) from None
        return itertools.chain([first], events)

    @router.post("/api/ask", response_model=Answer, tags=["ask"])
    def ask(body: AskRequest, client_key: Client) -> Answer:
        """Answer a question: the JSON object of `rag ask --json`."""
        del client_key  # authenticated and counted by the dependency
        guard.enter()
        try:
            *_, answer = start(body)
        except LlmUnavailable as error:
            raise HTTPException(503, str(error)) from None
        finally:
            guard.leave()
        assert isinstance(answer, Answer)
        return answer

    @router.post(
        "/api/ask/stream", tags=["ask"], responses={200: {"content": {"text/event-stream": {}}}}
    )
    def ask_stream(body: AskRequest, _: Client) -> StreamingResponse:
        """The same answer as server-sent events: `delta` events with answer text as
        it is produced, then `citations`, then `done` with the complete JSON object
        (whose `answer` replaces the deltas: generated text is checked at the end)."""
        guard.enter()
        try:
            stream = start(body)
        except BaseException:
            guard.leave()
            raise

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
            finally:
                guard.leave()

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
        )

    @router.post("/api/widget-token", response_model=WidgetToken, tags=["widget"])
    def widget_token(request: Request) -> WidgetToken:
        """A token for the widget on an allow-listed page, bound to its origin."""
        origin = guard.origin_allowed(request)
        guard.count(f"origin:{origin}")
        return WidgetToken(
            token=guard.widget_token(origin), expires_in=settings.widget_token_seconds
        )

    @router.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @router.get("/readyz", tags=["health"])
    def readyz() -> dict[str, object]:
        """Readiness: the index is loaded and holds chunks."""
        sources = chain.index.sources()
        chunks = sum(sources.values())
        if not chunks:
            raise HTTPException(503, "the index is empty: run `rag ingest`")
        return {
            "ready": True,
            "sources": len(sources),
            "chunks": chunks,
            "embedding_model": settings.embedding_model,
            "answers": "extractive",
        }

    return router
