"""Citations say where a reader finds the quote: the PDF page, the slide, the headings;
on every surface of the chain (answers, `rag ask`, the citation check of generated text)."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from harness.documents import HANDBOOK, write_docx
from ingest.loaders import load
from ingest.pipeline import ingest
from rag.answer.citation_check import check_answer
from rag.chain import Chain
from rag.models.embeddings import load_embeddings
from rag.retrieve.index import open_index
from rag.schema import Citation, source_id
from rag.settings import Settings
from tests.ingest.test_pipeline import Recording  # the real embedder, noting what it embeds

pytestmark = pytest.mark.slow

EXPECTED = [
    ("When did the llama farm open?", "farm.pdf", {"page": 1}),
    ("How many llamas does the farm keep?", "farm.pdf", {"page": 2}),
    ("When does the shearing of the llamas happen?", "farm.pdf", {"page": 3}),
    ("By how much did bread sales grow?", "bakery.pptx", {"slide": 2}),
    ("When does the bakery open a second shop?", "bakery.pptx", {"slide": 3}),
    (
        "How many unused leave days carry over?",
        "handbook.docx",
        {"headings": ["Staff handbook", "Leave", "Carry over"]},
    ),
    (
        "How early should train tickets be booked?",
        "handbook.docx",
        {"headings": ["Staff handbook", "Travel"]},  # not under "Carry over", before it
    ),
    ("How do I remove the app?", "install.md", {"headings": ["Install guide", "Uninstall"]}),
]


def first_citation(chain: Chain, question: str) -> Citation:
    answer = chain.answer(question)
    assert not answer.abstained, question
    return answer.citations[0]


def folder_of(chain: Chain) -> Path:
    return chain.settings.data_dir.parent / "docs"


@pytest.mark.parametrize(("question", "name", "location"), EXPECTED)
def test_the_first_citation_names_the_quotes_location(
    located_chain: Chain, question: str, name: str, location: dict
) -> None:
    citation = first_citation(located_chain, question)
    assert Path(citation.source).name == name
    payload = citation.model_dump(mode="json")
    assert payload["location"] == location
    # The quote is exactly the slice of the extracted text, and the id names the file.
    path = folder_of(located_chain) / name
    assert load(path, name).text[citation.start : citation.end] == citation.quote
    assert citation.source_id == source_id(str(path))


def test_rag_ask_prints_the_page(located_chain: Chain, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_DATA_DIR", str(located_chain.settings.data_dir))
    question = "How many llamas does the farm keep?"
    human = CliRunner().invoke(app, ["ask", question])
    assert human.exit_code == 0, human.output
    printed = " ".join(human.stdout.split())  # rich wraps long lines
    assert "farm.pdf › " in printed and "(page 2, chars 64-119, score " in printed
    payload = json.loads(CliRunner().invoke(app, ["ask", question, "--json"]).stdout)
    assert payload["citations"][0]["location"] == {"page": 2}


def test_a_generated_answer_cites_the_page_too(located_chain: Chain) -> None:
    passages = located_chain.ranked("How many llamas does the farm keep?", 3)
    generated = "The farm keeps forty-two llamas in the herd today [1]."
    checked = check_answer(
        generated, passages, located_chain.embeddings, located_chain.settings, strict=False
    )
    assert checked.citations, checked.sentences
    assert checked.citations[0].model_dump(mode="json")["location"] == {"page": 2}
    assert checked.citations[0].source_id == passages[0].chunk.source_id


def test_office_files_ingest_incrementally(located_chain: Chain, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(folder_of(located_chain), tmp_path / "docs"))
    settings = Settings(data_dir=tmp_path / "data", chunk_size=120, chunk_overlap=0)
    index = open_index(settings)
    first = ingest([folder], settings, index, load_embeddings(settings))
    again = ingest([folder], settings, index, load_embeddings(settings))
    assert (again.added, again.removed, again.moved, again.unchanged) == (0, 0, 0, first.added)
    # A paragraph inserted at the top of the Word file: only it is embedded; the rest moves.
    write_docx(folder / "handbook.docx", [("A new preface opens the handbook.", "p"), *HANDBOOK])
    embedded = Recording(load_embeddings(settings))
    edited = ingest([folder], settings, index, embedded)
    assert embedded.texts == ["A new preface opens the handbook."]
    assert edited.added == 1 and edited.removed == 0 and edited.moved > 0
    moved = index.chunks_of(str(folder / "handbook.docx"))
    text = load(folder / "handbook.docx", "handbook.docx").text
    assert all(text[c.start : c.end] == c.text for c in moved)
