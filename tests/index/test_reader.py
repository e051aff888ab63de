"""The shipped span reader: real answers, exact offsets, batches, a clear error without it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index import Engine
from index.answer.span_reader import (
    DEFAULT_MODEL,
    ReaderInput,
    Reading,
    SpanReader,
    answer_sentence,
    best_span,
    top_spans,
)
from index.errors import ModelUnavailable
from qabot.config import Config
from tests.conftest import SEED_QUESTION
from tests.index.test_exact_int8 import HEADLINE_CONTEXT

# Right span over the best wrong one on the headline, as the engine reads it. CPUs that
# compute the same integers differ in float rounding only (~1e-5 here); the saturating
# int8 reader moved these scores by more than 1 on an AVX2 CPU.
HEADLINE_MARGIN = 1.0

CHARGES = (  # as the engine reads it: the referent sentence, then the passage
    "Alec Baldwin is facing two counts of involuntary manslaughter, which both carry a sentence "
    "of up to 18 months in jail. Prosecutors are handing Rust armorer Hannah Gutierrez Reed "
    "the same charges. The movie’s first assistant director, Dave Halls, took a plea deal to "
    "stay out of jail."
)
HALLS = (
    "Prosecutors are handing Rust armorer Hannah Gutierrez Reed the same charges. The movie’s "
    "first assistant director, Dave Halls, took a plea deal to stay out of jail. He will serve "
    "six months of probation."
)
SHOOTING = (
    "The shooting happened while Baldwin was rehearsing with a prop gun on the Rust set in New "
    "Mexico. As the gun was pointing toward Hutchins, it fired."
)


@pytest.fixture(scope="module")
def reader() -> SpanReader:  # a model, read with onnxruntime: its tests are marked `model`
    return SpanReader(DEFAULT_MODEL)


def _text(reader: SpanReader, question: str, context: str) -> str:
    (reading,) = reader.read([ReaderInput(question, context)])
    assert reading.best is not None
    return context[reading.best.start : reading.best.end]


@pytest.mark.model
def test_follows_the_sentence_before_to_the_charges(reader: SpanReader) -> None:
    (reading,) = reader.read([ReaderInput("what charges does Gutierrez Reed face", CHARGES)])
    assert reading.best is not None
    assert "involuntary manslaughter" in CHARGES[reading.best.start : reading.best.end]
    assert reading.margin < reader.null_threshold  # answered, not refused
    start, end = answer_sentence(CHARGES, reading.best)
    assert CHARGES[start:end].startswith("Alec Baldwin is facing")


class RecordingReader:
    """The shipped reader, keeping what the engine gives it to read."""

    def __init__(self, reader: SpanReader) -> None:
        self.reader = reader
        self.inputs: list[ReaderInput] = []

    def read(self, inputs: list[ReaderInput]) -> list[Reading]:
        self.inputs.extend(inputs)
        return self.reader.read(inputs)


@pytest.mark.model
def test_the_headline_as_the_engine_reads_it_with_a_margin(
    reader: SpanReader, config: Config, tmp_path: Path
) -> None:
    recording = RecordingReader(reader)
    engine = Engine(config.engine_settings(tmp_path / "index"), reader=recording)
    try:
        answer = engine.answer(SEED_QUESTION)
    finally:
        engine.close()
    # bold only when the calibrated model says likely right (issue 24); never a wrong span
    assert answer.direct in (None, "involuntary manslaughter")
    assert "two counts of involuntary manslaughter" in answer.text
    (read,) = recording.inputs
    assert read.context == HEADLINE_CONTEXT  # what tests/index/test_exact_int8.py reads on AVX2
    (reading,) = reader.read([read])
    right = [
        s for s in reading.spans if "involuntary manslaughter" in read.context[s.start : s.end]
    ]
    wrong = [s for s in reading.spans if s not in right]
    assert reading.best is not None and reading.best in right
    assert right[0].score - wrong[0].score >= HEADLINE_MARGIN, (right[0], wrong[0])


@pytest.mark.model
def test_short_factual_answers(reader: SpanReader) -> None:
    assert "probation" in _text(reader, "What will Dave Halls serve?", HALLS)
    assert "New Mexico" in _text(reader, "Where was the Rust set?", SHOOTING)


@pytest.mark.model
def test_a_batch_reads_like_one_by_one(reader: SpanReader) -> None:
    inputs = [
        ReaderInput("what charges does Gutierrez Reed face", CHARGES),
        ReaderInput("Who took a plea deal?", HALLS),
        ReaderInput("Where was the Rust set?", SHOOTING),
        ReaderInput("Who took a plea deal?", HALLS * 12),  # several windows, longer padding
    ]
    batched = reader.read(inputs)
    # exactly: each window is its own run, so no other input changes its int8 scales
    assert batched == [reader.read([item])[0] for item in inputs]
    assert batched == reader.read(inputs[::-1])[::-1]


@pytest.mark.model
def test_offsets_are_characters_of_the_context(reader: SpanReader) -> None:
    prefix = "“Zürich” — naïve café 😀 Łódź. " * 3
    context = prefix + HALLS
    (reading,) = reader.read([ReaderInput("Who is the first assistant director?", context)])
    assert reading.best is not None
    text = context[reading.best.start : reading.best.end]
    assert "Dave Halls" in text
    assert text == text.strip() and 0 <= reading.best.start < reading.best.end <= len(context)


@pytest.mark.model
def test_a_long_context_is_read_in_windows(reader: SpanReader) -> None:
    filler = "The weather in the valley was mild and nobody noticed anything unusual that day. "
    context = filler * 40 + HALLS  # ~700 tokens: the answer is only in a later window
    text = _text(reader, "Who took a plea deal to stay out of jail?", context)
    assert "Dave Halls" in text


@pytest.mark.model
def test_empty_batch(reader: SpanReader) -> None:
    assert reader.read([]) == []


def test_missing_model_says_how_to_rebuild_it(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="train_reader"):
        SpanReader(tmp_path / "reader-int8.onnx")


@pytest.mark.parametrize("seed", range(5))
def test_the_rival_spans_start_with_the_best_span(seed: int) -> None:
    """top_spans (each start token's best end) ranks first exactly what best_span finds."""
    rng = np.random.default_rng(seed)
    for _ in range(50):
        count = int(rng.integers(1, 80))
        starts = rng.normal(size=count + 5).astype(np.float32)
        ends = rng.normal(size=count + 5).astype(np.float32)
        found = best_span(starts, ends, 3, count, 7)
        rivals = top_spans(starts, ends, 3, count, 7, keep=4)
        assert found is not None and rivals[0] == pytest.approx(found)
        assert [score for _, _, score in rivals] == sorted(
            (score for _, _, score in rivals), reverse=True
        )
        assert all(0 <= last - first < 7 and first >= 3 for first, last, _ in rivals)
