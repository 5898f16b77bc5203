"""The admin tab in the browser: an admin uploads and ingests a file, sees it listed and
removes it; a signed-in user who is not an admin never sees the tab."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import SEEDS
from tests.ui.conftest import App, serve

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]


@pytest.fixture(scope="module")
def admin_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The UI with the admin tab on, for the admin ``ada`` among two UI logins."""
    folder = tmp_path_factory.mktemp("admin-app")
    shutil.copytree(SEEDS, folder / "seeds")
    env = {"RAG_ADMIN": "1", "RAG_AUTH": "ada:lovelace,bob:builder", "RAG_ADMIN_USERS": "ada"}
    with serve(folder, env) as running_app:
        yield running_app


def signed_in(browser: Browser, url: str, user: str, password: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(url)
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(password)
    page.get_by_role("button", name="Login").click()
    page.get_by_label("Your question").wait_for()
    return page


def test_upload_list_and_remove(browser: Browser, admin_app: App, tmp_path: Path) -> None:
    page = signed_in(browser, admin_app.url, "ada", "lovelace")
    upload = tmp_path / "alpacas.md"
    upload.write_text("# Alpacas\n\nAlpacas are smaller than llamas and prized for fleece.\n")
    page.get_by_role("tab", name="Admin").click()
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name="Ingest").click()
    expect(page.locator("#ingest-summary")).to_contain_text("Ingested 1 file", timeout=60_000)
    expect(page.locator("#sources-table")).to_contain_text("data/uploads/alpacas.md")
    page.screenshot(path=str(tmp_path / "admin-uploaded.png"))
    page.locator("#remove-choice input").fill("data/uploads/alpacas.md")
    page.locator("#remove-choice input").press("Enter")
    page.get_by_role("button", name="Remove source").click()
    expect(page.locator("#ingest-summary")).to_contain_text("Removed 1 chunks")
    expect(page.locator("#sources-table")).not_to_contain_text("alpacas")
    page.context.close()


def test_a_user_who_is_not_an_admin_sees_no_admin_tab(browser: Browser, admin_app: App) -> None:
    page = signed_in(browser, admin_app.url, "bob", "builder")
    expect(page.get_by_role("tab", name="Chat")).to_be_visible()
    expect(page.get_by_role("tab", name="Admin")).to_have_count(0)
    page.context.close()
