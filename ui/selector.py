"""The collection selector of the chat: shown only when the caller may ask more than one.

One collection (the common case) needs no choice, so the control stays hidden;
the list is read again on every page load, so a collection ingested while the
server runs appears on the next visit. It lists only the collections the caller
may read (ui.access); the server's default is chosen when it is one of them.
"""

import logging
from collections.abc import Callable
from typing import Any

import gradio as gr

from rag.catalog import Collections
from rag.errors import RagError
from rag.retrieve.collections import CollectionInfo

log = logging.getLogger(__name__)

Readable = Callable[[list[CollectionInfo]], list[CollectionInfo]]


def choices(catalog: Collections, readable: Readable | None = None) -> dict[str, Any]:
    """The selector's update: the collections ``readable`` keeps (every one when None),
    the default chosen if among them (else the first), visible if several."""
    try:
        collections = catalog.list()
        if readable is not None:
            collections = readable(collections)
    except RagError:  # Chroma unreachable, rules unusable: the question itself will say so
        log.warning("cannot list the collections", exc_info=True)
        return gr.update(visible=False)
    names = [c.name for c in collections]
    default = catalog.settings.collection
    return gr.update(
        choices=[(f"{c.name} ({c.files} file{'s' * (c.files != 1)})", c.name) for c in collections],
        value=default if default in names else next(iter(names), None),
        visible=len(collections) > 1,
    )


def build_selector(catalog: Collections) -> tuple[gr.Dropdown, gr.State]:
    """The (hidden until loaded) dropdown of collections, filled on each page load.

    Returns:
        The dropdown, and the session state holding the chosen collection (None: the
        default). A state, not the dropdown, is what the chat takes, so the documented
        ``/chat`` endpoint keeps its parameters.
    """
    selector = gr.Dropdown(
        label="Collection",
        elem_id="collection",
        choices=[catalog.settings.collection],
        value=catalog.settings.collection,
        visible=False,
        interactive=True,
    )
    chosen = gr.State(None)
    selector.change(lambda name: name, selector, chosen, api_visibility="private")
    return selector, chosen
