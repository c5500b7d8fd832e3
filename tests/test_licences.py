"""The licence manifest an artifact carries: one entry per distinct voice/source licence, counted."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wakesmith.artifact import LICENCES_FILE, write_licences


@dataclass
class _Clip:
    source: str
    meta: dict[str, Any] = field(default_factory=dict)

    def meta_dict(self) -> dict[str, Any]:
        return self.meta


def test_manifest_counts_clips_per_licence_most_used_first(tmp_path: Path) -> None:
    espeak = {
        "engine": "espeak-ng",
        "engine_version": "1.51",
        "voice": "en-us",
        "licence": "GPL-3.0-or-later",
    }
    clips = [_Clip("synth", espeak)] * 3 + [_Clip("upload"), _Clip("synth", {**espeak, "voice": "en-gb"})]
    path = tmp_path / LICENCES_FILE
    entries = write_licences(path, "hey_katya", clips)
    assert [(e["voice"], e["clips"]) for e in entries] == [("en-us", 3), ("", 1), ("en-gb", 1)]
    assert entries[1]["licence"] == "user-provided"  # an upload without a stated licence
    assert json.loads(path.read_text()) == {"dataset": "hey_katya", "entries": entries, "components": []}


def test_manifest_lists_the_pretrained_components_a_model_runs(tmp_path: Path) -> None:
    """A judge on the speech_embedding front end carries that network's licence beside its data's."""
    from wakesmith.features.embedding import LICENCE

    path = tmp_path / LICENCES_FILE
    write_licences(path, "hey_katya", [_Clip("upload")], components=[LICENCE])
    assert json.loads(path.read_text())["components"] == [LICENCE]
