"""A first question over passages never asked about embeds only the question (issue 20):
the sentences the answerer and the re-ranker score were embedded at ingest."""

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from ingest.pipeline import ingest
from rag.chain import Chain
from rag.models.embeddings import load_embeddings
from rag.settings import Settings
from tests.conftest import SEEDS

pytestmark = pytest.mark.slow
QUESTIONS = [
    "Which film used AI tools to de-age characters?",
    "What does Ted Sarandos say AI cannot replace?",
]


class Counting(Embeddings):
    """The real embedder, counting the texts it embeds."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner, self.documents, self.queries = inner, 0, 0

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.documents += len(texts)
        return self.inner.embed_documents(list(texts))

    def embed_query(self, text: str) -> list[float]:
        self.queries += 1
        return self.inner.embed_query(text)


def fresh_chain(settings: Settings, embedder: Counting) -> Chain:
    chain = Chain(settings)
    chain.models.embeddings = embedder  # a new process: nothing in memory
    return chain


@pytest.mark.parametrize("when", ["ingest", "query"])
def test_a_cold_question_embeds_what_the_setting_says(tmp_path: Path, when: str) -> None:
    settings = Settings(data_dir=tmp_path / "data", sentence_vectors=when)
    corpus = shutil.copytree(SEEDS, tmp_path / "seeds")
    at_ingest = Counting(load_embeddings(settings))
    report = ingest([corpus], settings, Chain(settings).index, at_ingest)
    embedded = []
    for question in QUESTIONS:
        asking = Counting(at_ingest.inner)
        answer = fresh_chain(settings, asking).answer(question)
        assert not answer.abstained
        assert asking.queries == 1  # the question, once, for retrieval and answering
        embedded.append(asking.documents)
    if when == "ingest":
        assert embedded == [0, 0]
    else:  # the sentences of every re-ranked passage, on first use (then stored)
        assert embedded[0] > 20
    chunks = report.added
    sentences = at_ingest.documents - chunks
    assert (sentences > chunks) if when == "ingest" else (sentences == 0)
    assert set(report.stages) >= {"parse and chunk", "embed chunks", "Chroma", "manifest"}


def test_sentences_stored_at_ingest_answer_as_sentences_embedded_on_first_use(
    tmp_path: Path,
) -> None:
    # Quality cannot move with the setting: the same sentences, the same vectors, so the
    # same passages, quotes and scores (to float precision: batches pad differently).
    answers = {}
    for when in ("ingest", "query"):
        settings = Settings(data_dir=tmp_path / when / "data", sentence_vectors=when)
        chain = Chain(settings)
        corpus = shutil.copytree(SEEDS, tmp_path / when / "seeds")
        ingest([corpus], settings, chain.index, load_embeddings(settings))
        answers[when] = [chain.answer(q) for q in QUESTIONS]
    for stored, on_use in zip(answers["ingest"], answers["query"], strict=True):
        assert stored.answer == on_use.answer
        assert [c.quote for c in stored.citations] == [c.quote for c in on_use.citations]
        assert [p.chunk.text for p in stored.passages] == [p.chunk.text for p in on_use.passages]
        assert [c.score for c in stored.citations] == pytest.approx(
            [c.score for c in on_use.citations], abs=1e-4
        )
