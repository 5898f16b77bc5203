"""The chat's collection selector and answers, called as Gradio calls them (no browser)."""

import pytest

from harness.corpora import ENGINEERING_QUESTION, Deployment
from ui.chat import respond
from ui.selector import choices

pytestmark = pytest.mark.slow


def _last_message(deployment: Deployment, collection: str | None) -> tuple[str, str]:
    *_, (messages, sources, _, _) = respond(
        deployment.catalog, ENGINEERING_QUESTION, [], "Answer", {}, collection
    )
    return messages[-1]["content"], sources


def test_the_selector_lists_every_collection_when_there_are_several(
    deployment: Deployment,
) -> None:
    update = choices(deployment.catalog)
    assert update["visible"] is True and update["value"] == "hr"
    assert update["choices"] == [("engineering (2 files)", "engineering"), ("hr (7 files)", "hr")]


def test_the_chosen_collection_answers(deployment: Deployment) -> None:
    content, sources = _last_message(deployment, "engineering")
    assert "Tuesday and Thursday" in content and "eng/deploy.md" in sources


def test_a_collection_that_does_not_exist_is_a_visible_error(deployment: Deployment) -> None:
    content, _ = _last_message(deployment, "gone")
    assert content.startswith(
        '<div class="message-body"><div class="abstention">Error: no collection &#x27;gone&#x27;'
    )
