"""The Gradio chat: one question box over ``Chain.answer``."""

import html

import gradio as gr

from rag.chain import Chain
from rag.errors import RagError
from rag.models import Answer


def render(answer: Answer) -> str:
    """The answer and its numbered sources as Markdown, document text escaped."""
    if answer.abstained:
        return f"_{html.escape(answer.answer)}_"
    sources = "\n".join(
        f"{c.n}. **{html.escape(c.source)}** › {html.escape(c.section)}: “{html.escape(c.quote)}”"
        for c in answer.citations
    )
    return f"{html.escape(answer.answer)}\n\n**Sources**\n\n{sources}"


def build_app(chain: Chain) -> gr.Blocks:
    """A chat page answering from ``chain``."""

    def respond(message: str, history: list[dict[str, str]]) -> str:
        try:
            return render(chain.answer(message))
        except RagError as error:
            return f"**Error:** {html.escape(str(error))}"

    return gr.ChatInterface(respond, title="Ask the documents", api_name="ask")
