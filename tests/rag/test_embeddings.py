"""Embedding backends on the real packaged model: unit vectors, paraphrases nearer than
unrelated texts, onnx equal to torch, derived models built once and loaded without torch."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from rag.models.embeddings import (
    PACKAGED_MODEL,
    STATIC_PCA_DIMS,
    embedder_id,
    load_embeddings,
    resolve_model,
)
from rag.models.model_cache import cache_root
from rag.models.onnx_model import load_onnx
from rag.models.static_model import StaticEmbeddings, cache_folder, load_static
from rag.settings import Settings

REPO = Path(__file__).resolve().parents[2]
TEXTS = [
    "How much revenue did Netflix report?",
    "Netflix reported revenue of $11.5 billion for the quarter.",
    "Llamas hum when they are content.",
    "",
]
# (anchor, paraphrase, unrelated)
TRIPLES = [
    (
        "How much money did Netflix make?",
        "What revenue did Netflix report?",
        "Llamas hum when they are content.",
    ),
    (
        "A man is playing a guitar.",
        "Someone plays an acoustic guitar.",
        "The central bank raised interest rates.",
    ),
    (
        "The film used AI tools to de-age the actors.",
        "Artificial intelligence made the cast look younger in the movie.",
        "Heavy rain flooded the village overnight.",
    ),
]


def run_python(code: str, home: Path) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter with ``HOME=home``; it prints one JSON object."""
    env = {**os.environ, "HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def snapshot(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` with its modification time in nanoseconds."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.fixture(scope="session")
def static_root() -> Path:
    """The user's cache root, holding the static model (distilled now if missing: ~1 min).

    Sharing the user's cache keeps the test suite from distilling at every run;
    tests that check caching work on a copy.
    """
    model_dir = resolve_model(PACKAGED_MODEL)
    load_static(model_dir, STATIC_PCA_DIMS)
    load_onnx(model_dir, batch_size=32, threads=1)
    return cache_root()


@pytest.fixture
def home_with_cache(tmp_path: Path, static_root: Path) -> Path:
    """A home folder whose ~/.cache/rag-chat holds a copy of the derived models."""
    home = tmp_path / "home"
    shutil.copytree(static_root, home / ".cache" / "rag-chat")
    return home


@pytest.fixture(params=["torch", "onnx", "static"])
def embedder(request: pytest.FixtureRequest) -> Embeddings:
    """Each backend's embedder (derived models from the shared cache)."""
    if request.param != "torch":
        request.getfixturevalue("static_root")
    return load_embeddings(Settings(embedding_backend=request.param))


def test_ids_name_model_and_vectors() -> None:
    assert embedder_id(Settings()) == "all-MiniLM-L6-v2/fp32"
    assert embedder_id(Settings(embedding_backend="onnx")) == "all-MiniLM-L6-v2/fp32"
    assert embedder_id(Settings(embedding_backend="static")) == "all-MiniLM-L6-v2/static-m2v-256"
    assert embedder_id(Settings(embedding_model=f"sentence-transformers/{PACKAGED_MODEL}")) == (
        "all-MiniLM-L6-v2/fp32"
    )


def test_importing_the_module_loads_no_model_library() -> None:
    code = (
        "import json, sys\nimport rag.models.embeddings, rag.models.static_model\n"
        "heavy = ['torch', 'transformers', 'sentence_transformers', 'model2vec']\n"
        "print(json.dumps({'loaded': [m for m in heavy if m in sys.modules]}))"
    )
    assert run_python(code, Path.home())["loaded"] == []


def test_cache_key_follows_the_parameters(tmp_path: Path) -> None:
    model_dir = resolve_model(PACKAGED_MODEL)
    assert cache_folder(model_dir, 256).parent == cache_root() / "static"
    assert cache_folder(model_dir, 256, tmp_path) == cache_folder(model_dir, 256, tmp_path)
    assert cache_folder(model_dir, 256, tmp_path) != cache_folder(model_dir, 128, tmp_path)
    copy = shutil.copytree(model_dir, tmp_path / "copy")
    assert cache_folder(str(copy), 256, tmp_path) != cache_folder(model_dir, 256, tmp_path)


@pytest.mark.slow
def test_vectors_are_unit_length_and_paraphrases_nearer(embedder: Embeddings) -> None:
    vectors = np.array(embedder.embed_documents(TEXTS))
    assert vectors.shape[0] == len(TEXTS)
    assert vectors.dtype == np.float64  # plain Python floats, as LangChain expects
    norms = np.linalg.norm(vectors[:-1], axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-4)
    np.testing.assert_allclose(embedder.embed_query(TEXTS[0]), vectors[0], atol=1e-5)
    for anchor, paraphrase, unrelated in TRIPLES:
        a, p, u = (np.array(embedder.embed_query(t)) for t in (anchor, paraphrase, unrelated))
        assert a @ p > a @ u + 0.1, (anchor, float(a @ p), float(a @ u))


@pytest.mark.slow
def test_onnx_vectors_equal_torch_vectors(static_root: Path) -> None:
    texts = [*TEXTS, "A sentence far longer than the window. " * 60]
    onnx = np.array(load_embeddings(Settings(embedding_backend="onnx")).embed_documents(texts))
    torch = np.array(load_embeddings(Settings(embedding_backend="torch")).embed_documents(texts))
    assert onnx.shape == torch.shape == (len(texts), 384)
    np.testing.assert_allclose(onnx, torch, atol=1e-5)


@pytest.mark.slow
def test_static_vectors_have_pca_dimensions(static_root: Path) -> None:
    static = load_embeddings(Settings(embedding_backend="static"))
    assert isinstance(static, StaticEmbeddings)
    assert len(static.embed_query("hello")) == STATIC_PCA_DIMS


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "dims"), [("static", STATIC_PCA_DIMS), ("onnx", 384)])
def test_derived_model_is_built_once_and_loads_without_torch(
    home_with_cache: Path, backend: str, dims: int
) -> None:
    cache = home_with_cache / ".cache" / "rag-chat"
    before = snapshot(cache)
    assert any(name.startswith(f"{backend}/") for name in before)
    code = (
        "import json, sys\n"
        "from rag.models.embeddings import load_embeddings\nfrom rag.settings import Settings\n"
        f"vector = load_embeddings(Settings(embedding_backend='{backend}')).embed_query('hi')\n"
        "print(json.dumps({'dims': len(vector), 'torch': 'torch' in sys.modules,\n"
        "                  'transformers': 'transformers' in sys.modules}))"
    )
    result = run_python(code, home_with_cache)
    assert result == {"dims": dims, "torch": False, "transformers": False}
    assert snapshot(cache) == before  # nothing rebuilt, nothing added


def test_a_missing_model_is_built_into_the_cache(tmp_path: Path) -> None:
    """The build step itself (here a stand-in) runs once; the folder appears whole."""
    from rag.models.model_cache import build_once

    calls = []

    def build(folder: Path) -> None:
        calls.append(folder)
        (folder / "weights").write_text("w")

    target = tmp_path / "kind" / "model-abc"
    assert build_once(target, build) == target
    assert build_once(target, build) == target
    assert len(calls) == 1
    assert [p.name for p in target.parent.iterdir()] == ["model-abc"]
    assert (target / "weights").read_text() == "w"
