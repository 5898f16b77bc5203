"""The chat tab: streamed answers, linked citations, source cards, feedback.

Every question is asked as the page's caller (ui.access): the selector offers the
collections they may read, each question is checked again, and a caller who may read
none gets a page that says so instead of the chat.
"""

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import gradio as gr

from rag.catalog import Collections
from rag.errors import RagError
from rag.schema import Answer
from ui import render
from ui.feedback import record_feedback
from ui.selector import build_selector, choices

if TYPE_CHECKING:
    from ui.access import Access
    from ui.links import SourceLinks
    from ui.security import Guard

Messages = list[dict[str, Any]]
ANSWER_VIEW, SOURCES_VIEW = "Answer", "Sources only"
NO_ACCESS = (
    "### No collection on this server is open to you\n\n"
    "You are signed in, but the access rules give you no collection to ask. "
    "Ask the people who run this server to add you (or one of your groups) to a collection."
)


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
    catalog: Collections,
    question: str,
    messages: Messages,
    view: str,
    answers: dict[int, Any],
    collection: str | None = None,
    links: "SourceLinks | None" = None,
    check: Callable[[str | None], object] | None = None,
) -> Iterator[tuple[Messages, str, dict[int, Any], str]]:
    """Stream one answer from ``collection`` (None: the default) into the conversation,
    once ``check`` (a ``RagError`` when the caller may not read it) lets it through;
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
        if check is not None:
            check(collection or None)
        for event in catalog.get(collection or None).stream(question, history):
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


def corpus_examples(catalog: Collections) -> list[str]:
    """The example questions the default collection's corpus names (none before an ingest)."""
    try:
        return catalog.default.index.examples()
    except RagError:  # no index yet: the page still serves, and says so when asked
        return []


def build_chat_tab(
    catalog: Collections, guard: "Guard", access: "Access", links: "SourceLinks | None" = None
) -> None:
    """Lay out the chat inside the current Blocks, for callers ``guard`` names and
    ``access`` judges; ``links`` sign the source cards' links."""
    answers = gr.State({})
    notice = gr.Markdown(NO_ACCESS, visible=False, elem_id="no-access")
    with gr.Row() as page:
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
                selector, collection = build_selector(catalog)
            # The corpus's own examples are text of the default collection: shown only to
            # those who may read it; examples from the settings are the operator's.
            corpus = not catalog.settings.examples
            examples = catalog.settings.examples or corpus_examples(catalog)
            shown = (
                gr.Examples(examples, inputs=question, label="Example questions").dataset
                if examples
                else None
            )
        with gr.Column(scale=2):
            gr.Markdown("### Sources")
            sources = gr.HTML(elem_id="sources")

    def on_load(request: gr.Request) -> tuple[Any, ...]:
        caller = guard.identity.identify(request.request)
        update = choices(catalog, lambda listed: access.readable(caller, listed, "ui"))
        closed = "choices" in update and not update["choices"]
        updates = (
            update,
            update.get("value"),
            gr.update(visible=not closed),
            gr.update(value=NO_ACCESS, visible=closed),
        )
        if shown is None:
            return updates
        default = catalog.settings.collection
        try:
            visible = not closed and (not corpus or access.allows(caller, default, "ui examples"))
        except RagError:  # the rules cannot be used: a question will say so
            visible = False
        return (*updates, gr.update(visible=visible))

    outputs = [selector, collection, page, notice, *([shown] if shown is not None else [])]
    gr.on(None, on_load, None, outputs, api_visibility="private")

    def on_submit(
        text: str,
        messages: Messages,
        mode: str,
        known: dict[int, Any],
        name: str | None = None,
        request: gr.Request | None = None,
    ):
        caller = guard.identity.identify(request.request if request is not None else None)
        yield from respond(
            catalog,
            text,
            messages or [],
            mode,
            known or {},
            name,
            links.for_caller(caller) if links else None,
            lambda target: access.require(caller, target, "chat"),
        )

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
                catalog.settings.data_dir / "feedback.jsonl",
                bool(event.liked),
                answer,
                catalog.settings,
                user=request.username,  # the UI login or single sign-on user, if any
            )
            gr.Info("Thanks for the feedback.")

    chatbot.like(on_like, [answers], None, api_visibility="private")
