"""Chunks are exact slices, whole sentences, within size, sectioned and stable."""

import itertools
from pathlib import Path

import pytest

from ingest.chunker import bounded, chunk_document, pack
from ingest.document import SourceDocument
from ingest.loaders import load
from rag.text import Span, sentence_spans
from tests.conftest import SEED_FILE, SEEDS


@pytest.fixture
def seed_document():
    return load(SEEDS / SEED_FILE, f"seeds/{SEED_FILE}")


@pytest.mark.parametrize(("size", "overlap"), [(200, 0), (400, 100), (800, 150), (2000, 300)])
def test_chunks_are_exact_whole_sentence_slices(seed_document, size: int, overlap: int) -> None:
    text = seed_document.text
    chunks = chunk_document(seed_document, size, overlap)
    # Sentences, except that one longer than ``size`` is cut between words.
    pieces = bounded(text, sentence_spans(text), size)
    assert chunks
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.start in {p.start for p in pieces} and chunk.end in {p.end for p in pieces}
        assert len(chunk.text) <= size


def test_every_sentence_is_in_some_chunk(seed_document) -> None:
    chunks = chunk_document(seed_document, 300, 50)
    for sentence in sentence_spans(seed_document.text):
        text = seed_document.text[sentence.start : sentence.end]
        if text in {"Read next section", "BACK TO TOP", "Contact Cognativ"}:
            continue  # headings with no body of their own
        assert any(c.start <= sentence.start and sentence.end <= c.end for c in chunks), text


def test_sections_come_from_headings(seed_document) -> None:
    chunks = chunk_document(seed_document, 800, 150)
    de_aging = next(c for c in chunks if "de-age" in c.text)
    assert de_aging.section == "Innovative Uses of Generative AI in Production"
    assert "Read next section" not in {c.section for c in chunks}


def test_ids_are_stable_and_only_an_edited_chunk_changes(seed_document, tmp_path: Path) -> None:
    first = chunk_document(seed_document, 800, 150)
    assert [c.id for c in first] == [c.id for c in chunk_document(seed_document, 800, 150)]
    assert len({c.id for c in first}) == len(first)
    edited = tmp_path / SEED_FILE
    edited.write_text(seed_document.text.replace("17%", "18%"))  # same length: no shifts
    seed_document.text = edited.read_text()
    changed = chunk_document(seed_document, 800, 150)
    assert {c.id for c in first} - {c.id for c in changed} == {
        c.id for c in first if "17%" in c.text
    }


def test_pack_overlaps_by_whole_sentences() -> None:
    sentences = [Span(i * 10, i * 10 + 9) for i in range(6)]  # six 9-char sentences
    assert pack(sentences, set(), size=29, overlap=10) == [Span(0, 29), Span(20, 49), Span(40, 59)]


def test_pack_prefers_a_paragraph_break() -> None:
    sentences = [Span(i * 10, i * 10 + 9) for i in range(5)]
    # Four sentences would fit, but a paragraph starts at 30: cut there instead.
    assert pack(sentences, {30}, size=39, overlap=0) == [Span(0, 29), Span(30, 49)]


def test_a_sentence_longer_than_the_size_stands_alone() -> None:
    sentences = [Span(0, 5), Span(6, 100), Span(101, 105)]
    assert pack(sentences, set(), size=20, overlap=0) == [Span(0, 5), Span(6, 100), Span(101, 105)]


def test_an_overlong_sentence_is_cut_at_the_window_into_exact_slices() -> None:
    # A 5 MB single-line file once became one 5.2-million-character chunk, of which
    # the model read only the first 256 tokens.
    text = " ".join(f"word{n}" for n in range(3000))  # no sentence punctuation at all
    chunks = chunk_document(SourceDocument(text, "s.txt", "/s.txt", "t"), 800, 150)
    assert len(chunks) >= len(text) // 800
    assert all(len(c.text) <= 800 and text[c.start : c.end] == c.text for c in chunks)
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    assert all(c.end == len(text) or text[c.end] == " " for c in chunks)  # cut between words
    assert all(not text[a.end : b.start].strip() for a, b in itertools.pairwise(chunks))


def test_titles_and_sections_stay_short_however_long_the_line(tmp_path: Path) -> None:
    # A 5 MB single-line file was its own title: 5 MB of metadata on each of its
    # 6,368 chunks, which took Chroma past 16 GB of memory.
    long_line = " ".join(f"word{n}" for n in range(4000))
    (tmp_path / "long.md").write_text(f"# {long_line}\n\n{long_line}\n")
    chunks = chunk_document(load(tmp_path / "long.md", "long.md"), 800, 150)
    assert len(chunks) > 10
    assert all(len(c.title) <= 200 and len(c.section) <= 200 for c in chunks)
    assert chunks[0].title.startswith("word0 word1")
