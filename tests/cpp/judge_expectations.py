"""What the cascade's one definition says about a stream's triggers (run with the Judge's Python).

    python judge_expectations.py MODEL.onnx STREAM.wav AT [AT ...]

Prints JSON: the pre/post roll of ``wakesmith.runtime.cascade``, and for each trigger sample the
buffer that definition cuts and the verdict the model gives it at its own trigger threshold.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from wakesmith.audio.io import read_audio
from wakesmith.judge.engine import JudgeModel
from wakesmith.judge.settings import ModelSettings
from wakesmith.runtime.cascade import POST_ROLL_S, PRE_ROLL_S, trigger_buffer


def main(model_path: str, wav: str, *ats: str) -> None:
    model = JudgeModel(ModelSettings(path=Path(model_path)))
    audio = read_audio(Path(wav))
    verdicts = []
    for at in map(int, ats):
        buffer = trigger_buffer(audio, at)
        verdict = model.verify(buffer)
        verdicts.append(
            {
                "at": at,
                "samples": len(buffer),
                "prediction": verdict.prediction,
                "confidence": verdict.confidence,
            }
        )
    print(
        json.dumps(
            {
                "pre_roll_s": PRE_ROLL_S,
                "post_roll_s": POST_ROLL_S,
                "threshold": model.trigger_threshold,
                "verdicts": verdicts,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
