"""Code blocks are marked at load (HTML <pre>, reStructuredText literal blocks, Markdown
fences) and carried by the chunks that hold them, so an answer quotes code whole."""

from pathlib import Path

from ingest.chunker import chunk_document
from ingest.loaders import load
from rag.schema import Chunk

SPACE = '<span class="w"> </span>'  # how Pygments writes the spaces of a highlighted line
HTML = f"""<html><body><div role="main"><p>Run the module as a script:</p>
<div class="highlight"><pre><span></span>python3{SPACE}-m{SPACE}venv{SPACE}env
source env/bin/activate
</pre></div><p>Then install packages into it.</p></div></body></html>"""
RST = """Title
=====

Run the module as a script::

   python3 -m venv env
   source env/bin/activate

Then install packages into it.
"""
MARKDOWN = """# Title

Run the module as a script:

```bash
python3 -m venv env
source env/bin/activate
```

Then install packages into it.
"""
CODE = "python3 -m venv env\nsource env/bin/activate"


def loaded(tmp_path: Path, name: str, text: str) -> tuple[str, list[tuple[int, int]]]:
    path = tmp_path / name
    path.write_text(text)
    doc = load(path, name)
    return doc.text, [(span.start, span.end) for span in doc.code]


def test_each_format_marks_its_code_block_exactly(tmp_path: Path) -> None:
    for name, text in (("a.html", HTML), ("a.rst", RST), ("a.md", MARKDOWN)):
        document, code = loaded(tmp_path, name, text)
        assert [document[a:b] for a, b in code] == [CODE], name


def test_prose_is_never_marked_as_code(tmp_path: Path) -> None:
    for name, text in (("a.html", HTML), ("a.rst", RST), ("a.md", MARKDOWN)):
        document, code = loaded(tmp_path, name, text)
        for a, b in code:
            assert "Run the module" not in document[a:b] and "Then install" not in document[a:b]


def test_chunks_carry_their_code_blocks_through_chroma_metadata(tmp_path: Path) -> None:
    path = tmp_path / "a.html"
    path.write_text(HTML)
    doc = load(path, "a.html")
    chunks = chunk_document(doc, 25, 0)  # small chunks: the code block is cut across two
    marked = [c for c in chunks if c.code]
    assert len(marked) >= 2
    for chunk in marked:
        for start, end in chunk.code or []:
            assert chunk.start <= start < end <= chunk.end
            assert doc.text[start:end] in CODE
    stored = [Chunk.from_record(c.id, c.text, c.metadata()) for c in chunks]
    assert stored == chunks
