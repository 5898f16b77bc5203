"""A LangChain chat model over llama-cpp-python, running a GGUF in this process.

Written here because LangChain's own ``ChatLlamaCpp`` lives in
langchain-community, which is being sunset; llama-cpp-python already speaks
the OpenAI chat format, so the adapter is a thin translation.
"""

from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

_ROLES = {"human": "user", "ai": "assistant", "system": "system"}


class ChatLlamaCpp(BaseChatModel):
    """A local GGUF chat model (greedy decoding)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: str
    max_tokens: int = 256
    n_ctx: int = 4096
    _llama: Any = PrivateAttr(None)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-python"

    def _client(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama

            self._llama = Llama(model_path=self.model_path, n_ctx=self.n_ctx, verbose=False)
        return self._llama

    def _request(self, messages: list[BaseMessage], stream: bool) -> Any:
        return self._client().create_chat_completion(
            messages=[
                {"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages
            ],
            max_tokens=self.max_tokens,
            temperature=0.0,
            stream=stream,
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply = self._request(messages, stream=False)
        text = reply["choices"][0]["message"]["content"] or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for part in self._request(messages, stream=True):
            text = part["choices"][0]["delta"].get("content") or ""
            if text:
                if run_manager:
                    run_manager.on_llm_new_token(text)
                yield ChatGenerationChunk(message=AIMessageChunk(content=text))
