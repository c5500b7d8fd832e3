"""Speed figures for wakesmith, printed as a table. Numbers come from here, never from tests.

    python benchmarks/run.py            # all
    python benchmarks/run.py --quick    # fewer repetitions

Measures, on synthetic audio and untrained default models (speed does not depend on the weights):
- feature extraction, one-second clips per second, per front end (one process; ``speech_embedding``
  needs the ``embedding`` extra);
- waveform augmentation, milliseconds per 1.5 s clip (full default chain);
- training throughput, samples per second: the model step alone (forward + backward + AdamW on
  ready features) and the data pipeline alone (placement + augmentation + features per example);
- streaming inference, CPU seconds per hour of audio, for the sentry, judge and judge_embedding ONNX
  files (the latter's front end included) through the same runtime scorers the Judge and
  `wakesmith detect` use.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from wakesmith.augment import WaveAugment
from wakesmith.config import SAMPLE_RATE, FeatureConfig, load_recipe
from wakesmith.export.onnx import export_onnx
from wakesmith.features import create_frontend
from wakesmith.models import create_model
from wakesmith.runtime.backends import OnnxBackend
from wakesmith.runtime.scorers import make_scorer
from wakesmith.train.artifacts import describe
from wakesmith.train.task import WakeWordTask

Row = tuple[str, str, str]
FAST_FRONTENDS = ("micro", "logmel", "mfcc")


def speechlike(seconds: float, seed: int) -> np.ndarray:
    """Amplitude-modulated harmonic noise: enough structure for realistic front-end work."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    f0 = 120 + 40 * np.sin(2 * np.pi * 0.7 * t)
    voiced = sum(np.sin(2 * np.pi * k * np.cumsum(f0) / SAMPLE_RATE) / k for k in range(1, 8))
    env = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)
    return (0.1 * env * voiced + 0.01 * rng.standard_normal(len(t))).astype(np.float32)


def timed(fn: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def features(n_clips: int) -> list[Row]:
    clips = [speechlike(1.0, i) for i in range(n_clips)]
    rows = []
    configs = [
        FeatureConfig(name=name, window_ms=30.0 if name == "micro" else 25.0) for name in FAST_FRONTENDS
    ]
    configs.append(load_recipe("judge_embedding").features)  # its fixed settings (embedding extra)
    for cfg in configs:
        fe = create_frontend(cfg)
        elapsed = timed(lambda fe=fe: [fe(c) for c in clips], 1)
        rows.append((f"features: {cfg.name}", f"{n_clips / elapsed:,.0f}", "1 s clips/s (1 process)"))
    return rows


def augmentation(n_clips: int) -> list[Row]:
    recipe = load_recipe("sentry")
    aug = WaveAugment(recipe.augment, backgrounds=[speechlike(5.0, 99)])
    clips = [speechlike(1.5, i) for i in range(n_clips)]
    elapsed = timed(lambda: [aug(c, seed=i) for i, c in enumerate(clips)], 1)
    return [("augmentation: default chain", f"{1000 * elapsed / n_clips:.2f}", "ms per 1.5 s clip")]


def training(steps: int) -> list[Row]:
    rows = []
    for preset in ("sentry", "judge"):
        recipe = load_recipe(preset)
        fe = create_frontend(recipe.features)
        model = create_model(recipe.model.name, fe.dim, **recipe.model.params)
        task = WakeWordTask(model, recipe, val_hours=1.0, steps_per_epoch=steps)
        opt = task.configure_optimizers()["optimizer"]
        frames = fe.num_frames(int(recipe.train.clip_seconds * SAMPLE_RATE))
        bs = recipe.train.batch_size
        x = torch.randn(bs, frames, fe.dim)
        y = (torch.rand(bs) < 0.3).float()
        w = torch.ones(bs)
        end = torch.full((bs,), frames - 10)

        def step(task: WakeWordTask = task, opt: torch.optim.Optimizer = opt, x=x, y=y, w=w, end=end) -> None:  # type: ignore[no-untyped-def]
            opt.zero_grad()
            task._loss(task(x), y, w, end).backward()
            opt.step()

        step()
        elapsed = timed(step, steps)
        rows.append((f"training: {preset} model step", f"{bs / elapsed:,.0f}", f"samples/s (batch {bs})"))

        from wakesmith.train.examples import fit_length, place

        aug = WaveAugment(recipe.augment, backgrounds=[speechlike(5.0, 99)])
        clips = [speechlike(1.0, i) for i in range(64)]

        def pipeline(recipe=recipe, aug=aug, fe=fe, clips=clips) -> None:  # type: ignore[no-untyped-def]
            window = int(recipe.train.clip_seconds * SAMPLE_RATE)
            for i, c in enumerate(clips):
                rng = np.random.default_rng(i)
                w_, _ = place(c, window, positive=bool(i % 2), rng=rng, cfg=recipe.augment)
                fe(fit_length(aug(w_, seed=i), window))

        elapsed = timed(pipeline, 1)
        rows.append(
            (f"training: {preset} data pipeline", f"{len(clips) / elapsed:,.0f}", "samples/s per worker")
        )
    return rows


def streaming(seconds: float) -> list[Row]:
    rows = []
    audio = speechlike(seconds, 7)
    with tempfile.TemporaryDirectory() as tmp:
        for preset in ("sentry", "judge", "judge_embedding"):
            recipe = load_recipe(preset)
            fe = create_frontend(recipe.features)
            model = create_model(recipe.model.name, fe.dim, **recipe.model.params).eval()
            meta = describe(model, recipe, f"bench-{preset}", lineage="bench")
            path = export_onnx(model, meta, Path(tmp) / f"{preset}.onnx", verify=False)
            scorer = make_scorer(OnnxBackend.load(path, threads=1))
            chunk = SAMPLE_RATE // 100 * 3  # 30 ms, as a satellite streams
            start_cpu = time.process_time()
            for i in range(0, len(audio), chunk):
                scorer.push(audio[i : i + chunk])
            cpu = time.process_time() - start_cpu
            rows.append(
                (
                    f"streaming: {preset} ONNX",
                    f"{cpu * 3600 / seconds:.1f}",
                    f"CPU s per audio hour ({path.stat().st_size / 1024:.0f} KiB file, 30 ms chunks)",
                )
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    n = 100 if args.quick else 500
    rows = features(n) + augmentation(n // 2) + training(5 if args.quick else 20)
    rows += streaming(60.0 if args.quick else 300.0)
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure'.ljust(width)} | {'value':>10} | unit |")
    print(f"|{'-' * (width + 2)}|{'-' * 12}|------|")
    for name, value, unit in rows:
        print(f"| {name.ljust(width)} | {value:>10} | {unit} |")


if __name__ == "__main__":
    main()
