"""Export: a format table (:mod:`wakesmith.export.formats`) plus one small module per format.

Importing this package registers every format.
"""

from wakesmith.export import onnx
from wakesmith.export.formats import ExportFormat, export_model, get_format, list_formats, register_format
from wakesmith.export.onnx import export_onnx, update_metadata

__all__ = [
    "ExportFormat",
    "export_model",
    "export_onnx",
    "get_format",
    "list_formats",
    "onnx",
    "register_format",
    "update_metadata",
]
