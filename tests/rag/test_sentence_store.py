"""Sentence vectors are embedded once and kept; the question is embedded once per answer."""

from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from rag.answer.extractive import ExtractiveAnswerer
from rag.chain import Chain
from rag.models.embeddings import load_embeddings
from rag.retrieve.sentence_store import SentenceStore

pytestmark = pytest.mark.slow
QUESTION = "Which film used AI tools to de-age characters?"


class Counting(Embeddings):
    """A real embedder that counts what it is asked to embed."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.documents: list[str] = []
        self.queries: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents += texts
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return self.inner.embed_query(text)


def test_a_new_answerer_reuses_stored_sentence_vectors(seeded_chain: Chain, tmp_path: Path) -> None:
    settings = seeded_chain.settings
    passages = seeded_chain.ranked(QUESTION, settings.k)
    counting = Counting(load_embeddings(settings))
    first = ExtractiveAnswerer(counting, settings, SentenceStore(tmp_path, "e")).answer(
        QUESTION, passages
    )
    embedded = len(counting.documents)
    assert embedded >= len(passages)  # every passage has sentences to embed
    # A new answerer (as in a new process) over the same store embeds no sentence again.
    second = ExtractiveAnswerer(counting, settings, SentenceStore(tmp_path, "e")).answer(
        QUESTION, passages
    )
    assert len(counting.documents) == embedded
    assert second == first and "Happy Gilmore 2" in first[0]
    # Another embedder's store is another file: nothing is shared across embedders.
    ExtractiveAnswerer(counting, settings, SentenceStore(tmp_path, "other")).answer(
        QUESTION, passages
    )
    assert len(counting.documents) == 2 * embedded


def test_the_question_is_embedded_once_per_answer(seeded_chain: Chain) -> None:
    counting = Counting(load_embeddings(seeded_chain.settings))
    chain = Chain(seeded_chain.settings)
    chain.models.embeddings = counting  # what both the retriever and the answerer embed with
    answer = chain.answer(QUESTION)
    assert not answer.abstained
    assert counting.queries == [QUESTION]
