"""The chat in headless Chromium: streaming, citations, abstention, follow-ups, sessions."""

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, expect

from harness.servers import free_port, wait_for
from rag.chain import Chain
from rag.schema import Answer
from tests.ui.conftest import ARTIFACTS, App, Visit, ask, open_visit, quote_in_view
from ui.server import build_server

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

WATCH_STREAM = """() => {
    window.__lengths = [];
    const chat = document.querySelector('#chat');
    new MutationObserver(() => window.__lengths.push(chat.innerText.length))
        .observe(chat, {subtree: true, childList: true, characterData: true});
}"""


def test_answer_streams_with_a_linked_citation_and_highlighted_quote(visit: Visit) -> None:
    page = visit.page
    expect(page.get_by_label("Your question")).to_be_focused()
    page.evaluate(WATCH_STREAM)
    ask(visit, "Which film used AI tools to de-age characters?")
    lengths = page.evaluate("window.__lengths")
    assert len(set(lengths)) >= 5, "the answer arrived in one piece, not streamed"
    marker = page.locator("#chat a.cite").first
    expect(marker).to_have_text("[1]")
    expect(marker).to_have_attribute("href", "#source-1")
    card = page.locator("#sources #source-1")
    expect(card).to_contain_text("seeds/netflix-generative-ai.txt")
    expect(card).to_contain_text("Innovative Uses of Generative AI in Production")
    expect(card.locator("mark")).to_contain_text("“Happy Gilmore 2” employed AI tools")
    visit.screenshot("chat-answer")


def test_a_citation_opens_the_source_view_at_the_quote(visit: Visit) -> None:
    ask(visit, "Which film used AI tools to de-age characters?")
    card = visit.page.locator("#sources #source-1")
    with visit.page.expect_popup() as opened:
        card.get_by_role("link", name="Open in the document").click()
    view = opened.value
    quote_in_view(view, "“Happy Gilmore 2” employed AI tools")
    expect(view.locator("h1")).to_have_text("seeds/netflix-generative-ai.txt")
    view.screenshot(path=str(ARTIFACTS / "source-view.png"))
    view.close()


def test_an_off_topic_question_is_shown_as_an_abstention(visit: Visit) -> None:
    ask(visit, "What is the capital of Argentina?")
    page = visit.page
    expect(page.locator("#chat .abstention")).to_have_text(
        "I could not find this in the documents."
    )
    expect(page.locator("#chat a.cite")).to_have_count(0)
    expect(page.locator("#sources .source-card")).to_have_count(0)
    expect(page.locator("#sources")).to_contain_text("No sources")
    visit.screenshot("chat-abstention")


def test_a_follow_up_is_answered_from_the_right_passage(visit: Visit) -> None:
    ask(visit, "Which Netflix series used generative AI to explore wardrobe options?")
    ask(visit, "When did its producers use it?")  # "its": the series of the earlier turn
    mark = visit.page.locator("#sources #source-1 mark")
    expect(mark).to_contain_text("Billionaires' Bunker")
    expect(mark).to_contain_text("during pre-production")
    visit.screenshot("chat-follow-up")


def test_sources_only_view_and_clear(visit: Visit) -> None:
    page = visit.page
    page.get_by_label("Sources only").check()
    ask(visit, "How much revenue did Netflix report?")
    expect(page.locator("#chat .retrieved")).to_contain_text("Retrieved passages")
    cards = page.locator("#sources .passage-card")
    expect(cards.first).to_contain_text("fused")
    assert cards.count() == 5
    page.get_by_role("button", name="Clear conversation").click()
    expect(page.locator("#chat .retrieved")).to_have_count(0)
    expect(page.locator("#sources .passage-card")).to_have_count(0)


def test_examples_and_screen_reader_landmarks(visit: Visit) -> None:
    page = visit.page
    expect(page.get_by_text("Which film used AI tools to de-age characters?")).to_be_visible()
    assert page.locator("#chat [role='log'], #chat [aria-live]").count() > 0
    expect(page.get_by_label("Your question")).to_be_editable()


def test_thumbs_up_is_recorded(visit: Visit, app: App) -> None:
    ask(visit, "Who is the CEO of Netflix?")
    visit.page.locator("#chat").get_by_role("button", name="Like").last.click()
    feedback = app.folder / "data" / "feedback.jsonl"
    visit.page.wait_for_timeout(500)
    expect(visit.page.get_by_text("Thanks for the feedback.")).to_be_visible()
    records = [json.loads(line) for line in feedback.read_text().splitlines()]
    mine = [r for r in records if r["question"] == "Who is the CEO of Netflix?"]
    assert mine and mine[-1]["liked"] is True
    assert mine[-1]["citations"] and mine[-1]["settings"]["retriever"] == "hybrid"


def test_two_sessions_keep_their_own_conversations(browser: Browser, app: App) -> None:
    first, second = open_visit(browser, app.url), open_visit(browser, app.url)
    try:
        ask(first, "Which film used AI tools to de-age characters?")
        ask(second, "How much revenue did Netflix report?")
        expect(first.page.locator("#chat")).not_to_contain_text("revenue")
        expect(second.page.locator("#chat")).not_to_contain_text("de-age")
        expect(second.page.locator("#sources mark")).to_contain_text("$11.5 billion")
    finally:
        first.page.context.close()
        second.page.context.close()


def test_the_page_requests_nothing_outside_this_machine(visit: Visit, app: App) -> None:
    ask(visit, "Which film used AI tools to de-age characters?")
    outside = [
        url
        for url in visit.requests
        if not url.startswith(app.url) and not url.startswith(("data:", "blob:"))
    ]
    assert outside == []


class RecordingChain(Chain):
    """The real chain, noting the history each question arrives with."""

    def __init__(self, chain: Chain) -> None:
        super().__init__(chain.settings, retriever=chain.retriever)
        self.received: list[tuple[str, list[str]]] = []

    def stream(
        self, question: str, history: Sequence[str] = (), *more: Any, **named: Any
    ) -> Iterator[str | Answer]:
        self.received.append((question, list(history)))
        return super().stream(question, history, *more, **named)


@contextmanager
def in_process_server(chain: Chain) -> Iterator[str]:
    """`rag serve`'s app (ui.server.build_server) under uvicorn, in a thread of this process."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(build_server(chain), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/healthz", None)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_pronoun_follow_up_reaches_the_chain_with_the_earlier_question(
    browser: Browser, seeded_chain: Chain
) -> None:
    """The chat passes the earlier question as text: Gradio 6 hands messages back with
    their content as a list of blocks, which must not reach retrieval as a Python repr."""
    chain = RecordingChain(seeded_chain)
    earlier = "Which series used AI-generated effects to depict a building collapse?"
    with in_process_server(chain) as url:
        visit = open_visit(browser, url)
        try:
            ask(visit, earlier)
            ask(visit, "Which country is it from?")
            expect(visit.page.locator("#sources #source-1 mark")).to_contain_text(
                "Argentine series “The Eternaut”"
            )
        finally:
            visit.page.context.close()
    assert chain.received == [(earlier, []), ("Which country is it from?", [earlier])]
