"""The fitted numbers of the answer pipeline: retrieval weights and the refusal model.

They are data, not code: `python -m benchmarks.fit_weights` writes `index/fitted.json`
and the engine reads it, so a re-fit never edits a source file. A test or the fitting
script can pass other values to the pipeline directly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
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
class ReadingConfidence:
    """Logistic model of "the passage read answers the question", once the retrieval's
    `Confidence` has passed: the retrieval probability (as a logit) beside the span reader's
    margin (no-answer score - best span score) and best span score.

    Fitted by `python -m benchmarks.fit_reading` on the reader's training articles:
    answerable questions against SQuAD 2.0's unanswerable ones, which look answerable to
    retrieval (docs/quality.md, "Saying I don't know"). `direct_margin`: a span whose margin
    is above it is not shown as a direct answer. `sentence_weight`: how much the reader's
    span score counts beside retrieval's in choosing the sentence shown (index/answer/reading.py).
    """

    bias: float
    retrieval: float
    margin: float
    span: float
    threshold: float
    direct_margin: float
    sentence_weight: float
    # what of the question the passage read does not hold (index/answer/evidence.py)
    missing_terms: float = 0.0
    missing_names: float = 0.0
    missing_numbers: float = 0.0

    def probability(
        self,
        retrieval_probability: float,
        margin: float,
        span: float,
        missing_terms: float = 0.0,
        missing_names: float = 0.0,
        missing_numbers: float = 0.0,
    ) -> float:
        p = min(max(retrieval_probability, 1e-6), 1 - 1e-6)
        z = (
            self.bias
            + self.retrieval * math.log(p / (1 - p))
            + self.margin * margin
            + self.span * span
            + self.missing_terms * missing_terms
            + self.missing_names * missing_names
            + self.missing_numbers * missing_numbers
        )
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


@dataclass(frozen=True)
class DirectConfidence:
    """Logistic model of "the direct answer shown is right" (it shares a word with the
    answer a person would give), over the features of index/answer/direct.py, in their
    order; a span below `threshold` is not shown in bold, the sentence is shown alone.

    Fitted by `python -m benchmarks.reading_quality --fit` on the reader's calibration
    articles, the threshold being the lowest that keeps wrong bold answers rare there
    (docs/quality.md, "Nothing wrong in bold")."""

    bias: float
    weights: tuple[float, ...]
    threshold: float

    def probability(self, features: Sequence[float]) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, features, strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


@dataclass(frozen=True)
class Fitted:
    weights: Weights
    confidence: Confidence
    reading: ReadingConfidence | None = None  # None: the reader never refuses
    direct: DirectConfidence | None = None  # None: every direct answer within margin shows

    @classmethod
    def load(cls, path: Path = FITTED_FILE) -> Fitted:
        data = json.loads(path.read_text(encoding="utf-8"))
        reading = data.get("reading")
        direct = data.get("direct")
        return cls(
            Weights(**data["weights"]),
            Confidence(**data["confidence"]),
            ReadingConfidence(**reading) if reading else None,
            DirectConfidence(direct["bias"], tuple(direct["weights"]), direct["threshold"])
            if direct
            else None,
        )

    def save(self, path: Path = FITTED_FILE, about: str = "") -> None:
        data = {
            "about": about,
            "weights": asdict(self.weights),
            "confidence": asdict(self.confidence),
            **({"reading": asdict(self.reading)} if self.reading else {}),
            **({"direct": asdict(self.direct)} if self.direct else {}),
        }
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    def with_threshold(self, threshold: float | None) -> Fitted:
        """The same model with another refusal threshold (None: keep the fitted one)."""
        if threshold is None:
            return self
        confidence = Confidence(**{**asdict(self.confidence), "threshold": threshold})
        return Fitted(self.weights, confidence, self.reading, self.direct)
