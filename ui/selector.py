"""The collection selector of the chat: shown only when there is more than one to ask.

One collection (the common case) needs no choice, so the control stays hidden;
the list is read again on every page load, so a collection ingested while the
server runs appears on the next visit.
"""

import logging
from typing import Any

import gradio as gr

from rag.chain import Chain
from rag.errors import RagError

log = logging.getLogger(__name__)


def choices(chain: Chain) -> dict[str, Any]:
    """The selector's update: every collection, the default chosen, visible if several."""
    try:
        collections = chain.collections()
    except RagError:  # Chroma unreachable: the question itself will say so
        log.warning("cannot list the collections", exc_info=True)
        return gr.update(visible=False)
    return gr.update(
        choices=[(f"{c.name} ({c.files} file{'s' * (c.files != 1)})", c.name) for c in collections],
        value=chain.settings.collection,
        visible=len(collections) > 1,
    )


def build_selector(chain: Chain) -> gr.State:
    """The (hidden until loaded) dropdown of collections, filled on each page load.

    Returns:
        The session state holding the chosen collection (None: the default). A state,
        not the dropdown, is what the chat takes, so the documented ``/chat``
        endpoint keeps its parameters.
    """
    selector = gr.Dropdown(
        label="Collection",
        elem_id="collection",
        choices=[chain.settings.collection],
        value=chain.settings.collection,
        visible=False,
        interactive=True,
    )
    chosen = gr.State(None)
    selector.change(lambda name: name, selector, chosen, api_visibility="private")
    gr.on(None, lambda: choices(chain), None, selector, api_visibility="private")
    return chosen
