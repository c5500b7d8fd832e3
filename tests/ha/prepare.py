"""Prepare the Home Assistant test's Judge fixture with the TRAINING environment's Python.

    .nox/training*/bin/python tests/ha/prepare.py OUT_DIR

Synthesizes the tiny espeak-ng dataset, trains and calibrates the small judge and writes
``OUT_DIR/{model.onnx, positive.wav, negative.wav, calibrated.onnx, held_out_*.wav, fixture.json}``
(see tests/judge/model_fixture.py).
The HA test (its own environment, ``homeassistant==2024.3.3``) then starts the Judge from that
environment's Python on this model. Skips the work when OUT_DIR already holds a fixture.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))
sys.path.append(str(TESTS / "judge"))

from model_fixture import MANIFEST, build_judge_fixture  # noqa: E402

from conftest import EVERY_NTH_WORD, SOUNDALIKES, tiny_synth  # noqa: E402
from wakesmith import api  # noqa: E402
from wakesmith.home import Home  # noqa: E402
from wakesmith.synth.lexicon import DICT_WORDS  # noqa: E402


def main(out: Path) -> None:
    if (out / MANIFEST).is_file():
        print(f"fixture already in {out}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        words = DICT_WORDS.read_text(errors="replace").splitlines()
        lexicon = Path(tmp) / "words.txt"
        keep = [w for i, w in enumerate(words) if i % EVERY_NTH_WORD == 0 and w.isalpha()] + SOUNDALIKES
        lexicon.write_text("\n".join(keep) + "\n")
        home = Home.resolve(Path(tmp) / "home").ensure()
        api.synthesize(tiny_synth(lexicon), home=home)
        fixture = build_judge_fixture(home, out)
    scores = f"positive {fixture.positive_score:.3f}, negative {fixture.negative_score:.3f}"
    print(f"judge fixture in {out}: {scores}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]).resolve())
