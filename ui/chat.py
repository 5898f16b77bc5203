"""The chat tab: streamed answers, linked citations, source cards, feedback."""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import gradio as gr

from rag.chain import Chain
from rag.errors import RagError
from rag.models import Answer
from ui import render
from ui.feedback import record_feedback
from ui.selector import build_selector

if TYPE_CHECKING:
    from ui.source import SourceLinks

Messages = list[dict[str, Any]]
ANSWER_VIEW, SOURCES_VIEW = "Answer", "Sources only"


def message_text(content: Any) -> str:
    """The text of a chat message. Gradio 6 hands messages back with their content as
    a list of blocks (``[{"type": "text", "text": ...}]``); files and components in it
    carry no text."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text", "")) if content.get("type", "text") == "text" else ""
    if isinstance(content, list | tuple):
        return " ".join(t for t in (message_text(c) for c in content) if t)
    return ""


def _previous_questions(messages: Messages) -> list[str]:
    questions = (message_text(m["content"]).strip() for m in messages if m["role"] == "user")
    return [q for q in questions if q]


def respond(
    chain: Chain,
    question: str,
    messages: Messages,
    view: str,
    answers: dict[int, Any],
    collection: str | None = None,
    links: "SourceLinks | None" = None,
) -> Iterator[tuple[Messages, str, dict[int, Any], str]]:
    """Stream one answer from ``collection`` (None: the default) into the conversation;
    yields (chat, sources, answers, textbox)."""
    question = question.strip()
    if not question:
        yield messages, gr.skip(), answers, ""
        return
    history = _previous_questions(messages)
    messages = [
        *messages,
        {"role": "user", "content": question},
        {"role": "assistant", "content": ""},
    ]
    yield messages, "", answers, ""
    streamed = ""
    try:
        for event in chain.collection(collection or None).stream(question, history):
            if isinstance(event, Answer):
                answer = event
            else:
                streamed += event
                messages[-1]["content"] = render.chat_message(render.literal(streamed))
                yield messages, gr.skip(), answers, ""
    except RagError as error:
        notice = render.literal(str(error))
        messages[-1]["content"] = render.chat_message(
            f'<div class="abstention">Error: {notice}</div>'
        )
        yield messages, "", answers, ""
        return
    answers = {**answers, len(messages) - 1: answer.model_dump(mode="json")}
    if view == SOURCES_VIEW:
        messages[-1]["content"] = render.passages_summary(answer)
        yield messages, render.passages_html(answer), answers, ""
    else:
        messages[-1]["content"] = render.answer_html(answer)
        cited = links.in_collection(collection or None) if links else None
        yield messages, render.sources_html(answer, cited), answers, ""


def corpus_examples(chain: Chain) -> list[str]:
    """The example questions the default collection's corpus names (none before an ingest)."""
    try:
        return chain.index.examples()
    except RagError:  # no index yet: the page still serves, and says so when asked
        return []


def build_chat_tab(chain: Chain, links: "SourceLinks | None" = None) -> None:
    """Lay out the chat inside the current Blocks; ``links`` sign the source cards' links."""
    answers = gr.State({})
    with gr.Row():
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(
                label="Conversation",
                elem_id="chat",
                height=460,
                feedback_options=("Like", "Dislike"),
                latex_delimiters=[],  # a "$$" in a document is text, not a formula
            )
            question = gr.Textbox(
                label="Your question",
                elem_id="question",
                autofocus=True,
                placeholder="Ask about the documents and press Enter",
                submit_btn="Ask",
            )
            with gr.Row():
                view = gr.Radio(
                    [ANSWER_VIEW, SOURCES_VIEW], value=ANSWER_VIEW, label="View", elem_id="view"
                )
                clear = gr.Button("Clear conversation", elem_id="clear")
                collection = build_selector(chain)
            examples = chain.settings.examples or corpus_examples(chain)
            if examples:
                gr.Examples(examples, inputs=question, label="Example questions")
        with gr.Column(scale=2):
            gr.Markdown("### Sources")
            sources = gr.HTML(elem_id="sources")

    def on_submit(
        text: str, messages: Messages, mode: str, known: dict[int, Any], name: str | None = None
    ):
        yield from respond(chain, text, messages or [], mode, known or {}, name, links)

    question.submit(
        on_submit,
        [question, chatbot, view, answers, collection],
        [chatbot, sources, answers, question],
        api_name="chat",
    )
    clear.click(lambda: ([], "", {}), None, [chatbot, sources, answers], api_visibility="private")

    def on_like(event: gr.LikeData, known: dict[int, Any], request: gr.Request) -> None:
        index = event.index[0] if isinstance(event.index, tuple | list) else event.index
        answer = (known or {}).get(int(index))
        if answer is not None:
            record_feedback(
                chain.settings.data_dir / "feedback.jsonl",
                bool(event.liked),
                answer,
                chain.settings,
                user=request.username,  # the UI login or single sign-on user, if any
            )
            gr.Info("Thanks for the feedback.")

    chatbot.like(on_like, [answers], None, api_visibility="private")
