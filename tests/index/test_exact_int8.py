"""The same answers on every CPU: no shipped int8 model can compute differently elsewhere.

The static checks read the model files (no other CPU needed): every quantized matmul takes
uint8 weights, or int8 ones too small to saturate (index/ingest/exact_int8.py). The emulated test
runs the reader on an AVX2-only CPU (QEMU's Haswell, no AVX-512, no VNNI: the kind of machine
on which the int8-weight reader said "Rust armorer") and compares every logit with this CPU's.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from index.answer.span_reader import DEFAULT_MODEL
from index.ingest.exact_int8 import SAFE_INT8_WEIGHT, saturation_risks
from tests.conftest import PROJECT_ROOT

# What the engine reads for the headline question (tests/index/test_reader.py checks it).
HEADLINE_CONTEXT = (
    "Alec Baldwin is facing two counts of involuntary manslaughter, which both carry a sentence "
    "of up to 18 months in jail. Prosecutors also added an enhancement for use of a firearm, "
    "which could tack a mandatory minimum of five years to his sentence, if he is found guilty. "
    "Prosecutors are handing Rust armorer Hannah Gutierrez Reed the same charges. The movie’s "
    "first assistant director, Dave Halls, took a plea deal to stay out of jail. He will serve "
    "six months of probation."
)
AVX2_ONLY_CPU = "Haswell"  # QEMU's model: AVX2 and FMA, no AVX-512, no VNNI


def test_the_shipped_reader_cannot_compute_differently_on_another_cpu() -> None:
    assert saturation_risks(onnx.load(str(DEFAULT_MODEL))) == []


def _int8_matmul(weights: np.ndarray) -> onnx.ModelProto:
    """float x -> DynamicQuantizeLinear -> MatMulInteger with int8 weights -> int32."""
    nodes = [
        helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
        helper.make_node("MatMulInteger", ["xq", "w", "xz", "wz"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "int8-matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, weights.shape[0]])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [None, weights.shape[1]])],
        [
            numpy_helper.from_array(weights, "w"),
            numpy_helper.from_array(np.zeros(weights.shape[1], dtype=np.int8), "wz"),
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def test_int8_weights_that_could_saturate_are_found() -> None:
    rng = np.random.default_rng(7)
    wide = rng.integers(-127, 128, size=(16, 4)).astype(np.int8)
    narrow = np.clip(wide, -SAFE_INT8_WEIGHT, SAFE_INT8_WEIGHT).astype(np.int8)
    (risk,) = saturation_risks(_int8_matmul(wide))
    assert f"int8 weights up to {int(np.abs(wide.astype(int)).max())}" in risk
    assert saturation_risks(_int8_matmul(narrow)) == []  # reduce_range's form is safe


def test_a_quantized_operator_of_unknown_arithmetic_is_a_risk() -> None:
    model = _int8_matmul(np.ones((4, 4), dtype=np.int8))
    model.graph.node[1].op_type = "QOrderedMatMul"
    (risk,) = saturation_risks(model)
    assert "not known" in risk


def _saturating_products(activations: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """uint8 x int8 products as VPMADDUBSW sums them: adjacent pairs along K into int16 with
    saturation, then exactly into int32 (an AVX2 CPU without VNNI)."""
    a = activations.astype(np.int32)
    w = weights.astype(np.int32)
    k = a.shape[1] - a.shape[1] % 2
    pairs = a[:, None, 0:k:2] * w.T[None, :, 0:k:2] + a[:, None, 1:k:2] * w.T[None, :, 1:k:2]
    total = np.clip(pairs, -32768, 32767).sum(axis=2)
    if a.shape[1] % 2:
        total += a[:, -1:] @ w[-1:, :]
    return total


def test_full_range_int8_weights_saturate_and_seven_bit_ones_never_do() -> None:
    rng = np.random.default_rng(3)
    loudest = np.full((1, 64), 255, dtype=np.uint8)  # the worst case for any weights
    activations = np.vstack([loudest, rng.integers(0, 256, size=(31, 64)).astype(np.uint8)])
    full = rng.integers(-127, 128, size=(64, 16)).astype(np.int8)
    seven_bit = rng.integers(-SAFE_INT8_WEIGHT, SAFE_INT8_WEIGHT + 1, size=(64, 16)).astype(np.int8)
    exact = activations.astype(np.int64) @ full.astype(np.int64)
    assert (_saturating_products(activations, full) != exact).any()
    exact = activations.astype(np.int64) @ seven_bit.astype(np.int64)
    np.testing.assert_array_equal(_saturating_products(activations, seven_bit), exact)


@pytest.mark.model
def test_quantize_exact_keeps_weights_to_seven_bits(tmp_path: Path) -> None:
    from index.ingest.exact_int8 import quantize_exact

    rng = np.random.default_rng(5)
    weights = rng.normal(scale=3.0, size=(64, 8)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "float-matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 8])],
        [numpy_helper.from_array(weights, "w")],
    )
    source = tmp_path / "float.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), source)
    model = onnx.load(str(quantize_exact(source, tmp_path / "int8.onnx")))
    assert saturation_risks(model) == []
    stored = [numpy_helper.to_array(i) for i in model.graph.initializer]
    quantized = [w for w in stored if w.dtype == np.int8 and w.ndim == 2]
    assert quantized and max(int(np.abs(w.astype(int)).max()) for w in quantized) <= 64


@pytest.mark.model
def test_the_graph_onnxruntime_runs_for_the_reader_is_exact(tmp_path: Path) -> None:
    """What runs is the graph after onnxruntime's own fusions, so it is checked too."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    ort.InferenceSession(str(DEFAULT_MODEL), options, providers=["CPUExecutionProvider"])
    assert saturation_risks(onnx.load(str(tmp_path / "optimized.onnx"))) == []


@pytest.mark.model
@pytest.mark.slow
def test_the_embedders_int8_backend_is_exact(tmp_path: Path) -> None:
    from index.ingest.embedding import ensure_onnx_model

    path = ensure_onnx_model(tmp_path, quantized=True)
    assert path.name.endswith("-fused-int8-exact.onnx")
    assert saturation_risks(onnx.load(str(path))) == []


_LOGITS = """
import json, sys
import numpy as np
from index.answer.span_reader import DEFAULT_MODEL, SpanReader, encode_windows
question, context = json.loads(sys.stdin.read())
reader = SpanReader(DEFAULT_MODEL, threads=1)
windows = encode_windows(reader._tokenizer, question, context)
starts, ends = reader.logits(windows)
print(json.dumps([starts.tolist(), ends.tolist()]))
"""


def _logits(prefix: list[str]) -> np.ndarray:
    done = subprocess.run(
        [*prefix, sys.executable, "-c", _LOGITS],
        input=json.dumps(["what charges does Gutierrez Reed face", HEADLINE_CONTEXT]),
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=600,
        check=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    return np.asarray(json.loads(done.stdout), dtype=np.float32)


# The integer products are exact everywhere; the float kernels around them (layer norm,
# GELU, softmax) are not the same code on AVX2 and AVX-512, and a last-bit difference can move
# an activation across one quantization step: the shipped reader's logits differ by ~2e-3 at
# most on the headline, three orders of magnitude below its margin (HEADLINE_MARGIN). The
# saturating int8 reader moved them by more than 1.
FLOAT_TOLERANCE = 0.02


@pytest.mark.model
@pytest.mark.slow
def test_an_avx2_only_cpu_reads_the_headline_as_this_one() -> None:
    """Under QEMU's Haswell the int8-weight reader gave "Rust armorer" 6.16 over
    "involuntary manslaughter" 5.54 (on the text the engine read then)."""
    if platform.machine() != "x86_64":
        pytest.skip("QEMU runs this interpreter as another x86-64 CPU only on x86-64")
    qemu = shutil.which("qemu-x86_64")
    if qemu is None:
        if os.environ.get("CI"):
            pytest.fail("qemu-x86_64 is missing: .ci/run installs Debian's qemu-user")
        pytest.skip("qemu-x86_64 is not installed (Debian's qemu-user)")
    here = _logits([])
    elsewhere = _logits([qemu, "-cpu", AVX2_ONLY_CPU])
    np.testing.assert_allclose(here, elsewhere, rtol=0, atol=FLOAT_TOLERANCE)
    starts, ends = here
    other_starts, other_ends = elsewhere
    assert np.argmax(starts[0]) == np.argmax(other_starts[0])
    assert np.argmax(ends[0]) == np.argmax(other_ends[0])
