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

from index.answer.reader import DEFAULT_MODEL
from index.ingest.exact_int8 import SAFE_INT8_WEIGHT, saturation_risks, unsigned_weights
from tests.conftest import PROJECT_ROOT

HEADLINE_CONTEXT = (  # what the engine reads for the headline question (tests/index/test_reader.py)
    "Alec Baldwin is facing two counts of involuntary manslaughter, which both carry a sentence "
    "of up to 18 months in jail. Prosecutors are handing Rust armorer Hannah Gutierrez Reed "
    "the same charges. The movie’s first assistant director, Dave Halls, took a plea deal to "
    "stay out of jail. He will serve six months of probation."
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


@pytest.mark.model
def test_unsigned_weights_keep_every_integer_result() -> None:
    import onnxruntime as ort

    rng = np.random.default_rng(11)
    weights = rng.integers(-127, 128, size=(64, 8)).astype(np.int8)
    signed = _int8_matmul(weights)
    exact = onnx.ModelProto()
    exact.CopyFrom(signed)
    assert unsigned_weights(exact) == 1
    assert saturation_risks(exact) == []
    inputs = {"x": rng.normal(size=(5, 64)).astype(np.float32)}
    (before,) = ort.InferenceSession(signed.SerializeToString()).run(None, inputs)
    (after,) = ort.InferenceSession(exact.SerializeToString()).run(None, inputs)
    # exact integer math: (xq - xz) @ w, as numpy computes it
    quantized, _, zero = ort.InferenceSession(
        helper.make_model(
            helper.make_graph(
                [helper.make_node("DynamicQuantizeLinear", ["x"], ["q", "s", "z"])],
                "q",
                [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 64])],
                [
                    helper.make_tensor_value_info("q", TensorProto.UINT8, None),
                    helper.make_tensor_value_info("s", TensorProto.FLOAT, None),
                    helper.make_tensor_value_info("z", TensorProto.UINT8, None),
                ],
            ),
            opset_imports=[helper.make_opsetid("", 13)],
        ).SerializeToString()
    ).run(None, inputs)
    expected = (quantized.astype(np.int64) - int(zero)) @ weights.astype(np.int64)
    np.testing.assert_array_equal(after, expected)
    if _has_vnni():  # here the int8 path is exact too: the same integers either way
        np.testing.assert_array_equal(before, after)


def _has_vnni() -> bool:
    flags = (
        Path("/proc/cpuinfo").read_text(encoding="utf-8") if Path("/proc/cpuinfo").exists() else ""
    )
    return "avx512_vnni" in flags or "avx_vnni" in flags


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
    assert path.name.endswith("-fused-uint8.onnx")
    assert saturation_risks(onnx.load(str(path))) == []


_LOGITS = """
import json, sys
import numpy as np
from index.answer.reader import DEFAULT_MODEL, SpanReader, encode_windows
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


@pytest.mark.model
@pytest.mark.slow
def test_an_avx2_only_cpu_reads_the_headline_exactly_as_this_one() -> None:
    """Under QEMU's Haswell the int8-weight reader gave "Rust armorer" 6.16 over
    "involuntary manslaughter" 5.54; with uint8 weights every logit is the same bits."""
    if platform.machine() != "x86_64":
        pytest.skip("QEMU runs this interpreter as another x86-64 CPU only on x86-64")
    qemu = shutil.which("qemu-x86_64")
    if qemu is None:
        if os.environ.get("CI"):
            pytest.fail("qemu-x86_64 is missing: .ci/run installs Debian's qemu-user")
        pytest.skip("qemu-x86_64 is not installed (Debian's qemu-user)")
    here = _logits([])
    elsewhere = _logits([qemu, "-cpu", AVX2_ONLY_CPU])
    np.testing.assert_array_equal(here, elsewhere)
