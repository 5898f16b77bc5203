"""The documented API endpoint, called with gradio_client."""

import html

import pytest
from gradio_client import Client

from tests.ui.conftest import App

pytestmark = [pytest.mark.server, pytest.mark.slow]


def test_ask_endpoint_returns_the_answer_with_citations(app: App) -> None:
    client = Client(app.url, verbose=False)
    result = client.predict("Which film used AI tools to de-age characters?", [], api_name="/ask")
    assert "Happy Gilmore 2" in result["answer"]
    assert result["citations"][0]["source"] == "seeds/netflix-generative-ai.txt"
    assert result["abstained"] is False


def test_chat_endpoint_streams_into_the_conversation(app: App) -> None:
    client = Client(app.url, verbose=False)
    messages, sources, _ = client.predict(
        "How much revenue did Netflix report?", [], "Answer", {}, api_name="/chat"
    )
    # The chat's HTML writes Markdown's punctuation as character references.
    assert "$11.5 billion" in html.unescape(messages[-1]["content"][0]["text"])
    assert 'id="source-1"' in sources
