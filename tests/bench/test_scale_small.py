"""bench/scale.py's measurements on a tiny corpus written here (no /usr/share/doc)."""

import random
from pathlib import Path

import pytest
from rich.console import Console

from bench import scale
from cli.console import progress as progress_bar
from rag.settings import Settings
from tests.conftest import REPO

WORDS = ("index table query vacuum kernel module socket thread buffer cache page tuple "
         "planner network interface driver virtual environment package import string list "
         "dictionary lock transaction replica schema column stream signal process memory "
         "scheduler device filesystem mount journal checkpoint cursor trigger").split()  # fmt: skip


def _paragraph(rng: random.Random, sentences: int) -> str:
    """Sentences of random words: distinct text, so chunks never repeat."""
    return " ".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."
        for _ in range(sentences)
    )


def write_docs(folder: Path) -> None:
    """Two Markdown files and two HTML pages, one of them large (many sections)."""
    rng = random.Random(9)
    folder.mkdir(parents=True)
    for n in range(2):
        sections = [
            f"## Part {s}\n\n{_paragraph(rng, 6)}\n\n{_paragraph(rng, 5)}" for s in range(8)
        ]
        (folder / f"guide-{n}.md").write_text(f"# Guide {n}\n\n" + "\n\n".join(sections) + "\n")
    for n, count in ((0, 10), (1, 80)):
        body = "".join(
            f"<h2>Topic {s}</h2><p>{_paragraph(rng, 6)}</p><p>{_paragraph(rng, 5)}</p>"
            for s in range(count)
        )
        (folder / f"page-{n}.html").write_text(
            f"<html><head><title>Page {n}</title></head><body><h1>Page {n}</h1>{body}</body></html>"
        )


@pytest.mark.slow
def test_scale_small(tmp_path: Path) -> None:
    write_docs(tmp_path / "docs")
    backend = Settings().embedding_backend
    with progress_bar(Console(stderr=True)) as bar:
        pages = scale.doc_files([("docs", tmp_path / "docs")])
        (corpus,) = scale.build_corpora(pages, [150], tmp_path / "work", bar)
        questions = scale.make_questions(corpus.texts, 12)
        result = scale.measure(corpus, backend, tmp_path / "run", questions, bar, timeout=600)
        recipe = scale.langchain_recipe(corpus, tmp_path / "recipe")

    assert len(corpus.files) == 4 and len(corpus.texts) >= 150
    assert questions[0] == scale.FIXED_QUESTIONS[0] and len(set(questions)) == 12
    assert result["ingest"]["added"] == result["chunks"] == len(corpus.texts)
    assert result["ingest"]["peak_rss_mb"] > 0 and result["index_bytes"] > 0
    assert result["tokens"] > result["chunks"] and result["tokens_per_s"] > 0

    ask = result["ask"]
    assert ask["http_200"] == ask["questions"] == 12
    assert 0 < ask["p50_ms"] <= ask["p95_ms"] and all(x > 0 for x in ask["latencies_ms"])
    assert ask["ready_s"] > 0

    bm25 = result["bm25"]  # built from Chroma, and loaded from the state the server saved
    assert bm25["built_chunks"] == bm25["loaded_chunks"] == result["chunks"]
    assert bm25["load_s"] is not None and bm25["bytes"] > 0

    again = result["reingest"]
    assert again["unchanged"]["added"] == again["unchanged"]["removed"] == 0
    assert 1 <= again["append"]["added"] <= 2
    top = again["insert_top"]
    assert 1 <= top["added"] <= 2 and top["file_chunks"] == max(corpus.chunks_per_file)
    assert top["moved"] >= top["file_chunks"] - 3  # the rest of the file only moved

    assert recipe["chunks"] > 0 and recipe["seconds"] > 0 and recipe["tokens_per_s"] > 0
    recipe["ours_over_langchain_s"] = result["ingest"]["ingest_seconds"] / recipe["seconds"]
    assert scale.tables([{**result, "langchain": recipe}]).count("\n|") >= 4


@pytest.mark.parametrize("at_top", [True, False])
def test_an_html_edit_lands_in_the_text_the_loader_reads(tmp_path: Path, at_top: bool) -> None:
    from ingest.loaders import load

    page = tmp_path / "page.html"  # a Sphinx page: the body is role="main", sidebars beside
    page.write_text((REPO / "tests/ingest/pages/sphinx.html").read_text(encoding="utf-8"))
    before = load(page, "page.html").text
    page.write_text(scale.edited(page, "Llamas hum.", at_top), encoding="utf-8")
    after = load(page, "page.html").text
    assert after == ("Llamas hum.\n\n" + before if at_top else before + "\n\nLlamas hum.")
