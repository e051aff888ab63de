"""Extractive span reader with a no-answer score: the exact words that answer a question.

A small model (all-MiniLM-L6-v2 fine-tuned with start/end heads by
`benchmarks/train_reader.py`, shipped as int8 ONNX with 7-bit weights, so every CPU
computes the same integers: index/ingest/exact_int8.py) reads `[CLS] question [SEP] context
[SEP]` and scores every span of the context; the `[CLS]` position scores "no answer" (SQuAD
2.0 style), so a question the passages do not answer can be refused. Answer time needs
onnxruntime and the bundled tokenizer only: no torch, nothing downloaded.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import ModelUnavailable
from index.ingest.chunking import split_sentences
from index.ingest.embedding import bundled_model_dir

MODELS_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL = MODELS_DIR / "reader-int8.onnx"
MAX_TOKENS = 384  # one window: [CLS] question [SEP] context [SEP]
MAX_QUESTION_TOKENS = 64  # a longer question is cut: its start carries the ask
STRIDE = 128  # tokens shared by neighbouring windows of a context longer than one window
MAX_ANSWER_TOKENS = 30  # a direct answer is a short phrase, not a paragraph
RIVAL_SPANS = 20  # spans kept per context, so each sentence's best can be compared
REBUILD_HINT = "rebuild it with `python -m benchmarks.train_reader` (about an hour on 2 cores)"


@dataclass(frozen=True)
class ReaderInput:
    """A question and the text to read: the sentence before a chunk + the chunk, or a chunk."""

    question: str
    context: str


@dataclass(frozen=True)
class Span:
    """Answer `context[start:end]`; `score` = start logit + end logit (higher is surer)."""

    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Reading:
    """The best spans of one context and the no-answer score they compete with.

    `margin` = null_score - best.score: the reader thinks the context does not answer the
    question when it exceeds the calibrated `SpanReader.null_threshold`.
    """

    null_score: float
    spans: tuple[Span, ...] = ()  # the best spans, best first (rivals in other sentences)

    @property
    def best(self) -> Span | None:
        return self.spans[0] if self.spans else None

    @property
    def margin(self) -> float:
        return float("inf") if self.best is None else self.null_score - self.best.score


@dataclass(frozen=True)
class Window:
    """One model input row; `offsets[k]` is the context char span of token `first + k`."""

    ids: list[int]
    type_ids: list[int]
    first: int
    offsets: list[tuple[int, int]]


def answer_sentence(context: str, span: Span) -> tuple[int, int]:
    """Char offsets of the sentence(s) holding the span: what a person reads around it."""
    sentences = split_sentences(context)
    start = max((s.start for s in sentences if s.start <= span.start), default=0)
    end = min((s.end for s in sentences if s.end >= span.end), default=len(context))
    return start, max(end, span.end)


def load_tokenizer(max_question_tokens: int = MAX_QUESTION_TOKENS) -> Any:
    """The bundled WordPiece tokenizer, without the 128-token padding it ships with."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(bundled_model_dir() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def encode_windows(
    tokenizer: Any,
    question: str,
    context: str,
    max_tokens: int = MAX_TOKENS,
    stride: int = STRIDE,
    max_question_tokens: int = MAX_QUESTION_TOKENS,
) -> list[Window]:
    """Cut `[CLS] question [SEP] context [SEP]` into windows that overlap by `stride` tokens."""
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    asked = tokenizer.encode(question, add_special_tokens=False).ids[:max_question_tokens]
    read = tokenizer.encode(context, add_special_tokens=False)
    return windows_from_tokens(asked, read.ids, read.offsets, cls_id, sep_id, max_tokens, stride)


def windows_from_tokens(
    question_ids: Sequence[int],
    context_ids: Sequence[int],
    context_offsets: Sequence[tuple[int, int]],
    cls_id: int,
    sep_id: int,
    max_tokens: int = MAX_TOKENS,
    stride: int = STRIDE,
) -> list[Window]:
    """Windows over an already tokenized pair (training builds its examples with this too)."""
    head = [cls_id, *question_ids, sep_id]
    room = max(max_tokens - len(head) - 1, 16)
    step = max(room - stride, 1)
    windows: list[Window] = []
    begin = 0
    while True:
        part = list(context_ids[begin : begin + room])
        ids = head + part + [sep_id]
        type_ids = [0] * len(head) + [1] * (len(part) + 1)
        offsets = list(context_offsets[begin : begin + room])
        windows.append(Window(ids, type_ids, len(head), offsets))
        if begin + room >= len(context_ids):
            return windows
        begin += step


def best_span(
    start_logits: np.ndarray, end_logits: np.ndarray, first: int, count: int, max_answer: int
) -> tuple[int, int, float] | None:
    """Best (start, end, score) over tokens first..first+count-1, start <= end < start + max."""
    if count <= 0:
        return None
    starts = start_logits[first : first + count]
    ends = end_logits[first : first + count]
    best: tuple[int, int, float] | None = None
    for length in range(min(max_answer, count)):
        scores = starts[: count - length] + ends[length:]
        at = int(np.argmax(scores))
        if best is None or scores[at] > best[2]:
            best = (first + at, first + at + length, float(scores[at]))
    return best


def _whole_words(context: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span cut inside a word (a WordPiece piece) to the whole word."""
    while start > 0 and context[start - 1].isalnum() and context[start].isalnum():
        start -= 1
    while end < len(context) and context[end - 1].isalnum() and context[end].isalnum():
        end += 1
    return start, end


def top_spans(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    first: int,
    count: int,
    max_answer: int,
    keep: int,
) -> list[tuple[int, int, float]]:
    """The `keep` best (start, end, score) over tokens first..first+count-1, one per start
    token (its best end within `max_answer` tokens): the best span and its rivals elsewhere."""
    if count <= 0:
        return []
    starts = start_logits[first : first + count]
    ends = end_logits[first : first + count]
    width = min(max_answer, count)
    # ends_ahead[i, k] = end logit of token i + k (-inf past the context)
    padded = np.concatenate([ends, np.full(width, -np.inf, dtype=ends.dtype)])
    ends_ahead = np.lib.stride_tricks.sliding_window_view(padded, width)[:count]
    lengths = np.argmax(ends_ahead, axis=1)
    scores = starts + ends_ahead[np.arange(count), lengths]
    order = np.argsort(-scores, kind="stable")[:keep]
    return [(first + int(i), first + int(i + lengths[i]), float(scores[i])) for i in order]


def decode_reading(
    context: str,
    windows: Sequence[Window],
    start_rows: Sequence[np.ndarray],
    end_rows: Sequence[np.ndarray],
    max_answer: int = MAX_ANSWER_TOKENS,
) -> Reading:
    """The best spans over every window of one context; null = the surest window's
    no-answer score."""
    found: dict[tuple[int, int], Span] = {}
    null = float("inf")
    for window, starts, ends in zip(windows, start_rows, end_rows, strict=True):
        null = min(null, float(starts[0] + ends[0]))
        count = len(window.offsets)
        for first_token, last_token, score in top_spans(
            starts, ends, window.first, count, max_answer, RIVAL_SPANS
        ):
            start = window.offsets[first_token - window.first][0]
            end = window.offsets[last_token - window.first][1]
            start, end = _whole_words(context, start, end)
            if (start, end) not in found or found[start, end].score < score:
                found[start, end] = Span(start, end, score)  # windows overlap: keep the surer
    ranked = tuple(sorted(found.values(), key=lambda span: -span.score)[:RIVAL_SPANS])
    return Reading(null if windows else 0.0, ranked)


class SpanReader:
    """onnxruntime session + the bundled tokenizer; `read` answers a micro-batch."""

    def __init__(self, onnx_path: Path | None = None, threads: int = 2) -> None:
        path = onnx_path or DEFAULT_MODEL
        if not path.is_file():
            raise ModelUnavailable(f"the answer reader model {path} is missing: {REBUILD_HINT}")
        import onnxruntime as ort

        meta_path = path.with_name("reader.json")
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        self.max_tokens = int(meta.get("max_tokens", MAX_TOKENS))
        self.stride = int(meta.get("stride", STRIDE))
        self.max_answer_tokens = int(meta.get("max_answer_tokens", MAX_ANSWER_TOKENS))
        # null_score - best span score above which the context is taken not to answer
        self.null_threshold = float(meta.get("null_threshold", 0.0))
        self._tokenizer = load_tokenizer()
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, min(threads, os.cpu_count() or 1))
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle threads must not spin: on 2 shared cores spinning starves the answering thread.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._input_names = {item.name for item in self._session.get_inputs()}
        self._lock = threading.Lock()  # one run at a time: both cores already serve each run

    def read(self, inputs: Sequence[ReaderInput]) -> list[Reading]:
        """Best span and no-answer score for each input (a micro-batch of questions/passages).

        Each window is its own model run: int8 activations are quantized with one scale per
        run, so padding a window into a batch changed the answer of 14% of questions (fp32
        does not care), and runs of one window were also faster than padded batches here
        (~190-token windows on 2 cores: 20-27 vs 28-48 ms per window).
        """
        readings: list[Reading] = []
        for item in inputs:
            windows = encode_windows(
                self._tokenizer, item.question, item.context, self.max_tokens, self.stride
            )
            rows = [self.logits([window]) for window in windows]
            readings.append(
                decode_reading(
                    item.context,
                    windows,
                    [starts[0] for starts, _ in rows],
                    [ends[0] for _, ends in rows],
                    self.max_answer_tokens,
                )
            )
        return readings

    def logits(self, windows: Sequence[Window]) -> tuple[np.ndarray, np.ndarray]:
        """Start and end logits of windows padded into one run, shape (windows, longest)."""
        width = max(len(window.ids) for window in windows)
        ids = np.zeros((len(windows), width), dtype=np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros_like(ids)
        for row, window in enumerate(windows):
            ids[row, : len(window.ids)] = window.ids
            types[row, : len(window.ids)] = window.type_ids
            mask[row, : len(window.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        feeds = {name: value for name, value in feeds.items() if name in self._input_names}
        with self._lock:
            starts, ends = self._session.run(["start_logits", "end_logits"], feeds)
        return np.asarray(starts, dtype=np.float32), np.asarray(ends, dtype=np.float32)
