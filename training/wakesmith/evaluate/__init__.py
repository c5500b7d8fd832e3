"""Evaluation in wake-word terms: false accepts per hour, false-reject rate, DET, calibrated thresholds.

- :mod:`wakesmith.evaluate.metrics`: pure functions over model scores (counting goes through
  :mod:`wakesmith.runtime.detector`, the one definition of a detection).
- :mod:`wakesmith.evaluate.report`: :func:`~wakesmith.evaluate.report.build_report` and the
  :class:`~wakesmith.evaluate.report.EvalReport` saved beside each model (JSON + plots).
- :mod:`wakesmith.evaluate.plots`: DET curve, score histograms and confusion matrix (matplotlib, Agg).
"""
