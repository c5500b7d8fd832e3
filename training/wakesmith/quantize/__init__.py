"""Quantize: the trained sentry as INT8 TFLite, and what that costs on the microcontroller.

- :mod:`wakesmith.quantize.tf_sentry`: the sentry rebuilt in TensorFlow (streaming and window graphs);
- :mod:`wakesmith.quantize.tflite`: the TFLite converter (streaming INT8 for ESPHome, window models);
- :mod:`wakesmith.quantize.arena`: the tensor arena measured in TFLite-Micro;
- :mod:`wakesmith.quantize.footprint`: flash and arena of an architecture before training;
- :mod:`wakesmith.quantize.calibration`: representative features from the train split.

Quantization-aware training is a training technique and lives in :mod:`wakesmith.train.qat`.
TensorFlow and the TFLite tools are imported only when something is converted (the ``edge`` extra).
"""
