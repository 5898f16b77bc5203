"""A static embedder: a model2vec model distilled offline from the sentence-transformers model.

Distillation (``model2vec.distill``, which runs the transformer over its whole
vocabulary and needs torch) happens once per model folder and parameter set,
about a minute on 2 idle cores. The result is cached in
``~/.cache/rag-chat/static/<model>-<key>/`` (:mod:`rag.models.model_cache`); every
later load reads that folder with numpy, tokenizers and safetensors only,
without importing torch. Delete the folder to rebuild it.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.models.model_cache import build_once
from rag.models.model_cache import cache_folder as _cache_folder

# model2vec's defaults, written out because they are part of the cache key.
SIF_COEFFICIENT = 1e-4
QUANTIZE_TO = "float16"
# Tokens read per text; static models have no window, and chunks stay under 256 tokens.
MAX_TOKENS = 512


def cache_folder(model_dir: str, pca_dims: int, root: Path | None = None) -> Path:
    """The cache folder of the static model distilled from ``model_dir`` with ``pca_dims``."""
    params = {"pca_dims": pca_dims, "sif_coefficient": SIF_COEFFICIENT, "dtype": QUANTIZE_TO}
    return _cache_folder("static", model_dir, params, root)


def distill_into(model_dir: str, pca_dims: int, folder: Path) -> None:
    """Distill the static model from ``model_dir`` and save it in ``folder`` (imports torch)."""
    from model2vec.distill import distill

    model = distill(
        model_name=model_dir,
        pca_dims=pca_dims,
        device="cpu",
        sif_coefficient=SIF_COEFFICIENT,
        quantize_to=QUANTIZE_TO,
    )
    model.save_pretrained(str(folder))


class StaticEmbeddings(Embeddings):
    """A model2vec ``StaticModel`` as LangChain embeddings: unit-length float vectors."""

    def __init__(self, model: Any) -> None:
        """Wrap a loaded ``model2vec.StaticModel``."""
        self._model = model

    @property
    def dimensions(self) -> int:
        """Length of every vector."""
        return int(self._model.dim)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One unit-length vector per text (all zeros for a text with no known token)."""
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """The unit-length vector of one text."""
        return self.embed_documents([text])[0]

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors of ``texts`` as a float32 array, one unit-length row per text."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = np.asarray(
            self._model.encode(list(texts), max_length=MAX_TOKENS, use_multiprocessing=False),
            dtype=np.float32,
        )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1.0)


def load_static(model_dir: str, pca_dims: int, root: Path | None = None) -> StaticEmbeddings:
    """The static embedder for ``model_dir``, distilled first if not cached yet.

    Args:
        model_dir: the sentence-transformers folder to distill from.
        pca_dims: dimensions kept by PCA.
        root: the cache root (default: ``~/.cache/rag-chat``).
    """
    from model2vec import StaticModel

    folder = build_once(
        cache_folder(model_dir, pca_dims, root),
        lambda partial: distill_into(model_dir, pca_dims, partial),
    )
    return StaticEmbeddings(StaticModel.from_pretrained(str(folder)))
