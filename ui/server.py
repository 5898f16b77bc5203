"""One ASGI app: the JSON API, the widget script and the Gradio UI, served by uvicorn."""

from pathlib import Path

import gradio as gr
import uvicorn
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse

from rag.chain import Chain
from ui.api import build_api
from ui.app import CSS, THEME, build_app
from ui.security import ApiBodyLimit, Guard

WIDGET = Path(__file__).parent / "embed" / "widget.js"


def build_server(chain: Chain) -> FastAPI:
    """The API, ``/widget.js`` and the UI over one chain."""
    settings = chain.settings
    app = FastAPI(
        title="rag-chat",
        summary="Answers from your documents, with exact citations.",
        root_path=settings.root_path,
    )
    # Our allow-list, not Gradio's permissive default: with this middleware in
    # place, Gradio adds no CORS headers of its own.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )
    app.add_middleware(ApiBodyLimit, max_bytes=settings.max_body_bytes)
    app.state.guard = Guard(settings)
    app.include_router(build_api(chain, app.state.guard))

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        return FileResponse(
            WIDGET, media_type="text/javascript", headers={"Cache-Control": "public, max-age=300"}
        )

    logins = [tuple(pair.split(":", 1)) for pair in settings.auth if ":" in pair]
    return gr.mount_gradio_app(
        app,
        build_app(chain),
        path="/",
        auth=logins or None,
        root_path=settings.root_path or None,
        theme=THEME,
        css=CSS,
    )


def serve(chain: Chain, host: str, port: int) -> None:
    """Serve until interrupted."""
    uvicorn.run(
        build_server(chain),
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )
