"""The span reader's int8 forms beside fp32, held out: quality and time per read.

    python -m benchmarks.reader_forms [--run data/reader/b44]

From a training run's fused fp32 graph (benchmarks/train_reader.py leaves it in its work
dir), two forms that compute the same integers on every CPU (index/ingest/exact_int8.py):
7-bit int8 weights (`reduce_range`, shipped) and uint8 weights (the same weights shifted by
128, onnxruntime's u8 x u8 kernels). Each reads every answerable question of the held-out
articles in its gold paragraph; the forms alternate question by question, so a noisy
machine slows them alike; the ratios are of per-question times.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.train_reader import (
    WORK,
    answerable_items,
    article_names,
    exact_match,
    f1_score,
    split_articles,
)
from index.answer.span_reader import ReaderInput, SpanReader


def uint8_form(source: Path, target: Path) -> Path:
    """Full-range int8 weights stored as uint8 (value + 128, zero point + 128)."""
    import onnx
    from onnx import numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from index.ingest.exact_int8 import MATMULS, saturation_risks

    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8,
        per_channel=True,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    model = onnx.load(str(target))
    stored = {item.name: item for item in model.graph.initializer}
    shifted: set[str] = set()
    for node in model.graph.node:
        inputs = MATMULS.get(node.op_type)
        if inputs is None:
            continue
        for index in (inputs.weight, inputs.weight_zero_point):
            name = node.input[index] if len(node.input) > index else ""
            if name in stored and name not in shifted:
                values = numpy_helper.to_array(stored[name])
                if values.dtype == np.int8:
                    moved = (values.astype(np.int16) + 128).astype(np.uint8)
                    stored[name].CopyFrom(numpy_helper.from_array(moved, name))
                    shifted.add(name)
    assert not saturation_risks(model)
    onnx.save(model, str(target))
    return target


def main(argv: Sequence[str] | None = None) -> int:
    from index.ingest.exact_int8 import quantize_exact

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=WORK / "b44", help="a training work dir")
    args = parser.parse_args(argv)
    fused = args.run / "reader-fp32-fused.onnx"
    forms = {
        "fp32": fused,
        "int8, 7-bit weights": quantize_exact(fused, args.run / "reader-int7.onnx"),
        "uint8 weights": uint8_form(fused, args.run / "reader-uint8.onnx"),
    }
    readers = {name: SpanReader(path) for name, path in forms.items()}
    _, held_out = split_articles(article_names())
    items = [item for item in answerable_items(held_out) if item.spans]
    seconds: dict[str, list[float]] = {name: [] for name in forms}
    f1: dict[str, list[float]] = {name: [] for name in forms}
    em: dict[str, list[float]] = {name: [] for name in forms}
    for number, item in enumerate(items):
        order = list(forms) if number % 2 else list(forms)[::-1]
        for name in order:
            started = time.perf_counter()
            (reading,) = readers[name].read([ReaderInput(item.question, item.context)])
            seconds[name].append(time.perf_counter() - started)
            best = reading.best
            text = item.context[best.start : best.end] if best else ""
            f1[name].append(f1_score(text, item.answers))
            em[name].append(exact_match(text, item.answers))
    shipped = np.array(seconds["int8, 7-bit weights"])
    print(f"{len(items)} held-out questions in their gold paragraph")
    for name in forms:
        ratio = float(np.median(np.array(seconds[name]) / shipped))
        print(
            json.dumps(
                {
                    "form": name,
                    "f1": round(float(np.mean(f1[name])), 4),
                    "em": round(float(np.mean(em[name])), 4),
                    "p50_ms": round(1000 * float(np.median(seconds[name])), 2),
                    "time_vs_shipped": round(ratio, 2),
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
