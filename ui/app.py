"""The Gradio app: the chat, an `ask` API endpoint, and the admin panel when enabled."""

from pathlib import Path
from typing import Any

import gradio as gr

from rag.chain import Chain
from ui.chat import build_chat_tab

CSS = (Path(__file__).parent / "style.css").read_text()
# System fonts: nothing is fetched from a font service.
THEME = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
# Answers are CPU-bound and short; two at a time keeps both cores busy.
CONCURRENCY = 2


def build_app(chain: Chain) -> gr.Blocks:
    """The whole UI over ``chain``."""
    with gr.Blocks(title="Ask the documents", analytics_enabled=False) as app:
        gr.Markdown("# Ask the documents\nAnswers quote the documents; `[n]` links to source n.")
        with gr.Tab("Chat"):
            build_chat_tab(chain)
        if chain.settings.admin:
            # Imported only when enabled: it brings the ingest pipeline and its loaders.
            from ui.admin import build_admin_tab

            with gr.Tab("Admin"):
                build_admin_tab(chain)

        def ask(question: str, history: list[str] | None = None) -> dict[str, Any]:
            """Answer a question; the JSON of `rag ask --json`."""
            return chain.answer(question, history or []).model_dump(mode="json")

        gr.api(ask, api_name="ask")
    # A bounded queue: past it, Gradio tells the user the server is busy.
    app.queue(default_concurrency_limit=CONCURRENCY, max_size=4 * chain.settings.max_pending)
    return app
