"""Sentence and paragraph spans are exact and respect the usual traps."""

from rag.text import paragraph_spans, sentence_spans, tokenize


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in sentence_spans(text)]


def test_sentences_end_after_closing_quotes() -> None:
    text = "“It takes a great artist,” he said. “AI can help.” Then he left."
    assert sentences(text) == [
        "“It takes a great artist,” he said.",
        "“AI can help.”",
        "Then he left.",
    ]


def test_abbreviations_initials_and_list_numbers_do_not_end_sentences() -> None:
    text = "  1. Dr. Smith met J. Doe at 5 p.m. today. It rained."
    assert sentences(text) == ["1. Dr. Smith met J. Doe at 5 p.m. today.", "It rained."]


def test_blank_lines_separate_sentences_without_punctuation() -> None:
    text = "A Heading\n\nBody text here. More text\n\n\nLast"
    assert sentences(text) == ["A Heading", "Body text here.", "More text", "Last"]


def test_spans_are_offsets_into_the_original_text() -> None:
    text = "\n  Alpha beta.  Gamma delta!\n\n  Epsilon?"
    for span in sentence_spans(text):
        assert text[span.start : span.end] == text[span.start : span.end].strip()
    assert [text[p.start : p.end] for p in paragraph_spans(text)] == [
        "Alpha beta.  Gamma delta!",
        "Epsilon?",
    ]


def test_spans_within_a_window() -> None:
    text = "Skip this. Keep this one. And this."
    window = sentence_spans(text, 11, len(text))
    assert [text[s.start : s.end] for s in window] == ["Keep this one.", "And this."]


def test_tokenize_drops_question_words_and_stems() -> None:
    assert tokenize(["Which films used the tools?"]) == [["film", "use", "tool"]]
