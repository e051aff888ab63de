"""int8 models whose integer arithmetic is the same on every CPU onnxruntime runs on.

onnxruntime multiplies uint8 activations by int8 weights with VPMADDUBSW on x86-64 CPUs
without VNNI (AVX2-only machines): each pair of products is summed into int16 with
saturation, so those CPUs computed some matmul results differently from a VNNI or ARM CPU,
and the reader's headline answer flipped on them (docs/quality.md, "The same answers on
every CPU"). With weights quantized to 7 bits (|w| <= 64, onnxruntime's `reduce_range`) no
pair sum can reach the int16 limit, so every CPU computes the same integers, and the fast
int8 paths (VNNI, VPMADDUBSW, ARM's dot products) are kept; uint8 weights are exact too but
take a path about twice as slow on a VNNI CPU (docs/performance.md).

`saturation_risks` proves the property of a model file without the other CPU: every
quantized matmul must take uint8 activations and uint8 weights, or int8 weights small
enough that no int16 pair sum can saturate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Largest |int8 weight| whose pairs of products with uint8 activations fit in int16:
# 2 x 255 x 64 = 32,640 <= 32,767.
SAFE_INT8_WEIGHT = 64


@dataclass(frozen=True)
class QuantizedInputs:
    """Where an operator takes its quantized activation, weight and weight zero point."""

    activation: int | None  # None: the operator quantizes a float input itself (to uint8)
    weight: int
    weight_zero_point: int


# The quantized matrix products onnxruntime's quantizer and graph optimizer emit.
MATMULS: dict[str, QuantizedInputs] = {
    "MatMulInteger": QuantizedInputs(0, 1, 3),
    "ConvInteger": QuantizedInputs(0, 1, 3),
    "QAttention": QuantizedInputs(0, 1, 7),
    "DynamicQuantizeMatMul": QuantizedInputs(None, 1, 3),
    "MatMulIntegerToFloat": QuantizedInputs(0, 1, 5),
    "QGemm": QuantizedInputs(0, 3, 5),
    "QLinearMatMul": QuantizedInputs(0, 3, 5),
    "QLinearConv": QuantizedInputs(0, 3, 5),
}
# Quantized operators that multiply no two quantized tensors: quantizers, and embedding
# tables looked up and dequantized.
NO_PRODUCTS = frozenset(
    {"DynamicQuantizeLinear", "QuantizeLinear", "DequantizeLinear", "QEmbedLayerNormalization"}
)
# Producers of uint8 activations (DynamicQuantizeLinear's output type is uint8 by definition).
UINT8_PRODUCERS = frozenset({"DynamicQuantizeLinear"})


def saturation_risks(model: Any) -> list[str]:
    """Why `model` (an onnx.ModelProto) could compute differently on another CPU; [] = never.

    Any quantized operator this module does not know is a risk too: it cannot be proven."""
    from onnx import numpy_helper

    initializers = {item.name: item for item in model.graph.initializer}
    producers = {output: node for node in model.graph.node for output in node.output}
    risks: list[str] = []
    for node in model.graph.node:
        where = f"{node.op_type} {node.name or node.output[0]}"
        inputs = MATMULS.get(node.op_type)
        if inputs is None:
            if _is_quantized(node.op_type) and node.op_type not in NO_PRODUCTS:
                risks.append(f"{where}: a quantized operator whose arithmetic is not known")
            continue
        weight_name = node.input[inputs.weight]
        if weight_name not in initializers:
            risks.append(f"{where}: its weight {weight_name} is computed, not stored")
            continue
        weight = numpy_helper.to_array(initializers[weight_name])
        if weight.dtype == np.int8:  # the raw values meet the activations in VPMADDUBSW
            widest = int(np.abs(weight.astype(np.int32)).max(initial=0))
            if widest > SAFE_INT8_WEIGHT:
                risks.append(
                    f"{where}: int8 weights up to {widest} (> {SAFE_INT8_WEIGHT}) can saturate "
                    "int16 pair sums on x86-64 without VNNI"
                )
        elif weight.dtype != np.uint8:
            risks.append(f"{where}: weights of type {weight.dtype}")
        if inputs.activation is not None:
            source = producers.get(node.input[inputs.activation])
            if source is None or source.op_type not in UINT8_PRODUCERS:
                made_by = source.op_type if source else "a graph input"
                risks.append(f"{where}: its activation comes from {made_by}, not uint8-proven")
    return risks


def quantize_exact(source: Path, target: Path) -> Path:
    """Dynamic int8 quantization with per-channel weight scales (per-tensor ones lose too
    much on this model) and 7-bit weights; refuses to write a model that could still
    compute differently by CPU."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8,
        per_channel=True,
        reduce_range=True,
        # the fused operators are outside ONNX's shape inference: their outputs are float
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    risks = saturation_risks(onnx.load(str(target)))
    if risks:
        target.unlink()
        raise ValueError(f"{source.name} would compute differently by CPU: {risks[0]}")
    return target


def _is_quantized(op_type: str) -> bool:
    return (
        op_type.startswith(("Q", "DynamicQuantize"))
        or "Integer" in op_type
        or op_type in NO_PRODUCTS
    )
