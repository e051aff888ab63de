"""The fake embedder keeps the promises the fast tier relies on (tests/support/fake_embedder.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from index.ingest.embedding import DIMENSION
from tests.support.fake_embedder import FakeEmbedder

PROJECT_ROOT = Path(__file__).resolve().parents[2]
QUESTION = "How often does the Moon orbit the Earth?"
ANSWER = "The Moon orbits the Earth once every 27 days."
UNRELATED = "The queen lays up to 2,000 eggs a day."


def cosine(first: str, second: str) -> float:
    a, b = FakeEmbedder().encode([first, second])
    return float(a @ b)


def test_vectors_are_unit_length_float32_of_the_model_dimension() -> None:
    texts = [QUESTION, "", "?!", "the and of", "Tromsø 1969"]  # no words, only stop words
    vectors = FakeEmbedder().encode(texts)

    assert vectors.dtype == np.float32
    assert vectors.shape == (len(texts), DIMENSION)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)
    assert FakeEmbedder().encode([]).shape == (0, DIMENSION)


def test_texts_sharing_words_are_near_and_others_far() -> None:
    assert cosine(QUESTION, ANSWER) > 0.4  # moon, orbit(s), earth
    assert abs(cosine(QUESTION, UNRELATED)) < 0.1
    assert cosine("Gutierez", "Gutierrez") > 0.3  # shared trigrams
    assert abs(cosine("Gutierrez", "honeybees")) < 0.1
    assert cosine("the moon", "The MOON!") > 0.99  # case, stop words and punctuation ignored


def test_every_process_gets_the_same_vectors() -> None:
    """Vectors stored by one process are searched by another (and by the next test run):
    the hashing must not depend on Python's per-process string hash seed."""
    script = (
        "from tests.support.fake_embedder import FakeEmbedder\n"
        f"print(FakeEmbedder().encode([{QUESTION!r}, {ANSWER!r}]).tobytes().hex())\n"
    )
    outputs = [
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=PROJECT_ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    ]
    here = FakeEmbedder().encode([QUESTION, ANSWER]).tobytes().hex()
    assert outputs == [here, here]
