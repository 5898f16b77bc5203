"""A document of one sentence can be quoted (issue 25): short notes, FAQ entries and
one-line announcements are common on an intranet."""

from pathlib import Path

import pytest

from ingest.pipeline import ingest
from rag.chain import Chain
from rag.models.embeddings import load_embeddings
from rag.settings import Settings

pytestmark = pytest.mark.slow

NOTES = {
    "leave.txt": "Parental leave is twenty weeks for every employee after six months of service.\n",
    "parking.md": "Visitors park in the north lot behind building C, next to the bike shed.\n",
    # One line without closing punctuation: the plain-text loader takes it for a heading.
    "canteen.txt": "The canteen serves a vegetarian lunch every weekday from noon to two\n",
    # A heading, then a one-sentence paragraph under it.
    "badges.md": "# Replacing a lost or stolen badge\n\n"
    "Lost badges are replaced at the front desk for a fee of ten euros.\n",
}
QUESTIONS = {
    "leave.txt": ("How long is parental leave?", "twenty weeks"),
    "parking.md": ("Where do visitors park?", "north lot"),
    "canteen.txt": ("When does the canteen serve lunch?", "noon to two"),
    "badges.md": ("Where are lost badges replaced?", "front desk"),
}


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Chain:
    folder = tmp_path_factory.mktemp("notes")
    for name, text in NOTES.items():
        (folder / "notes" / name).parent.mkdir(exist_ok=True)
        (folder / "notes" / name).write_text(text)
    settings = Settings(data_dir=folder / "data")
    chain = Chain(settings)
    report = ingest([folder / "notes"], settings, chain.index, load_embeddings(settings))
    assert report.files == len(NOTES) and not report.skipped
    return chain


@pytest.mark.parametrize("name", sorted(NOTES))
def test_a_one_sentence_document_is_quoted(chain: Chain, name: str) -> None:
    question, phrase = QUESTIONS[name]
    answer = chain.answer(question)
    assert not answer.abstained, answer.answer
    first = answer.citations[0]
    assert Path(first.source).name == name and phrase in first.quote


def test_a_heading_is_still_never_quoted(chain: Chain) -> None:
    answer = chain.answer("How do I replace a lost or stolen badge?")
    assert answer.citations and all("Replacing" not in c.quote for c in answer.citations)
