"""Adding one long Markdown table (1, 2, 4 MB): time and memory must grow linearly.

Each size runs in a fresh process (its peak RSS is its own). The add is split into where
its time goes: parsing (markdown-it), chunking, the model (time inside `encode`), and the
rest of the engine's add (storing, the snapshot). `--embedder constant` swaps the model for
one that returns a fixed vector at once, to measure everything but the model quickly.

    python -m benchmarks.long_documents                  # 1, 2, 4 MB with the real model
    python -m benchmarks.long_documents --embedder constant --sizes 1,2,4,8
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.measure import GIB, peak_rss_bytes
from benchmarks.workload import settings_for
from index import Engine
from index.ingest.chunking import chunk_text
from index.ingest.documents import parse_bytes
from index.ingest.embedding import DIMENSION, Embedder, LazyEmbedder

MB = 1_000_000
FACT_ROW = ("Harbor Point", "7412", "Lena Okafor")
QUESTION = "how many votes did Lena Okafor get"


def results_table(megabytes: float) -> bytes:
    """A county's results by precinct, ~21 bytes a row (as in issue 17: 4 MB, ~200,000
    rows), the row asked about near the end."""
    rng = random.Random(17)
    lines = ["# Results by precinct", "", "| Precinct | Votes | Winner |", "|---|---:|---|"]
    size, number = 0, 0
    while size < megabytes * MB:
        number += 1
        line = f"| P{number} | {rng.randint(10, 9999)} | {'ABCDE'[number % 5]} |"
        lines.append(line)
        size += len(line) + 1
    lines.insert(len(lines) - 3, "| {} | {} | {} |".format(*FACT_ROW))
    return ("\n".join(lines) + "\n").encode()


class TimedEmbedder:
    """The engine's embedder, with the time spent inside it and the texts it encoded."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.seconds = 0.0
        self.texts = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        started = time.perf_counter()
        vectors = self.inner.encode(texts)
        self.seconds += time.perf_counter() - started
        self.texts += len(texts)
        return vectors


class ConstantEmbedder:
    """Every text gets the same unit vector, at once: the engine without the model."""

    name = "onnx"  # stored vectors are compatible with the configured backend's recipe

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        vectors[:, 0] = 1.0
        return vectors


def measure_one(megabytes: float, embedder_kind: str) -> dict[str, Any]:
    """Add one table of `megabytes` to a fresh index, phase by phase; ask about its row."""
    data = results_table(megabytes)
    with tempfile.TemporaryDirectory(prefix="qabot-long-") as folder:
        settings = settings_for(Path(folder))
        inner: Embedder = ConstantEmbedder()
        if embedder_kind == "model":
            model = LazyEmbedder("onnx", settings.embedding.cache_dir, 32)
            model.loaded()  # loading the model is not part of adding a document
            inner = model
        embedder = TimedEmbedder(inner)
        engine = Engine(settings, embedder=embedder)
        rss_before = peak_rss_bytes()
        started = time.perf_counter()
        document = parse_bytes("results.md", data)
        parsed = time.perf_counter()
        chunks = chunk_text(document.text, settings.chunking.max_chars)
        chunked = time.perf_counter()
        rss_parsed = peak_rss_bytes()
        engine.add_documents([document])
        added = time.perf_counter()
        answer = engine.answer(QUESTION)
        engine.close()
    return {
        "megabytes": megabytes,
        "embedder": embedder_kind,
        "bytes": len(data),
        "rows": data.count(b"\n") - 4,
        "text_chars": len(document.text),
        "chunks": len(chunks),
        "sentences": sum(len(chunk.sentences) for chunk in chunks),
        "texts_encoded": embedder.texts,
        "parse_s": parsed - started,
        "chunk_s": chunked - parsed,
        "add_s": added - chunked,  # chunks again, embeds, stores, publishes
        "model_s": embedder.seconds,
        "total_s": (parsed - started) + (added - chunked),
        "rss_before_gib": rss_before / GIB,
        "peak_rss_parsed_gib": rss_parsed / GIB,  # after parsing and chunking
        "peak_rss_gib": peak_rss_bytes() / GIB,
        "answered": FACT_ROW[1] in answer.text,
        "answer": answer.text,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,2,4", help="table sizes in MB, comma-separated")
    parser.add_argument("--embedder", choices=["model", "constant"], default="model")
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)  # run one size here
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(measure_one(args.one, args.embedder)))
        return 0
    for size in (float(s) for s in args.sizes.split(",")):
        command = [sys.executable, "-m", "benchmarks.long_documents", "--one", str(size)]
        done = subprocess.run(
            [*command, "--embedder", args.embedder], capture_output=True, text=True, check=True
        )
        print(done.stdout.strip().splitlines()[-1], flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
