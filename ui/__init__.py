"""Surfaces over the one chain: the Gradio chat (and later the HTTP API and widget)."""

import rag  # noqa: F401  (offline environment before Gradio loads)
