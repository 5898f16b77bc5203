"""The JSON API: ask, ask with server-sent events, widget tokens, health and readiness."""

import json
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from rag.chain import Chain
from rag.errors import RagError
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

    def answer(body: AskRequest) -> Answer:
        if len(body.question) > settings.max_question_chars:
            raise HTTPException(422, f"question longer than {settings.max_question_chars} chars")
        if len(body.history) > settings.max_history:
            raise HTTPException(422, f"history longer than {settings.max_history} questions")
        guard.enter()
        try:
            return chain.answer(body.question, body.history, body.k)
        except RagError as error:
            raise HTTPException(400, str(error)) from None
        finally:
            guard.leave()

    @router.post("/api/ask", response_model=Answer, tags=["ask"])
    def ask(body: AskRequest, _: Client) -> Answer:
        """Answer a question: the JSON object of `rag ask --json`."""
        return answer(body)

    @router.post(
        "/api/ask/stream", tags=["ask"], responses={200: {"content": {"text/event-stream": {}}}}
    )
    def ask_stream(body: AskRequest, _: Client) -> StreamingResponse:
        """The same answer as server-sent events: `delta` events with answer text,
        then `citations`, then `done` with the complete JSON object."""
        result = answer(body)
        pieces = chain.pieces(result.answer)

        def events() -> Iterator[str]:
            for piece in pieces:
                yield _sse("delta", {"text": piece})
            yield _sse("citations", [c.model_dump() for c in result.citations])
            yield _sse("done", result.model_dump(mode="json"))

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
