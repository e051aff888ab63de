"""The fitted numbers of the answer pipeline: retrieval weights and the refusal model.

They are data, not code: `python -m benchmarks.fit_weights` writes `index/fitted.json`
and the engine reads it, so a re-fit never edits a source file. A test or the fitting
script can pass other values to the pipeline directly.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

FITTED_FILE = Path(__file__).resolve().parent / "fitted.json"


@dataclass(frozen=True)
class Weights:
    """How much each retrieval signal counts (docs/quality.md, "Fitting the weights")."""

    chunk_dense: float
    chunk_bm25: float
    sentence_dense: float
    sentence_terms: float
    # choosing the answering sentence among the top chunks' sentences
    pick_dense: float
    pick_terms: float
    pick_chunk: float
    # weight of an earlier question's terms in a follow-up
    history_terms: float


@dataclass(frozen=True)
class Confidence:
    """Logistic model of "the articles answer this question".

    Fitted on SQuAD-dev-a: answerable questions against the same questions with their own
    article left out (docs/quality.md, "Calibrating I don't know"). The threshold keeps
    false refusals near 1% on the articles used for fitting.
    """

    bias: float
    sentence_dense: float
    sentence_terms: float
    chunk_dense: float
    threshold: float

    def probability(
        self, sentence_dense: float, sentence_terms: float, chunk_dense: float
    ) -> float:
        z = (
            self.bias
            + self.sentence_dense * sentence_dense
            + self.sentence_terms * sentence_terms
            + self.chunk_dense * chunk_dense
        )
        return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True)
class Fitted:
    weights: Weights
    confidence: Confidence

    @classmethod
    def load(cls, path: Path = FITTED_FILE) -> Fitted:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(Weights(**data["weights"]), Confidence(**data["confidence"]))

    def save(self, path: Path = FITTED_FILE, about: str = "") -> None:
        data = {
            "about": about,
            "weights": asdict(self.weights),
            "confidence": asdict(self.confidence),
        }
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    def with_threshold(self, threshold: float | None) -> Fitted:
        """The same model with another refusal threshold (None: keep the fitted one)."""
        if threshold is None:
            return self
        confidence = Confidence(**{**asdict(self.confidence), "threshold": threshold})
        return Fitted(self.weights, confidence)
