"""Markup in documents is shown as text and never runs."""

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import Visit, ask

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]


def test_document_markup_is_inert(visit: Visit) -> None:
    page = visit.page
    ask(visit, "What do llamas do when they are content?")
    page.get_by_label("Sources only").check()
    ask(visit, "Where is the llama grooming station shown? Read the grooming guide")
    page.wait_for_timeout(500)
    assert visit.dialogs == []
    assert page.evaluate("window.__xss") is None
    for area in ("#chat", "#sources"):
        assert page.locator(f"{area} script").count() == 0
        assert page.locator(f"{area} img[src='x']").count() == 0
        assert page.locator(f"{area} a[href^='javascript']").count() == 0
    sources = page.locator("#sources")
    expect(sources).to_contain_text("<script>window.__xss = 'script'</script>")
    expect(sources).to_contain_text("<img src=x onerror=")
    visit.screenshot("xss-inert")


def test_markdown_in_a_quote_is_shown_as_written(visit: Visit) -> None:
    ask(visit, "What should I read before brushing a llama?")
    answer = visit.page.locator("#chat .message").last
    expect(answer).to_contain_text("Read the [grooming guide](javascript:window.__xss='link')")
    assert visit.page.locator("#chat a", has_text="grooming guide").count() == 0
