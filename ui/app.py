"""The Gradio app: the chat, an `ask` API endpoint, and the admin panel when enabled."""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from rag.catalog import Collections
from rag.errors import RagError
from ui.chat import build_chat_tab
from ui.uploads import UPLOAD_SECONDS

if TYPE_CHECKING:
    from ui.access import Access
    from ui.links import SourceLinks
    from ui.security import Guard
    from ui.uploads import Uploads

CSS = (Path(__file__).parent / "style.css").read_text()
# System fonts: nothing is fetched from a font service.
THEME = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
# Answers are CPU-bound and short; two at a time keeps both cores busy.
CONCURRENCY = 2


def build_app(
    catalog: Collections,
    guard: "Guard",
    access: "Access",
    links: "SourceLinks | None" = None,
    uploads: "Uploads | None" = None,
) -> gr.Blocks:
    """The whole UI over ``catalog``, for callers ``guard`` names and ``access`` judges;
    ``links`` sign the source cards' links; ``uploads`` (the admins' uploads) adds the
    admin tab, shown to admins only."""
    # Uploads an admin never ingested are deleted an hour on (ui.uploads.UPLOAD_SECONDS).
    with gr.Blocks(
        title="Ask the documents", analytics_enabled=False, delete_cache=(600, UPLOAD_SECONDS)
    ) as app:
        gr.Markdown("# Ask the documents\nAnswers quote the documents; `[n]` links to source n.")
        with gr.Tab("Chat"):
            build_chat_tab(catalog, guard, access, links)
        if uploads is not None:
            # Imported only when enabled: it brings the ingest pipeline and its loaders.
            from ui.admin import build_admin_tab

            tab = build_admin_tab(catalog, guard, access, uploads)

            def show_to_admins(request: gr.Request) -> dict[str, Any]:
                return gr.update(visible=access.is_admin(guard.identity.identify(request.request)))

            app.load(show_to_admins, None, tab, api_visibility="private")

        def ask(
            question: str,
            history: list[str] | None = None,
            collection: str | None = None,
            sources: list[str] | None = None,
            request: gr.Request | None = None,
        ) -> dict[str, Any]:
            """Answer a question (from a collection, under some sources); the JSON of
            `rag ask --json`."""
            caller = guard.identity.identify(request.request if request is not None else None)
            try:
                access.require(caller, collection or None, "gradio ask")
                target = catalog.get(collection or None)
                answer = target.answer(question, history or [], sources=sources or ())
            except RagError as error:  # said to the client, as the JSON API says it
                raise gr.Error(str(error)) from None
            return answer.model_dump(mode="json")

        gr.api(ask, api_name="ask")
    # A bounded queue: past it, Gradio tells the user the server is busy.
    app.queue(default_concurrency_limit=CONCURRENCY, max_size=4 * catalog.settings.max_pending)
    return app
