"""Copies of a text count once in retrieval and are listed as other places of the same
citation (issue 20): exports, versions and mirrors no longer fill the result list."""

import shutil
from pathlib import Path

import pytest

from ingest.pipeline import ingest
from rag.chain import Chain
from rag.models.embeddings import load_embeddings
from rag.settings import Settings
from rag.text import folded

pytestmark = pytest.mark.slow

POLICY = """# Travel policy

The company's travel desk books economy class for every flight shorter than six hours.

Hotel stays - breakfast included - are reimbursed up to one hundred and twenty euros a
night in every city.
"""
# The same text with the quotes, dashes and white space an export or a mirror changes.
EXPORTED = (
    POLICY.replace("company's", "company’s").replace(" - ", " — ").replace("euros a\n", "euros a ")
)
OTHER = """# Expenses

Taxi receipts are needed for every ride paid by the company.
"""


def make_corpus(folder: Path) -> Path:
    docs = folder / "docs"
    (docs / "export").mkdir(parents=True)
    (docs / "policy.md").write_text(POLICY)
    (docs / "export" / "policy-copy.md").write_text(EXPORTED)
    (docs / "expenses.md").write_text(OTHER)
    return docs


@pytest.fixture
def chain(tmp_path: Path) -> Chain:
    settings = Settings(data_dir=tmp_path / "data")
    chain = Chain(settings)
    ingest([make_corpus(tmp_path)], settings, chain.index, load_embeddings(settings))
    return chain


def reingest(chain: Chain, docs: Path) -> Chain:
    ingest([docs], chain.settings, chain.index, load_embeddings(chain.settings))
    return Chain(chain.settings)  # a new chain: BM25 and caches see the change


def test_folding_ignores_quotes_dashes_case_and_white_space() -> None:
    assert folded("It’s a “test” — fine\n  done") == folded('it\'s a "test" - Fine done')
    assert folded("twenty weeks") != folded("twelve weeks")


def test_a_copied_page_counts_once_and_its_copy_is_listed(chain: Chain) -> None:
    answer = chain.answer("How much is reimbursed for a hotel night?")
    sources = [p.chunk.source for p in answer.passages]
    copies = [s for s in sources if s.endswith("policy.md") or s.endswith("policy-copy.md")]
    assert len(copies) == 1, sources
    assert any(s.endswith("expenses.md") for s in sources)  # the slot went to another text
    first = answer.citations[0]
    assert "one hundred and twenty euros" in first.quote
    other = "export/policy-copy.md" if first.source.endswith("policy.md") else "policy.md"
    assert [Path(a).name for a in first.also] == [Path(other).name]


def test_no_two_sentences_of_an_answer_read_the_same(chain: Chain) -> None:
    answer = chain.answer("Which class is booked for flights and how much for hotels?")
    texts = [folded(c.quote) for c in answer.citations]
    assert len(texts) == len(set(texts))


def test_an_edited_copy_is_its_own_text_again(chain: Chain, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    edited = EXPORTED.replace("one hundred and twenty euros", "ninety euros")
    (docs / "export" / "policy-copy.md").write_text(edited)
    chain = reingest(chain, docs)
    answer = chain.answer("Is a hotel night reimbursed up to ninety euros?")
    assert answer.citations[0].source.endswith("policy-copy.md")
    assert "ninety euros" in answer.citations[0].quote
    assert answer.citations[0].also == []


def test_a_deleted_copy_is_listed_no_more(chain: Chain, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.rmtree(docs / "export")
    chain = reingest(chain, docs)
    answer = chain.answer("How much is reimbursed for a hotel night?")
    assert answer.citations[0].source.endswith("policy.md")
    assert answer.citations[0].also == []
