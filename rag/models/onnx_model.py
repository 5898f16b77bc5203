"""An ONNX embedder: the sentence-transformers model exported once, run by onnxruntime.

sentence-transformers' own ONNX backend needs ``optimum-onnx``, whose releases
require transformers < 4.58 while sentence-transformers 6 requires transformers 5,
so the export is done here: the transformer with the model's mean pooling and
L2 normalisation in one graph (``torch.onnx``, needs torch and onnx), once per
model folder, cached in ``~/.cache/rag-chat/onnx/<model>-<key>/`` with the
tokenizer. Loading needs only onnxruntime, tokenizers and numpy: no torch.
Its vectors equal the torch backend's to float precision (tests check 1e-5).
"""

import json
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.errors import RagError
from rag.models.model_cache import build_once
from rag.models.model_cache import cache_folder as _cache_folder

OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def max_seq_length(model_dir: str) -> int:
    """The model's window from ``sentence_bert_config.json`` (512 when absent)."""
    config = Path(model_dir) / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text()).get("max_seq_length") or 512)
    return 512


def _check_mean_pooling(model_dir: str) -> None:
    """Refuse a model whose sentence-transformers pooling is not a plain mean."""
    pooling = Path(model_dir) / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text()) if pooling.is_file() else {}
    others = [k for k, v in config.items() if k.startswith("pooling_mode_") and v]
    if others != ["pooling_mode_mean_tokens"]:
        raise RagError(f"the onnx backend needs a mean-pooling model; {model_dir} has {others}")


def cache_folder(model_dir: str, root: Path | None = None) -> Path:
    """The cache folder of the ONNX export of ``model_dir``."""
    return _cache_folder("onnx", model_dir, {"opset": OPSET, "pooling": "mean+l2"}, root)


def export_into(model_dir: str, folder: Path) -> None:
    """Export ``model_dir`` (transformer, mean pooling, normalisation) to ``folder``."""
    import torch
    from transformers import AutoModel

    _check_mean_pooling(model_dir)

    class Pooled(torch.nn.Module):
        """The transformer, then the attention-masked mean, then unit length."""

        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    model = AutoModel.from_pretrained(model_dir).eval()
    example = torch.ones((2, 8), dtype=torch.long)
    axes = {name: {0: "batch", 1: "tokens"} for name in _INPUTS}
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on opset details
        torch.onnx.export(
            Pooled(model),
            (example, example, torch.zeros_like(example)),
            str(folder / "model.onnx"),
            input_names=list(_INPUTS),
            output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )
    shutil.copyfile(Path(model_dir) / "tokenizer.json", folder / "tokenizer.json")
    (folder / "config.json").write_text(json.dumps({"max_seq_length": max_seq_length(model_dir)}))


class OnnxEmbeddings(Embeddings):
    """The exported model in an onnxruntime session, as LangChain embeddings."""

    def __init__(self, folder: Path, batch_size: int, threads: int) -> None:
        """Open the export in ``folder``; ``threads`` intra-op threads per call."""
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        window = int(json.loads((folder / "config.json").read_text())["max_seq_length"])
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(window)
        self._tokenizer.no_padding()
        self._batch_size = batch_size

    def _run(self, ids: list[list[int]]) -> np.ndarray:
        """Vectors of one batch of token ids, padded to the longest."""
        longest = max(len(row) for row in ids)
        input_ids = np.zeros((len(ids), longest), dtype=np.int64)
        mask = np.zeros_like(input_ids)
        for i, row in enumerate(ids):
            input_ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        feed = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": mask * 0}
        return np.asarray(self._session.run(None, feed)[0], dtype=np.float32)

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, batched by similar length (less padding)."""
        ids = [e.ids for e in self._tokenizer.encode_batch(texts)]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        vectors = np.zeros((len(ids), 0), dtype=np.float32)
        for at in range(0, len(order), self._batch_size):
            batch = order[at : at + self._batch_size]
            out = self._run([ids[i] for i in batch])
            if vectors.shape[1] == 0:
                vectors = np.zeros((len(ids), out.shape[1]), dtype=np.float32)
            vectors[batch] = out
        return vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One unit-length vector per text."""
        return self.embed_array(texts).tolist() if texts else []

    def embed_query(self, text: str) -> list[float]:
        """The unit-length vector of one text."""
        return self.embed_documents([text])[0]


def load_onnx(
    model_dir: str, batch_size: int, threads: int, root: Path | None = None
) -> OnnxEmbeddings:
    """The ONNX embedder for ``model_dir``, exported first (~10 s, imports torch) if not cached.

    Args:
        model_dir: the sentence-transformers folder.
        batch_size: texts per onnxruntime call.
        threads: intra-op threads of the session.
        root: the cache root (default: ``~/.cache/rag-chat``).
    """
    folder = build_once(cache_folder(model_dir, root), lambda into: export_into(model_dir, into))
    return OnnxEmbeddings(folder, batch_size, threads)
