"""Training data: clips from the store → augmented, featurized fixed-length windows.

The dataset keeps every clip's audio in memory as int16 (10k one-second clips ≈ 300 MB) so forked
DataLoader workers share it. Augmentation is recorded, not materialized: an example is
(clip, epoch, draw) → a seed, and the same seed always yields the same example.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from wakesmith.audio.pcm import float_to_int16, int16_to_float
from wakesmith.augment import WaveAugment, spec_augment, split_record
from wakesmith.config import SAMPLE_RATE, FeatureConfig, Recipe
from wakesmith.data.store import ClipStore
from wakesmith.errors import DatasetError
from wakesmith.features import FeatureCache, create_frontend
from wakesmith.train.examples import example_seed, place

log = logging.getLogger(__name__)

MIN_POSITIVES = 2
MIN_NEGATIVES = 2
CONTEXT_GAP_S = (0.05, 0.6)
"""Gap between two joined negative clips (see ``train.negative_context_p``)."""


@dataclass(frozen=True)
class ClipItem:
    """One clip as training sees it."""

    clip_id: str
    audio: np.ndarray  # int16
    positive: bool
    weight: float
    kind: str  # positive, negative, confusable, hard_negative, background


def _kind(label: str, meta: str | dict | None) -> str:
    if label in ("positive", "hard_negative", "background"):
        return label
    info = json.loads(meta) if isinstance(meta, str) and meta else (meta or {})
    return "confusable" if isinstance(info, dict) and info.get("kind") == "confusable" else "negative"


def load_items(store: ClipStore, recipe: Recipe, split: str) -> list[ClipItem]:
    items = []
    for clip in store.clips(recipe.dataset_name, split=split):
        kind = _kind(clip.label, clip.meta)
        weight = {
            "positive": 1.0,
            "confusable": recipe.train.hard_negative_weight,
            "hard_negative": recipe.train.hard_negative_weight,
        }.get(kind, recipe.train.negative_weight)
        pcm = float_to_int16(store.load_audio(clip))
        items.append(ClipItem(clip.id, pcm, kind == "positive", weight, kind))
    n_pos = sum(i.positive for i in items)
    if n_pos < MIN_POSITIVES or len(items) - n_pos < MIN_NEGATIVES:
        raise DatasetError(
            f"The {split} split of dataset {recipe.dataset_name!r} has {n_pos} positive and "
            f"{len(items) - n_pos} negative clips; training needs both. Add data (`wakesmith synth` or "
            "`wakesmith dataset scan`) and run `wakesmith dataset split`."
        )
    if recipe.train.class_weights == "balanced":
        share = recipe.train.positive_fraction if recipe.train.balanced_batches else n_pos / len(items)
        scale = {True: 0.5 / share, False: 0.5 / (1.0 - share)}
        items = [replace(i, weight=i.weight * scale[i.positive]) for i in items]
    return items


def on_cuda(recipe: Recipe) -> bool:
    """Whether the run trains on a CUDA device (``train.accelerator`` auto or gpu, and one is there)."""
    return recipe.train.accelerator != "cpu" and torch.cuda.is_available()


HARD_KINDS = ("confusable", "hard_negative")
"""Negatives that sound like the phrase on purpose; validation reports them separately."""


@dataclass(frozen=True)
class TeacherInput:
    """What the data pipeline computes for a distillation teacher: its front end over its window,
    which ends ``tail_samples`` after a positive's phrase when the student's window would leave more
    than ``max_tail_samples`` (the teacher's ``augment.time_shift_ms``) after it."""

    features: FeatureConfig
    window_samples: int
    tail_samples: int
    max_tail_samples: int


class WindowDataset(Dataset[tuple[torch.Tensor, ...]]):
    """Indexable by ``(clip_index, epoch, draw)`` tuples from :class:`EpochSampler`."""

    def __init__(
        self,
        items: Sequence[ClipItem],
        recipe: Recipe,
        *,
        backgrounds: Sequence[np.ndarray],
        train: bool,
        cache_dir: Path | None = None,
        teacher_inputs: Sequence[TeacherInput] = (),
    ) -> None:
        self.items = list(items)
        self.recipe = recipe
        self.train = train
        self.window = round(recipe.train.clip_seconds * SAMPLE_RATE)
        self.frontend = create_frontend(recipe.features)
        self.augment = WaveAugment(recipe.augment, backgrounds=backgrounds)
        self.negatives = [i for i, it in enumerate(self.items) if not it.positive and it.kind != "background"]
        # Distillation: each teacher's front end and window, fed the same augmented audio.
        self.teacher_inputs = [(create_frontend(t.features), t) for t in teacher_inputs]
        # Validation examples never change (fixed seeds, epoch 0), so their features are cached,
        # keyed by the feature config (FeatureCache) and by everything else that shapes an example.
        self.cache = FeatureCache(cache_dir, recipe.features) if cache_dir is not None and not train else None
        example_spec = json.dumps(
            [
                recipe.augment.model_dump(mode="json"),
                recipe.train.clip_seconds,
                recipe.train.seed,
                recipe.train.negative_context_p,
                recipe.train.cold_start_p,
                recipe.train.cold_lead_s,
            ],
            sort_keys=True,
        )
        self.example_digest = hashlib.sha256(example_spec.encode()).hexdigest()[:12]

    def __len__(self) -> int:
        return len(self.items)

    def end_frame(self, end_sample: int) -> int:
        """First feature frame whose analysis window reaches the end of the phrase."""
        win, hop = self.frontend.window_samples, self.frontend.hop_samples
        return max(0, -(-(end_sample - win) // hop))

    def _with_context(self, audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``audio`` joined to another negative clip (before or after) across a short gap."""
        other = int16_to_float(self.items[int(rng.choice(self.negatives))].audio)
        gap = np.zeros(int(rng.uniform(*CONTEXT_GAP_S) * SAMPLE_RATE), dtype=np.float32)
        parts = [other, gap, audio] if rng.random() < 0.5 else [audio, gap, other]
        return np.concatenate(parts)

    def waveform(self, index: int, epoch: int, draw: int) -> tuple[np.ndarray, int]:
        """The augmented waveform of one example, and the sample where its phrase ends (-1: negative).

        The talker's augmentations (speed, tempo, pitch) change the clip itself, before it is placed,
        so the phrase's end is known exactly and their cost follows the clip, not the window; the
        room's (reverb, noise, level) apply to the whole window, silence included."""
        item = self.items[index]
        seed = example_seed(self.recipe.train.seed, epoch if self.train else 0, draw)
        rng = np.random.default_rng(seed)
        record = self.augment.describe(seed=seed, epoch=epoch, epochs=self.recipe.train.epochs)
        talker, room = split_record(record)
        audio = int16_to_float(item.audio)
        if item.kind != "background":  # a noise bed has no talker to change
            audio = self.augment.apply(audio, talker)
        if not item.positive and self.negatives and rng.random() < self.recipe.train.negative_context_p:
            audio = self._with_context(audio, rng)
        cold_p = self.recipe.train.cold_start_p
        cold = item.positive and cold_p > 0 and rng.random() < cold_p
        window, placement = place(
            audio, self.window, positive=item.positive, rng=rng, cfg=self.recipe.augment,
            cold_lead_s=self.recipe.train.cold_lead_s if cold else None,
        )  # fmt: skip
        return self.augment.apply(window, room), placement.end if item.positive else -1

    def example(self, index: int, epoch: int, draw: int) -> tuple[np.ndarray, bool, float, int]:
        """(features, positive?, weight, end frame of the phrase or -1 for negatives)."""
        window, end_sample = self.waveform(index, epoch, draw)
        return self._example_of(window, end_sample, index, epoch, draw)

    def _example_of(
        self, window: np.ndarray, end_sample: int, index: int, epoch: int, draw: int
    ) -> tuple[np.ndarray, bool, float, int]:
        item = self.items[index]
        feats = self.frontend(window)
        if self.train:
            seed = example_seed(self.recipe.train.seed, epoch, draw)
            feats = spec_augment(feats, self.recipe.augment, seed=seed)
        end = self.end_frame(end_sample) if item.positive else -1
        return feats.astype(np.float32), item.positive, item.weight, end

    def __getitem__(self, key: tuple[int, int, int] | int) -> tuple[torch.Tensor, ...]:
        """(features [T, D], target, loss weight, hard-negative flag, phrase end frame or -1)."""
        index, epoch, draw = key if isinstance(key, tuple) else (key, 0, key)
        teachers: tuple[torch.Tensor, ...] = ()
        if self.cache is not None:
            item = self.items[index]
            cache_key = f"{item.clip_id}-{self.example_digest}-{draw}"
            stored = self.cache.get(cache_key, lambda: self._packed(index, epoch, draw))
            feats, end = stored[:-1], int(stored[-1, 0])
            positive, weight = item.positive, item.weight
        elif self.teacher_inputs:
            window, end_sample = self.waveform(index, epoch, draw)
            feats, positive, weight, end = self._example_of(window, end_sample, index, epoch, draw)
            teachers = tuple(self._teacher_features(window, end_sample))
        else:
            feats, positive, weight, end = self.example(index, epoch, draw)
        return (
            torch.from_numpy(np.ascontiguousarray(feats)),
            torch.tensor(float(positive)),
            torch.tensor(weight, dtype=torch.float32),
            torch.tensor(self.items[index].kind in HARD_KINDS),
            torch.tensor(end),
            *teachers,
        )

    def _teacher_features(self, window: np.ndarray, end_sample: int) -> list[torch.Tensor]:
        """Each teacher's features of its own window of ``window``'s audio (silence-padded in front
        where it reaches before the student's window starts).

        The window ends where the student's does, as the teacher was trained: a negative's last
        seconds, a positive whose phrase ends within the teacher's trained tail. A positive that ends
        earlier (a cold start: the phrase 0.1–1 s after a reset) is read with the phrase ending where
        the teacher expects it, the middle of its trained tail, so the teacher hears the phrase,
        not the silence after it."""
        out = []
        for frontend, t in self.teacher_inputs:
            stop = len(window)
            if end_sample >= 0 and stop - end_sample > t.max_tail_samples:
                stop = end_sample + t.tail_samples
            start = stop - t.window_samples
            tail = window[max(0, start) : stop]
            if start < 0:
                tail = np.pad(tail, (-start, 0))
            out.append(torch.from_numpy(np.ascontiguousarray(frontend(tail), dtype=np.float32)))
        return out

    def _packed(self, index: int, epoch: int, draw: int) -> np.ndarray:
        """Features with the end frame appended as one extra row (so one cached array holds both)."""
        feats, _, _, end = self.example(index, epoch, draw)
        return np.concatenate([feats, np.full((1, feats.shape[1]), end, dtype=np.float32)])


class EpochSampler(Sampler[tuple[int, int, int]]):
    """Draws an epoch's examples (balanced between positives and negatives when asked).

    Yields ``(clip_index, epoch, draw)`` so workers know the epoch without shared state; Lightning
    calls :meth:`set_epoch` before each epoch. With ``loss.loss_function: triplet_loss`` every batch is
    P labels × K clips instead (:meth:`_pk_picks`), so each anchor has positives and negatives.
    """

    def __init__(self, items: Sequence[ClipItem], recipe: Recipe, *, shuffle: bool = True) -> None:
        self.positives = np.array([i for i, it in enumerate(items) if it.positive])
        self.negatives = np.array([i for i, it in enumerate(items) if not it.positive])
        groups = (
            self.positives,
            np.array([i for i, it in enumerate(items) if it.kind in HARD_KINDS]),
            np.array([i for i, it in enumerate(items) if not it.positive and it.kind not in HARD_KINDS]),
        )
        self.label_groups = [g for g in groups if len(g)]
        self.n_items = len(items)
        self.recipe = recipe
        self.shuffle = shuffle
        self.epoch = 0
        self.size = (recipe.train.samples_per_epoch or len(items)) if shuffle else len(items)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[tuple[int, int, int]]:
        if not self.shuffle:
            yield from ((i, 0, i) for i in range(self.n_items))
            return
        rng = np.random.default_rng(example_seed(self.recipe.train.seed, self.epoch, 17))
        if self.recipe.loss.loss_function == "triplet_loss":
            picks = self._pk_picks(rng)
        elif self.recipe.train.balanced_batches:
            n_pos = round(self.size * self.recipe.train.positive_fraction)
            picks = np.concatenate(
                [rng.choice(self.positives, n_pos), rng.choice(self.negatives, self.size - n_pos)]
            )
            rng.shuffle(picks)
        else:
            picks = rng.integers(0, self.n_items, self.size)
        base = self.epoch * self.size
        yield from ((int(i), self.epoch, base + d) for d, i in enumerate(picks))

    def _pk_picks(self, rng: np.random.Generator) -> np.ndarray:
        """Batch after batch of K clips of each of the P labels (positive; confusable or hard negative;
        other negative — the labels the data has), K = batch size // P, shuffled within the batch. The
        remainder of a batch and the epoch's last partial batch are filled by a uniform draw."""
        batch = self.recipe.train.batch_size
        k = max(1, batch // len(self.label_groups))
        picks: list[np.ndarray] = []
        while sum(len(p) for p in picks) < self.size:
            chosen = [rng.choice(g, k) for g in self.label_groups]
            chosen.append(rng.integers(0, self.n_items, max(0, batch - k * len(self.label_groups))))
            one = np.concatenate(chosen)[:batch]
            rng.shuffle(one)
            picks.append(one)
        return np.concatenate(picks)[: self.size]


class EchoedBatches:
    """Data echoing (``train.echo``): ``loader``'s batches, each example trained on ``echo`` times.

    Every ``echo`` fresh batches are pooled and dealt out ``echo`` times in a new random order, so
    a repeated example lands in different batches (echoing whole batches would just take one larger
    step). An epoch is ``echo`` times as many steps as the loader has batches; the order is fixed by
    ``train.seed`` and the epoch, like the examples themselves.
    """

    def __init__(self, loader: DataLoader, echo: int, seed: int) -> None:
        self.loader = loader
        self.echo = echo
        self.seed = seed
        self.sampler = loader.sampler  # Lightning calls sampler.set_epoch through this attribute

    def __len__(self) -> int:
        return len(self.loader) * self.echo

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        epoch = int(getattr(self.sampler, "epoch", 0))
        generator = torch.Generator().manual_seed(example_seed(self.seed, epoch, 29))
        pool: list[tuple[torch.Tensor, ...]] = []
        for batch in self.loader:
            pool.append(batch)
            if len(pool) == self.echo:
                yield from self._deal(pool, generator)
                pool = []
        if pool:
            yield from self._deal(pool, generator)

    def _deal(
        self, pool: list[tuple[torch.Tensor, ...]], generator: torch.Generator
    ) -> Iterator[tuple[torch.Tensor, ...]]:
        fields = [torch.cat(parts) for parts in zip(*pool, strict=True)]
        n, size = len(fields[0]), len(pool[0][0])
        for _ in range(self.echo):
            order = torch.randperm(n, generator=generator)
            for start in range(0, n, size):
                picked = order[start : start + size]
                yield tuple(f[picked] for f in fields)


def resolve_workers(requested: int) -> int:
    if requested >= 0:
        return requested
    return max(1, (os.cpu_count() or 2) - 1)


class WakeDataModule(L.LightningDataModule):
    def __init__(
        self,
        store: ClipStore,
        recipe: Recipe,
        *,
        cache_dir: Path | None = None,
        teacher_inputs: Sequence[TeacherInput] = (),
    ) -> None:
        super().__init__()
        self.store = store
        self.recipe = recipe
        self.cache_dir = cache_dir
        self.teacher_inputs = list(teacher_inputs)
        self.train_set: WindowDataset | None = None
        self.val_set: WindowDataset | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        train_items = load_items(self.store, self.recipe, "train")
        val_items = load_items(self.store, self.recipe, "val")
        backgrounds = [int16_to_float(it.audio) for it in train_items if it.kind == "background"]
        self.train_set = WindowDataset(
            train_items, self.recipe, backgrounds=backgrounds, train=True, teacher_inputs=self.teacher_inputs
        )
        self.val_set = WindowDataset(
            val_items, self.recipe, backgrounds=backgrounds, train=False, cache_dir=self.cache_dir
        )
        log.info("training on %d clips, validating on %d", len(train_items), len(val_items))

    def val_hours(self, *, include_hard: bool) -> float:
        """Hours of negative audio in the validation set (for the validation FA/h estimate)."""
        assert self.val_set is not None
        n_neg = sum(
            not it.positive and (include_hard or it.kind not in HARD_KINDS) for it in self.val_set.items
        )
        return n_neg * self.recipe.train.clip_seconds / 3600.0

    def _loader(self, dataset: WindowDataset, sampler: EpochSampler, *, workers: int) -> DataLoader:
        return DataLoader(
            dataset,
            batch_size=self.recipe.train.batch_size,
            sampler=sampler,
            num_workers=workers,
            persistent_workers=workers > 0,
            drop_last=False,
            # Page-locked batches on a GPU run, so Lightning's copies to the device are non-blocking.
            pin_memory=on_cuda(self.recipe),
        )

    def train_dataloader(self) -> DataLoader | EchoedBatches:
        assert self.train_set is not None
        workers = resolve_workers(self.recipe.train.num_workers)
        loader = self._loader(
            self.train_set, EpochSampler(self.train_set.items, self.recipe, shuffle=True), workers=workers
        )
        cfg = self.recipe.train
        return loader if cfg.echo == 1 else EchoedBatches(loader, cfg.echo, cfg.seed)

    def val_dataloader(self) -> DataLoader:
        assert self.val_set is not None
        # Validation features are cached after the first pass: worker processes would only cost memory.
        return self._loader(
            self.val_set, EpochSampler(self.val_set.items, self.recipe, shuffle=False), workers=0
        )
