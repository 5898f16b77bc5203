"""The Gradio app: the chat, an `ask` API endpoint, and the admin panel when enabled."""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from rag.chain import Chain
from ui.chat import build_chat_tab
from ui.uploads import UPLOAD_SECONDS

if TYPE_CHECKING:
    from ui.security import Guard
    from ui.source import SourceLinks
    from ui.uploads import Uploads

CSS = (Path(__file__).parent / "style.css").read_text()
# System fonts: nothing is fetched from a font service.
THEME = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
# Answers are CPU-bound and short; two at a time keeps both cores busy.
CONCURRENCY = 2


def build_app(
    chain: Chain,
    links: "SourceLinks | None" = None,
    admin: "tuple[Guard, Uploads] | None" = None,
) -> gr.Blocks:
    """The whole UI over ``chain``; ``links`` sign the source cards' links; ``admin``
    (who is an admin, and their uploads) adds the admin tab, shown to admins only."""
    # Uploads an admin never ingested are deleted an hour on (ui.uploads.UPLOAD_SECONDS).
    with gr.Blocks(
        title="Ask the documents", analytics_enabled=False, delete_cache=(600, UPLOAD_SECONDS)
    ) as app:
        gr.Markdown("# Ask the documents\nAnswers quote the documents; `[n]` links to source n.")
        with gr.Tab("Chat"):
            build_chat_tab(chain, links)
        if admin is not None:
            # Imported only when enabled: it brings the ingest pipeline and its loaders.
            from ui.admin import build_admin_tab

            guard, uploads = admin
            tab = build_admin_tab(chain, guard, uploads)

            def show_to_admins(request: gr.Request) -> dict[str, Any]:
                return gr.update(visible=guard.is_admin(request.username))

            app.load(show_to_admins, None, tab, api_visibility="private")

        def ask(
            question: str,
            history: list[str] | None = None,
            collection: str | None = None,
            sources: list[str] | None = None,
        ) -> dict[str, Any]:
            """Answer a question (from a collection, under some sources); the JSON of
            `rag ask --json`."""
            target = chain.collection(collection or None)
            return target.answer(question, history or [], sources=sources or ()).model_dump(
                mode="json"
            )

        gr.api(ask, api_name="ask")
    # A bounded queue: past it, Gradio tells the user the server is busy.
    app.queue(default_concurrency_limit=CONCURRENCY, max_size=4 * chain.settings.max_pending)
    return app
