"""Export: a format table (:mod:`wakesmith.export.formats`) plus one small module per format.

Importing this package registers every format. The edge formats (``esphome``, ``tflite``,
``tflite-int8``, ``c-header``) import TensorFlow only when they convert, so this package imports
without the ``edge`` extra.
"""

from wakesmith.export import cheader, esphome, onnx, tflite
from wakesmith.export.formats import (
    ExportFormat,
    export_model,
    format_table,
    get_format,
    list_formats,
    register_format,
)
from wakesmith.export.onnx import export_onnx

__all__ = [
    "ExportFormat",
    "cheader",
    "esphome",
    "export_model",
    "export_onnx",
    "format_table",
    "get_format",
    "list_formats",
    "onnx",
    "register_format",
    "tflite",
]
