"""One ASGI app: the JSON API, the widget script and the Gradio UI, served by uvicorn."""

import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import gradio as gr
import uvicorn
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse

from rag.catalog import Collections
from rag.chain import Chain
from ui.access import Access
from ui.api import build_api
from ui.app import CSS, THEME, build_app
from ui.errors import install_error_handlers
from ui.links import SourceLinks
from ui.security import AccessGate, ApiBodyLimit, Guard, startup_warning
from ui.source import build_source_routes
from ui.uploads import UploadGate, Uploads

WIDGET = Path(__file__).parent / "embed" / "widget.js"
log = logging.getLogger(__name__)


def warm_up(chain: Chain, done: threading.Event) -> None:
    """Open the index, load the embedder and build BM25, then set ``done``.

    Runs beside the starting server so that the first question is answered at full
    speed; ``done`` is set even when this fails (the first question then reports it).
    """
    try:
        if chain.index.count():
            _ = chain.answerer  # first, as Chain._extractive does: one model load, not two
            chain.ranked("warm up", 1)  # builds BM25 and runs the embedder once
    except Exception:
        log.warning("warm-up failed; the first question will retry", exc_info=True)
    finally:
        done.set()


def build_server(chain: Chain, warmed: threading.Event | None = None) -> FastAPI:
    """The API, the source view, ``/widget.js`` and the UI over a deployment.

    Args:
        chain: what answers from the default collection; the chains of the others
            share its models (rag.catalog).
        warmed: when given, ``/readyz`` answers 503 until it is set (see ``warm_up``).
    """
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
    app.state.guard = guard = Guard(settings)  # a RagError for a malformed login or token
    # Who may read which collection, and who is an admin: a SettingsInvalid for bad rules.
    access = Access(settings, guard.identity.logins, guard.identity.token_names)
    uploads = Uploads()
    app.add_middleware(ApiBodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(UploadGate, guard=guard, access=access, uploads=uploads, settings=settings)
    app.add_middleware(AccessGate, settings=settings)  # outermost: peers, proxies, SSO
    install_error_handlers(app)  # JSON errors; around everything, to catch bugs anywhere
    catalog = Collections(chain)  # the other collections answer with chain's models
    app.include_router(build_api(catalog, guard, warmed, access))
    app.include_router(build_source_routes(catalog, guard, access))

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        return FileResponse(
            WIDGET, media_type="text/javascript", headers={"Cache-Control": "public, max-age=300"}
        )

    # Single sign-on names the UI's user too (and AccessGate has already refused the rest).
    sign_on = (
        {"auth_dependency": guard.identity.trusted_user} if settings.trusted_user_header else {}
    )
    server = gr.mount_gradio_app(
        app,
        build_app(
            catalog,
            guard,
            access,
            SourceLinks(guard, settings.collection),
            uploads if settings.admin else None,
        ),
        path="/",
        auth=list(guard.identity.logins.items()) or None,
        root_path=settings.root_path or None,
        theme=THEME,
        css=CSS,
        max_file_size=int(settings.max_file_mb * 1024 * 1024),
        mcp_server=False,  # whatever GRADIO_MCP_SERVER says: it turns strings into files
        **sign_on,
    )
    guard.identity.session_user = ui_session(server)
    return server


def ui_session(server: FastAPI) -> Callable[[Request], str | None]:
    """Who a request's Gradio login cookie belongs to (None: no UI session)."""
    from gradio.routes import App as GradioApp

    apps = (getattr(route, "app", None) for route in server.routes)
    ui = next(app for app in apps if isinstance(app, GradioApp))

    def user(request: Request) -> str | None:
        cookies = request.cookies
        token = cookies.get(f"access-token-{ui.cookie_id}") or cookies.get(
            f"access-token-unsecure-{ui.cookie_id}"
        )
        return ui.tokens.get(token) if token else None

    return user


def log_access_decisions() -> None:
    """Print every access decision (ui.access) on stderr, one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    decisions = logging.getLogger("ui.access")
    decisions.addHandler(handler)
    decisions.setLevel(logging.INFO)


def serve(chain: Chain, host: str, port: int) -> None:
    """Serve until interrupted; the index and models load in the background meanwhile."""
    warmed = threading.Event()
    app = build_server(chain, warmed)
    log_access_decisions()
    warning = startup_warning(chain.settings, host)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    threading.Thread(target=warm_up, args=(chain, warmed), name="warm-up", daemon=True).start()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,  # ui.security.AccessGate applies them, from trusted_proxies only
        # h11 passes any method to the app, which answers those it does not serve with a
        # JSON 405 (ui.errors); httptools refuses unfamiliar ones with a plain-text 400.
        http="h11",
    )
