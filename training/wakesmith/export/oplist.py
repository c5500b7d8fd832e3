"""Read the operator list of a TFLite flatbuffer and check it against what a runtime registers.

ESPHome's micro_wake_word registers a fixed set of TFLite-Micro kernels for streaming models (its
``streaming_model.cpp``); a model using any other op fails to load on the device, long after the
export. The exporter therefore checks the file it wrote and names the offending op.

The flatbuffer is parsed with ``ai_edge_litert``'s generated schema (no TensorFlow needed).
"""

from __future__ import annotations

from wakesmith.errors import ExportError
from wakesmith.runtime.tflite import tflite_schema

ESPHOME_OPS = frozenset(
    {
        "CALL_ONCE",
        "VAR_HANDLE",
        "RESHAPE",
        "READ_VARIABLE",
        "STRIDED_SLICE",
        "CONCATENATION",
        "ASSIGN_VARIABLE",
        "CONV_2D",
        "MUL",
        "ADD",
        "MEAN",
        "FULLY_CONNECTED",
        "LOGISTIC",
        "QUANTIZE",
        "DEPTHWISE_CONV_2D",
        "AVERAGE_POOL_2D",
        "MAX_POOL_2D",
        "PAD",
        "PACK",
        "SPLIT_V",
    }
)
"""The ops ESPHome's micro_wake_word registers for streaming models (its ``streaming_model.cpp``)."""

CUSTOM = "CUSTOM"
FILE_IDENTIFIER = b"TFL3"
IDENTIFIER_SLICE = slice(4, 8)
"""Where a flatbuffer keeps its file identifier (after the 4-byte root offset)."""
MIN_FLATBUFFER = 16


def read_ops(data: bytes) -> list[str]:
    """Sorted unique op names used by any subgraph of the flatbuffer ``data`` (custom ops by their code)."""
    schema = tflite_schema()
    if len(data) < MIN_FLATBUFFER or data[IDENTIFIER_SLICE] != FILE_IDENTIFIER:
        raise ExportError("Not a TFLite flatbuffer (no TFL3 file identifier); re-export the model.")
    try:
        model = schema.Model.GetRootAs(data, 0)
    except Exception as exc:  # flatbuffers raises struct/index errors on garbage
        raise ExportError(f"Not a TFLite flatbuffer: {exc}") from None
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    codes = []
    for i in range(model.OperatorCodesLength()):
        oc = model.OperatorCodes(i)
        # Ops numbered above 127 live in BuiltinCode; older ones in the deprecated int8 field.
        name = names.get(max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()), "UNKNOWN")
        if name == CUSTOM and oc.CustomCode():
            name = f"{CUSTOM}:{oc.CustomCode().decode()}"
        codes.append(name)
    used = set()
    for s in range(model.SubgraphsLength()):
        sub = model.Subgraphs(s)
        for o in range(sub.OperatorsLength()):
            used.add(codes[sub.Operators(o).OpcodeIndex()])
    return sorted(used)


def check_ops(data: bytes, allowed: frozenset[str] = ESPHOME_OPS, *, target: str = "ESPHome") -> list[str]:
    """The ops of ``data``; raises :class:`ExportError` naming every op ``allowed`` lacks."""
    ops = read_ops(data)
    bad = [op for op in ops if op not in allowed]
    if bad:
        raise ExportError(
            f"The exported model uses {', '.join(bad)}, which {target} does not register "
            f"(it runs only {', '.join(sorted(allowed))}). Change the model so it avoids "
            f"{'that op' if len(bad) == 1 else 'those ops'}."
        )
    return ops
