"""The plain LangChain recipe, as a baseline run beside ours.

RecursiveCharacterTextSplitter(1000, 200), the same embedder, Chroma
similarity top-4: what most tutorials build. Its passages are answered by the
same extractive answerer (``Chain(settings, retriever=LangChainRecipe(...))``)
so that the comparison isolates chunking and retrieval.
"""

from functools import cached_property
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.loaders import load
from ingest.pipeline import discover, display_name
from rag.models.embeddings import load_embeddings
from rag.schema import Chunk, Passage
from rag.settings import Settings

# The one definition of the recipe, used by `rag eval --baselines` and bench/ alike.
RECIPE_CHUNK_SIZE = 1000
RECIPE_CHUNK_OVERLAP = 200
RECIPE_K = 4
RECIPE_COLLECTION = "langchain-recipe"


def recipe_splitter() -> RecursiveCharacterTextSplitter:
    """The recipe's splitter; ``start_index`` kept so chunks map back to the text."""
    return RecursiveCharacterTextSplitter(
        chunk_size=RECIPE_CHUNK_SIZE, chunk_overlap=RECIPE_CHUNK_OVERLAP, add_start_index=True
    )


def recipe_chunks(corpus: Path) -> list[Document]:
    """Every supported file of ``corpus`` loaded by ``ingest.loaders.load`` and split.

    Each chunk's metadata: ``source``, ``path``, ``title`` and ``start_index``, its
    offset in the file's loaded text (the coordinates of evals/relevance.py).
    """
    files = discover([corpus]).files
    documents = [load(path, display_name(path)) for path in files]
    texts = [d.text for d in documents]
    metadatas = [{"source": d.source, "path": d.path, "title": d.title} for d in documents]
    return recipe_splitter().create_documents(texts, metadatas)


def chunk_of(document: Document, chunk_id: str) -> Chunk:
    """A recipe chunk as our ``Chunk`` (offsets in the loaded text)."""
    start = int(document.metadata["start_index"])
    return Chunk(
        id=chunk_id,
        text=document.page_content,
        source=document.metadata["source"],
        path=document.metadata["path"],
        title=document.metadata["title"],
        section="",
        start=start,
        end=start + len(document.page_content),
    )


class LangChainRecipe:
    """A retriever that chunks, embeds and searches the way the LangChain tutorial does."""

    def __init__(self, corpus: Path, settings: Settings) -> None:
        """Index ``corpus`` under ``settings.data_dir / "recipe"`` unless already there."""
        self.settings = settings
        self._corpus = corpus

    @cached_property
    def store(self) -> Chroma:
        """The recipe's own Chroma collection, filled on first use."""
        client = chromadb.PersistentClient(
            path=str((self.settings.data_dir / "recipe").resolve()),
            settings=ChromaSettings(anonymized_telemetry=False),
        )
        store = Chroma(
            collection_name=RECIPE_COLLECTION,
            client=client,
            embedding_function=load_embeddings(self.settings),
        )
        if not store.get(limit=1)["ids"]:
            chunks = recipe_chunks(self._corpus)
            # Chroma refuses one upsert larger than its max batch (5,461 here).
            batch = client.get_max_batch_size()
            for at in range(0, len(chunks), batch):
                store.add_documents(chunks[at : at + batch])
        return store

    def retrieve(self, query: str, k: int | None = None) -> list[Passage]:
        """Chroma similarity search, top-4 unless asked for more, as the recipe does it."""
        passages = []
        for document, distance in self.store.similarity_search_with_score(query, k=k or RECIPE_K):
            passages.append(
                Passage(chunk=chunk_of(document, str(document.id)), score=-float(distance))
            )
        return passages
