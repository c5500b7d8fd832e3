"""Synthetic data: espeak-ng (and user Piper) speech, phonetic confusables, backgrounds, streams.

``plan.plan`` decides every clip from a :class:`~wakesmith.config.SynthConfig`, ``run.run`` makes them
in parallel processes, ``confusables.confusables`` finds adversarial negatives for a phrase and
``streams.build_stream`` writes long negative streams for false-accept-per-hour evaluation.
Submodules are imported explicitly; importing this package loads nothing heavy.
"""
