"""Every branch of the generative path, with a scripted chat model in place of the LLM.

The model is LangChain's ``FakeListChatModel``: it answers the scripted replies in
order (one per call: the follow-up rewrite, then the answer) and streams them
character by character, or fails at a chosen character as a dropped connection
would. Retrieval, the embedder and the citation check are the real ones; the real
LLM server is exercised in test_llm_server.py.
"""

from collections.abc import Sequence
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage

from rag.answer.extractive import ABSTENTION
from rag.answer.generative import GenerativeAnswerer
from rag.chain import Chain
from rag.errors import LlmUnavailable
from rag.schema import Answer

pytestmark = pytest.mark.slow  # the real embedder loads once per session

QUESTION = "Which film used AI tools to de-age characters?"
SUPPORTED = "Happy Gilmore 2 used AI tools to de-age characters in its opening scene"
UNSUPPORTED = "The moon landing was filmed in a Netflix studio in 1969"


class Prompts(BaseCallbackHandler):
    """Records the messages each call sends to the model."""

    def __init__(self) -> None:
        self.calls: list[list[BaseMessage]] = []

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kwargs: Any
    ) -> None:
        self.calls.extend(messages)


def scripted(
    seeded_chain: Chain,
    replies: Sequence[str],
    fail_at: int | None = None,
    prompts: Prompts | None = None,
    **changes: object,
) -> Chain:
    """A chain over the seeded index whose LLM answers ``replies`` in order."""
    settings = seeded_chain.settings.model_copy(
        update={"llm": "openai", "llm_base_url": "http://127.0.0.1:9/v1", **changes}
    )
    chain = Chain(settings, retriever=seeded_chain.retriever)
    model = FakeListChatModel(
        responses=list(replies),
        error_on_chunk_number=fail_at,
        callbacks=[prompts] if prompts else None,
    )
    chain.models.generator = GenerativeAnswerer(model)  # the cached property, set by hand
    return chain


def events(
    chain: Chain, question: str = QUESTION, history: Sequence[str] = ()
) -> tuple[str, Answer]:
    *tokens, answer = chain.stream(question, history)
    assert isinstance(answer, Answer) and all(isinstance(t, str) for t in tokens)
    return "".join(str(t) for t in tokens), answer


def test_a_supported_and_an_unsupported_sentence(seeded_chain: Chain) -> None:
    generated = f"{SUPPORTED} [1]. {UNSUPPORTED} [1]."
    streamed, answer = events(scripted(seeded_chain, [generated]))
    assert streamed == generated  # the tokens as the model produced them
    assert [s.supported for s in answer.sentences or []] == [True, False]
    assert answer.verified == 0.5 and not answer.abstained and answer.notice is None
    assert UNSUPPORTED in answer.answer  # flagged, not dropped, when not strict
    (citation,) = answer.citations
    assert "Happy Gilmore 2" in citation.quote and answer.answer.count("[1]") == 1


def test_strict_mode_drops_unsupported_sentences(seeded_chain: Chain) -> None:
    generated = f"{SUPPORTED} [1]. {UNSUPPORTED} [1]."
    _, answer = events(scripted(seeded_chain, [generated], strict_citations=True))
    assert UNSUPPORTED not in answer.answer and SUPPORTED in answer.answer
    assert answer.answer.endswith("[1]") and answer.verified == 0.5
    assert answer.notice is None and not answer.abstained


def test_strict_mode_with_nothing_supported_shows_the_extractive_answer(
    seeded_chain: Chain,
) -> None:
    _, answer = events(scripted(seeded_chain, [f"{UNSUPPORTED} [1]."], strict_citations=True))
    assert UNSUPPORTED not in answer.answer
    assert answer.notice and "extractive answer shown" in answer.notice
    assert answer.citations and "Happy Gilmore 2" in answer.citations[0].quote
    assert answer.verified == 0.0


@pytest.mark.parametrize(
    "generated", [ABSTENTION, f"Sorry. {ABSTENTION}", ABSTENTION.rstrip(".") + " [2]"]
)
def test_the_abstention_sentence_is_an_abstention(seeded_chain: Chain, generated: str) -> None:
    _, answer = events(scripted(seeded_chain, [generated]))
    assert answer.answer == ABSTENTION and answer.abstained
    assert answer.citations == [] and answer.verified is None


def test_markers_pointing_at_no_passage_are_removed(seeded_chain: Chain) -> None:
    _, answer = events(scripted(seeded_chain, [f"{SUPPORTED} [7]. {SUPPORTED} [0]."]))
    assert "[7]" not in answer.answer and "[0]" not in answer.answer
    assert [s.cites for s in answer.sentences or []] == [[], []]
    assert answer.citations and answer.citations[0].n == 1  # re-cited from the passages


@pytest.mark.parametrize("generated", ["   ", "\n\n", "[1]", "[1] [2]."])
def test_an_answer_with_no_sentences_is_an_abstention(seeded_chain: Chain, generated: str) -> None:
    _, answer = events(scripted(seeded_chain, [generated]))
    assert answer.answer == ABSTENTION and answer.abstained and answer.citations == []
    assert answer.sentences == [] and answer.verified is None  # nothing was checked


@pytest.mark.parametrize("fail_at", [0, 20])
def test_an_llm_failure_falls_back_to_the_extractive_answer(
    seeded_chain: Chain, fail_at: int
) -> None:
    generated = f"{SUPPORTED} [1]."
    with pytest.raises(LlmUnavailable, match="LLM server did not answer"):
        events(scripted(seeded_chain, [generated], fail_at=fail_at))
    chain = scripted(seeded_chain, [generated], fail_at=fail_at, llm_fallback="extractive")
    streamed, answer = events(chain)
    assert len(streamed) == fail_at  # what the model sent before it failed
    assert answer.notice and answer.notice.startswith("the LLM server did not answer")
    assert answer.notice.endswith("showing the extractive answer instead")
    assert "Happy Gilmore 2" in answer.citations[0].quote and not answer.abstained
    assert answer.verified is None and answer.sentences is None


def test_a_failed_rewrite_falls_back_too(seeded_chain: Chain) -> None:
    chain = scripted(seeded_chain, ["x"], fail_at=0, llm_fallback="extractive")
    _, answer = events(chain, "In which scene did it do that?", [QUESTION])
    assert answer.notice and "did not answer" in answer.notice
    assert "opening scene" in answer.citations[0].quote


def test_a_follow_up_is_rewritten_by_the_model(seeded_chain: Chain) -> None:
    prompts = Prompts()
    rewrite = "In which scene did Happy Gilmore 2 use AI tools to de-age characters?"
    chain = scripted(seeded_chain, [rewrite, f"{SUPPORTED} [1]."], prompts=prompts)
    _, answer = events(chain, "In which scene did it do that?", [QUESTION])
    assert answer.standalone_question == rewrite
    rewrite_call, answer_call = prompts.calls
    assert QUESTION in str(rewrite_call[-1].content)  # the model saw the earlier turn
    assert f"Question: {rewrite}" in str(answer_call[-1].content)  # and answered the rewrite


@pytest.mark.parametrize(
    "rewrite",
    [
        f"- {QUESTION}",  # SmolLM2's habit: the earlier question echoed back
        "",
        "Rewritten question:",
    ],
)
def test_a_rewrite_that_loses_the_follow_up_is_not_used(seeded_chain: Chain, rewrite: str) -> None:
    chain = scripted(seeded_chain, [rewrite, f"{SUPPORTED} [1]."])
    _, answer = events(chain, "In which scene did it do that?", [QUESTION])
    # The rule of rag.answer.followup instead: the earlier question, then the follow-up.
    assert answer.standalone_question == f"{QUESTION} In which scene did it do that?"


def test_a_rewrite_keeps_its_first_line_without_list_markers(seeded_chain: Chain) -> None:
    rewrite = '- "In which scene did Happy Gilmore 2 de-age characters?"\nExplanation: ...'
    chain = scripted(seeded_chain, [rewrite, f"{SUPPORTED} [1]."])
    _, answer = events(chain, "In which scene did it do that?", [QUESTION])
    assert answer.standalone_question == "In which scene did Happy Gilmore 2 de-age characters?"
