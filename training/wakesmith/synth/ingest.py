"""Synthesis into the store: plan → parallel espeak-ng (resumable) → clips → splits.

The staging folder is keyed by the synthesis settings' digest, so an interrupted run resumes where it
stopped (existing WAVs are reused) and a completed one is not repeated: a marker file records it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wakesmith.config import SynthConfig
from wakesmith.data.schema import NewClip
from wakesmith.data.store import ClipStore
from wakesmith.events import Emitter
from wakesmith.fsio import atomic_write_json
from wakesmith.home import Home
from wakesmith.synth.plan import plan
from wakesmith.synth.run import run

STAGE = "synth"
IMPORT_BATCH = 1000


@dataclass
class SynthSummary:
    dataset: str
    planned: int
    added: int
    failed: int
    seconds: float
    by_kind: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    skipped: bool = False
    """True when this exact synthesis had already completed."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def synth_digest(cfg: SynthConfig) -> str:
    return hashlib.sha256(cfg.model_dump_json().encode()).hexdigest()[:12]


def _marker(home: Home, dataset: str, digest: str) -> Path:
    return home.root / "datasets" / dataset / f"synth-{digest}.json"


def synthesize_into_store(
    cfg: SynthConfig, store: ClipStore, home: Home, dataset: str, emitter: Emitter
) -> SynthSummary:
    digest = synth_digest(cfg)
    marker = _marker(home, dataset, digest)
    if marker.is_file():
        summary = SynthSummary(**json.loads(marker.read_text()))
        summary.skipped = True
        emitter.finished(STAGE, f"already synthesized ({summary.added} clips)")
        return summary

    t0 = time.perf_counter()
    emitter.started(STAGE, message="planning (phonetic confusables from the dictionary)")
    jobs = plan(cfg, cache_dir=home.cache, words_path=cfg.lexicon)
    staging = home.staging / f"{dataset}-{digest}"
    emitter.started(STAGE, total=len(jobs), message=f"espeak-ng, {len(jobs)} clips")
    results = run(
        jobs,
        staging,
        workers=cfg.workers,
        on_progress=lambda done, total: emitter.progress(STAGE, done, total),
    )
    ok = [r for r in results if r.ok and r.path is not None]
    failed = [r for r in results if not r.ok]
    for r in failed[:5]:
        emitter.warning(STAGE, f"job {r.job_id} failed: {r.error}")

    new = [
        NewClip(
            dataset=dataset,
            label=r.label,
            source=r.source,
            path=r.path,
            speaker=r.speaker,
            text=r.text,
            meta=r.meta,
        )
        for r in ok
    ]
    for start in range(0, len(new), IMPORT_BATCH):
        store.add_many(new[start : start + IMPORT_BATCH])
        emitter.progress(STAGE, len(results), len(jobs), f"stored {min(start + IMPORT_BATCH, len(new))}")
    store.assign_splits(dataset)

    by_kind: dict[str, int] = {}
    for r in ok:
        kind = str(r.meta.get("kind", r.label))
        by_kind[kind] = by_kind.get(kind, 0) + 1
    summary = SynthSummary(
        dataset,
        len(jobs),
        len(ok),
        len(failed),
        time.perf_counter() - t0,
        by_kind,
        [f"{r.job_id}: {r.error}" for r in failed[:20]],
    )
    atomic_write_json(marker, summary.as_dict())
    shutil.rmtree(staging, ignore_errors=True)
    emitter.finished(STAGE, f"{len(ok)} clips ({len(failed)} failed)", **by_kind)
    return summary
