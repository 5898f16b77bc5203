"""The admin panel: upload and ingest a file, see it listed, remove it."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import Visit

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]


def test_upload_list_and_remove(visit: Visit, tmp_path: Path) -> None:
    page = visit.page
    upload = tmp_path / "alpacas.md"
    upload.write_text("# Alpacas\n\nAlpacas are smaller than llamas and prized for fleece.\n")
    page.get_by_role("tab", name="Admin").click()
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name="Ingest").click()
    expect(page.locator("#ingest-summary")).to_contain_text("Ingested 1 file", timeout=60_000)
    expect(page.locator("#sources-table")).to_contain_text("data/uploads/alpacas.md")
    visit.screenshot("admin-uploaded")
    page.locator("#remove-choice input").fill("data/uploads/alpacas.md")
    page.locator("#remove-choice input").press("Enter")
    page.get_by_role("button", name="Remove source").click()
    expect(page.locator("#ingest-summary")).to_contain_text("Removed 1 chunks")
    expect(page.locator("#sources-table")).not_to_contain_text("alpacas")
