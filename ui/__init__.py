"""The web surfaces over the library: the Gradio chat, the JSON API, the widget and access."""

import rag  # noqa: F401  (offline environment before Gradio loads)
