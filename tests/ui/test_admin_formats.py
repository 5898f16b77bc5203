"""The admin upload takes Word and PowerPoint files like any other supported type."""

from pathlib import Path

import gradio as gr
import pytest

from harness.documents import BAKERY_SLIDES, HANDBOOK, write_docx, write_pptx
from rag.catalog import Collections
from rag.chain import Chain
from rag.settings import Settings
from ui.admin import sources_table, upload

pytestmark = pytest.mark.slow


def test_uploaded_office_files_are_ingested(tmp_path: Path) -> None:
    chain = Chain(Settings(data_dir=tmp_path / "data"))
    files = [
        write_docx(tmp_path / "handbook.docx", HANDBOOK),
        write_pptx(tmp_path / "bakery.pptx", BAKERY_SLIDES),
    ]
    summary = upload(Collections(chain), files, gr.Progress())
    assert summary.startswith("Ingested 2 files: ") and "skipped" not in summary
    sources = [Path(str(row[0])).name for row in sources_table(Collections(chain))]
    assert sources == ["bakery.pptx", "handbook.docx"]
    assert not any(f.exists() for f in files)  # the uploads, and the copies of non-PDFs, go
    assert list((tmp_path / "data" / "uploads").iterdir()) == []
    answer = chain.answer("By how much did bread sales grow?")
    assert answer.citations[0].model_dump(mode="json")["location"] == {"slide": 2}
