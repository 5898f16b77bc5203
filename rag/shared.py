"""What costs seconds or memory once per process, loaded on first use: the embedder,
the answerers and the answerability gate. One ``SharedModels`` serves the chains of
every collection of a deployment (rag.catalog); sentence vectors are cached by
content-addressed chunk id, so one sentence store serves every collection too."""

from functools import cached_property
from typing import TYPE_CHECKING

from rag.settings import Settings

# Chroma, the embedder, LangChain and the LLM client are imported where first used,
# so that importing this module (every command, the server) stays fast.
if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from rag.answer.answerability import Gate
    from rag.answer.extractive import ExtractiveAnswerer
    from rag.answer.generative import GenerativeAnswerer


class SharedModels:
    """The models ``settings`` choose, each loaded once, on first use."""

    def __init__(self, settings: Settings) -> None:
        """Nothing loads here."""
        self.settings = settings

    @cached_property
    def embeddings(self) -> "Embeddings":
        """The embedder (rag.models.embeddings)."""
        from rag.models.embeddings import load_embeddings

        return load_embeddings(self.settings)

    @cached_property
    def queries(self) -> "Embeddings":
        """The embedder behind a cache of questions: retriever and answerer share one
        embedding of each question."""
        from rag.models.embeddings import QueryCache

        return QueryCache(self.embeddings)

    @cached_property
    def answerer(self) -> "ExtractiveAnswerer":
        """The extractive answerer, its sentence vectors kept in ``data_dir/cache``."""
        from rag.answer.extractive import ExtractiveAnswerer
        from rag.retrieve.sentence_store import sentence_store

        return ExtractiveAnswerer(self.queries, self.settings, sentence_store(self.settings))

    @cached_property
    def generator(self) -> "GenerativeAnswerer":
        """The LLM answerer (only when ``settings.llm`` is not ``none``)."""
        from rag.answer.generative import GenerativeAnswerer
        from rag.models.llm import create_chat_model

        return GenerativeAnswerer(create_chat_model(self.settings))

    @cached_property
    def gate(self) -> "Gate":
        """The answerability gate (rag/gate.json)."""
        from rag.answer.answerability import Gate

        return Gate.load()
