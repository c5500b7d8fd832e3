"""Quantization-aware training for the sentry (``qat.enabled``); see :mod:`wakesmith.quantize.qat`."""

from wakesmith.quantize.qat import QatCallback, prepare_qat, set_fake_quant, strip_qat

__all__ = ["QatCallback", "prepare_qat", "set_fake_quant", "strip_qat"]
