"""Ragged arrays: many variable-length runs stored end to end in one flat array, run i
being `flat[offsets[i]:offsets[i + 1]]`. The snapshot's chunk tokens, sentence table and
BM25 matrix are all stored this way."""

from __future__ import annotations

import numpy as np


def offsets_of(lengths: np.ndarray) -> np.ndarray:
    """Where each run starts (and, last, where the final one ends), from the run lengths."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets
