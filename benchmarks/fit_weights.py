"""Fit the retrieval weights and the refusal model on half of SQuAD-dev-a's articles.

    python -m benchmarks.fit_weights [--questions Q.jsonl] [--corpus DIR] [--index DIR]

1. Dump, for every question, the candidates' four signals and whether each chunk and
   sentence holds a gold answer (one retrieval pass with the current weights).
2. Grid-search the chunk blend (passage-hit@1) and the sentence choice (answer-hit) on the
   training articles (every other article in name order); print both halves' figures.
3. Fit the logistic "answerable" model: positives are the questions, negatives the same
   questions with their own article's chunks removed; choose the threshold that keeps false
   refusals near 1% on the training half.
The fitted values are written to index/fitted.json (`--dry-run` only prints them), which the
engine reads: `index.fitted.Weights` and `index.fitted.Confidence`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
from pathlib import Path

import numpy as np

from index import Engine
from index.fitted import FITTED_FILE, Confidence, Fitted, Weights
from index.ingest.documents import doc_id_for
from qabot.config import load_config

ABOUT = (
    "Written by `python -m benchmarks.fit_weights`; read by the engine (index/fitted.py). "
    "Fitted on every other SQuAD-dev-a article in name order, checked on the rest "
    "(docs/quality.md)."
)
DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "squad-dev-a"


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def dump(engine: Engine, questions: list[dict]) -> list[dict]:
    """Every question's candidates with their signals, ranked by the engine's own pipeline."""
    view = engine.current_view()
    pipeline = engine.pipeline
    rows = []
    for start in range(0, len(questions), 64):
        batch = questions[start : start + 64]
        prepared = pipeline.prepare([(q["question"], ()) for q in batch], view)
        for question, ready in zip(batch, prepared, strict=True):
            ranked = pipeline.rank(ready, view)
            golds = [_normalise(a) for a in question["answers"]]
            candidates = []
            for item in ranked:
                sentences = [
                    (s.dense, s.terms, _normalise(item.chunk.text[s.start : s.end]))
                    for s in item.sentences
                ]
                candidates.append(
                    {
                        "doc": item.chunk.doc_id,
                        "dense": item.dense,
                        "bm25": item.bm25,
                        "label": any(g in _normalise(item.chunk.text) for g in golds),
                        "sentences": sentences,
                    }
                )
            rows.append({"article": question["article"], "golds": golds, "cands": candidates})
    return rows


def _signals(candidates: list[dict]) -> np.ndarray:
    best_bm25 = max((c["bm25"] for c in candidates), default=1.0) or 1e-6
    return np.array(
        [
            [
                c["dense"],
                c["bm25"] / best_bm25,
                max((s[0] for s in c["sentences"]), default=0.0),
                max((s[1] for s in c["sentences"]), default=0.0),
            ]
            for c in candidates
        ]
    )


def fit_chunk_blend(rows: list[dict], train: set[str]) -> np.ndarray:
    """Chunk dense, chunk BM25, best sentence dense, best sentence terms: best hit@1."""

    def hit_at_1(weights: np.ndarray, keep: bool) -> float:
        hits = [
            r["cands"][int(np.argmax(_signals(r["cands"]) @ weights))]["label"]
            for r in rows
            if r["cands"] and (r["article"] in train) == keep
        ]
        return float(np.mean(hits))

    grid = [
        w for w in itertools.product(np.arange(0, 1.01, 0.1), repeat=4) if abs(sum(w) - 1) < 1e-6
    ]
    best = max(grid, key=lambda w: hit_at_1(np.array(w), True))
    weights = np.round(np.array(best), 2)
    print(
        f"chunk blend {weights}: passage-hit@1 train {hit_at_1(weights, True):.3f}, "
        f"held-out {hit_at_1(weights, False):.3f}"
    )
    return weights


def fit_sentence_choice(
    rows: list[dict], train: set[str], blend: np.ndarray
) -> tuple[float, float, float]:
    """Weights of sentence cosine, term coverage and chunk score when picking the answer."""
    prepared = []
    for row in rows:
        if not row["cands"]:
            continue
        scores = _signals(row["cands"]) @ blend
        top = [(float(scores[i]), row["cands"][i]["sentences"]) for i in np.argsort(-scores)[:3]]
        prepared.append((row["article"] in train, row["golds"], top))

    def answer_hit(weights: tuple[float, float, float], keep: bool) -> float:
        hits = []
        for in_train, golds, top in prepared:
            if in_train != keep:
                continue
            _, text = max(
                (
                    (weights[0] * s[0] + weights[1] * s[1] + weights[2] * score, s[2])
                    for score, sentences in top
                    for s in sentences
                ),
                default=(0.0, ""),
            )
            hits.append(any(g in text for g in golds))
        return float(np.mean(hits))

    grid = list(itertools.product([0, 0.25, 0.5, 0.75, 1], [0, 0.25, 0.5, 0.75, 1], [0, 0.5, 1, 2]))
    best = max(grid, key=lambda w: answer_hit(w, True))
    print(
        f"sentence choice {best}: best-sentence answer-hit train {answer_hit(best, True):.3f}, "
        f"held-out {answer_hit(best, False):.3f}"
    )
    return best


def fit_refusal(rows: list[dict], train: set[str], blend: np.ndarray) -> Confidence:
    features, labels, in_train = [], [], []
    for row in rows:
        own = doc_id_for(row["article"])
        for label, candidates in (
            (1, row["cands"]),
            (0, [c for c in row["cands"] if c["doc"] != own]),
        ):
            if not candidates:
                continue
            top = candidates[int(np.argmax(_signals(candidates) @ blend))]
            best = max(top["sentences"], key=lambda s: 0.5 * s[0] + 0.75 * s[1], default=(0, 0, ""))
            features.append([best[0], best[1], top["dense"]])
            labels.append(label)
            in_train.append(row["article"] in train)
    x, y, t = np.array(features), np.array(labels), np.array(in_train)
    mean, std = x[t].mean(0), x[t].std(0)
    z = (x - mean) / std
    w, b = np.zeros(3), 0.0
    for _ in range(3000):
        p = 1 / (1 + np.exp(-(z[t] @ w + b)))
        w -= 0.5 * z[t].T @ (p - y[t]) / t.sum()
        b -= 0.5 * float(np.mean(p - y[t]))
    raw_w, raw_b = w / std, b - float((mean * w / std).sum())
    probability = 1 / (1 + np.exp(-(x @ raw_w + raw_b)))
    threshold = float(np.quantile(probability[t & (y == 1)], 0.01))
    print(
        f"refusal model: bias {raw_b:.2f}, weights (sentence dense, sentence terms, "
        f"chunk dense) {np.round(raw_w, 2)}, threshold {threshold:.3f}"
    )
    for name, mask in (("train", t), ("held-out", ~t)):
        print(
            f"  {name}: false refusals {np.mean(probability[mask & (y == 1)] < threshold):.3f}, "
            f"out-of-corpus refused {np.mean(probability[mask & (y == 0)] < threshold):.3f}"
        )
    sentence_dense, sentence_terms, chunk_dense = (round(float(v), 2) for v in raw_w)
    return Confidence(
        round(raw_b, 2), sentence_dense, sentence_terms, chunk_dense, round(threshold, 3)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=DATA / "questions.jsonl")
    parser.add_argument("--corpus", type=Path, default=DATA / "articles")
    parser.add_argument("--index", type=Path, default=Path("data/squad-index"))
    parser.add_argument("--dry-run", action="store_true", help="print, do not write the file")
    args = parser.parse_args()
    settings = (
        load_config().engine_settings(args.index).with_changes(index={"default_corpus": None})
    )
    engine = Engine(settings)
    if not engine.documents():
        engine.add_paths([args.corpus], progress=True)
    questions = [json.loads(line) for line in args.questions.open(encoding="utf-8")]
    rows = dump(engine, questions)
    articles = sorted({r["article"] for r in rows})
    train = set(articles[::2])
    blend = fit_chunk_blend(rows, train)
    pick = fit_sentence_choice(rows, train, blend)
    confidence = fit_refusal(rows, train, blend)
    chunk_dense, chunk_bm25, sentence_dense, sentence_terms = (float(w) for w in blend)
    history = engine.pipeline.fitted.weights.history_terms  # not fitted here: kept
    pick_dense, pick_terms, pick_chunk = (float(w) for w in pick)
    weights = Weights(
        chunk_dense,
        chunk_bm25,
        sentence_dense,
        sentence_terms,
        pick_dense,
        pick_terms,
        pick_chunk,
        history,
    )
    if not args.dry_run:
        Fitted(weights, confidence).save(about=ABOUT)
        print(f"written to {FITTED_FILE}")


if __name__ == "__main__":
    main()
