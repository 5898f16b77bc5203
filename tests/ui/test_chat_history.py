"""The earlier questions the chat passes on, from messages as Gradio 6 hands them back."""

from typing import Any

from ui.chat import _previous_questions, message_text

EARLIER = "Which series used AI-generated effects to depict a building collapse?"


def test_gradio_6_content_blocks_become_the_question_text() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": [{"type": "text", "text": EARLIER}]},
        {"role": "assistant", "content": [{"type": "text", "text": "<p>answer</p>"}]},
        {"role": "user", "content": "Which country is it from?"},
    ]
    assert _previous_questions(messages) == [EARLIER, "Which country is it from?"]


def test_files_and_components_carry_no_text() -> None:
    file_block = {"type": "file", "file": {"path": "/tmp/x.png"}}
    assert message_text([file_block, {"type": "text", "text": "Who?"}]) == "Who?"
    assert _previous_questions([{"role": "user", "content": [file_block]}]) == []
