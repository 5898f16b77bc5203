"""Each loader extracts text and headings; broken files fail with a reason."""

from pathlib import Path

import pytest

from harness.documents import write_pdf
from ingest.document import LoadError
from ingest.loaders import load


def test_text_keeps_the_file_verbatim_and_finds_headings(tmp_path: Path) -> None:
    raw = (
        "My Title\n\nFirst Section\n\nSome text. More text.\n\nSecond one\n\nBody, with a comma.\n"
    )
    path = tmp_path / "a.txt"
    path.write_text(raw)
    doc = load(path, "a.txt")
    assert doc.text == raw
    assert doc.title == "My Title"
    assert [h.text for h in doc.headings] == ["My Title", "First Section", "Second one"]
    assert all(raw[h.start : h.end] == h.text for h in doc.headings)


def test_markdown_headings_skip_code_fences(tmp_path: Path) -> None:
    raw = "# Guide\n\nIntro.\n\n```\n# not a heading\n```\n\n## Setup\n\nRun it.\n"
    path = tmp_path / "g.md"
    path.write_text(raw)
    doc = load(path, "g.md")
    assert doc.text == raw
    assert doc.title == "Guide"
    assert [h.text for h in doc.headings] == ["Guide", "Setup"]


def test_html_is_reduced_to_text_blocks_and_headings(tmp_path: Path) -> None:
    path = tmp_path / "p.html"
    path.write_text(
        "<html><head><title>Handbook</title><style>p{color:red}</style></head><body>"
        "<h1>Leave</h1><p>Staff get <b>25 days</b> of leave.</p>"
        "<script>alert('x')</script><ul><li>Carry over 5 days.</li></ul></body></html>"
    )
    doc = load(path, "p.html")
    assert doc.title == "Handbook"
    assert doc.text == "Leave\n\nStaff get 25 days of leave.\n\nCarry over 5 days."
    assert [(h.text, doc.text[h.start : h.end]) for h in doc.headings] == [("Leave", "Leave")]
    assert "alert" not in doc.text and "color" not in doc.text


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "llamas.pdf", ["Llamas", "Llamas hum when they are content."])
    doc = load(path, "llamas.pdf")
    assert "Llamas hum when they are content." in doc.text


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty", "empty file"),
        ("random", "binary file"),
        ("truncated", "PDF"),
        ("latin1", "not UTF-8"),
    ],
)
def test_broken_files_raise_a_reason(bad_files: dict[str, Path], name: str, reason: str) -> None:
    with pytest.raises(LoadError, match=reason):
        load(bad_files[name], name)


def test_unsupported_type(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(LoadError, match=r"unsupported file type \.xlsx"):
        load(path, "sheet.xlsx")
