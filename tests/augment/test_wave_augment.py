"""WaveAugment: recorded, deterministic, exact SNRs, the SNR schedule, identity when off."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wakesmith.augment import WaveAugment, active_power, list_augmentations, snr_range
from wakesmith.config import AugmentConfig
from wakesmith.errors import AudioError, ConfigError

OFF = {"noise_p": 0.0, "rir_p": 0.0, "pitch_p": 0.0, "speed_p": 0.0, "gain_db": (0.0, 0.0)}
ALL_ON = {"noise_p": 1.0, "rir_p": 1.0, "pitch_p": 1.0, "speed_p": 1.0}


def only(**kw: object) -> AugmentConfig:
    return AugmentConfig(**{**OFF, **kw})


def names(record: dict) -> list[str]:
    return [a["name"] for a in record["augmentations"]]


def test_registry() -> None:
    assert list_augmentations() == [
        "background_noise",
        "colored_noise",
        "gain",
        "pitch_shift",
        "rir",
        "speed",
        "tempo",
    ]


def test_disabled_is_identity(tone: np.ndarray, backgrounds: list[np.ndarray]) -> None:
    aug = WaveAugment(AugmentConfig(enabled=False, **ALL_ON), backgrounds=backgrounds)
    for seed in range(5):
        assert aug.describe(seed=seed)["augmentations"] == []
        out = aug(tone, seed=seed)
        np.testing.assert_array_equal(out, tone)
        assert out is not tone and out.dtype == np.float32


def test_nothing_drawn_is_identity(tone: np.ndarray) -> None:
    np.testing.assert_array_equal(WaveAugment(only())(tone, seed=3), tone)


@pytest.mark.parametrize("use_backgrounds", [False, True])
def test_same_seed_same_output_and_record_replays(
    tone: np.ndarray, backgrounds: list[np.ndarray], use_backgrounds: bool
) -> None:
    cfg = AugmentConfig(**ALL_ON)
    bg = backgrounds if use_backgrounds else []
    a, b = WaveAugment(cfg, backgrounds=bg), WaveAugment(cfg, backgrounds=bg)
    record = a.describe(seed=11, epoch=2, epochs=5)
    assert names(record) == [
        "speed",
        "pitch_shift",
        "rir",
        "background_noise" if use_backgrounds else "colored_noise",
        "gain",
    ]
    assert json.loads(json.dumps(record)) == record  # plain JSON: it can be stored with the example
    out = a(tone, seed=11, epoch=2, epochs=5)
    np.testing.assert_array_equal(out, b(tone, seed=11, epoch=2, epochs=5))
    np.testing.assert_array_equal(out, b.apply(tone, record))
    assert not np.array_equal(out, a(tone, seed=12, epoch=2, epochs=5))


def test_seed_streams_are_independent_per_augmentation() -> None:
    """Turning pitch shift on must not change the noise drawn for the same seed."""
    base = WaveAugment(only(noise_p=1.0)).describe(seed=5)["augmentations"]
    more = WaveAugment(only(noise_p=1.0, pitch_p=1.0)).describe(seed=5)["augmentations"]
    assert [a for a in more if a["name"] == "colored_noise"] == base


def test_probabilities_are_respected() -> None:
    aug = WaveAugment(AugmentConfig(noise_p=0.7, rir_p=0.3, pitch_p=0.15, speed_p=0.15))
    counts: dict[str, int] = {}
    n = 2000
    for seed in range(n):
        for name in names(aug.describe(seed=seed)):
            counts[name] = counts.get(name, 0) + 1
    for name, p in [("colored_noise", 0.7), ("rir", 0.3), ("pitch_shift", 0.15), ("speed", 0.15)]:
        assert abs(counts[name] / n - p) < 0.04, (name, counts[name])
    assert counts["gain"] == n


@pytest.mark.parametrize("use_backgrounds", [False, True])
def test_noise_is_mixed_at_the_recorded_snr(
    tone: np.ndarray, backgrounds: list[np.ndarray], use_backgrounds: bool
) -> None:
    aug = WaveAugment(
        only(noise_p=1.0, snr_db=(-5.0, 30.0)), backgrounds=backgrounds if use_backgrounds else []
    )
    for seed in range(20):
        (step,) = aug.describe(seed=seed)["augmentations"]
        noise = aug(tone, seed=seed) - tone
        measured = 10 * np.log10(
            np.mean(tone.astype(np.float64) ** 2) / np.mean(noise.astype(np.float64) ** 2)
        )
        assert abs(measured - step["params"]["snr_db"]) < 0.5


def test_snr_is_relative_to_the_speech_not_the_silence_around_it(tone: np.ndarray) -> None:
    clip = np.concatenate([np.zeros(16_000, np.float32), tone[:8000], np.zeros(8000, np.float32)])
    aug = WaveAugment(only(noise_p=1.0))
    (step,) = aug.describe(seed=1)["augmentations"]
    noise = aug(clip, seed=1) - clip
    speech_power = np.mean(tone[:8000].astype(np.float64) ** 2)
    measured = 10 * np.log10(speech_power / np.mean(noise.astype(np.float64) ** 2))
    assert abs(measured - step["params"]["snr_db"]) < 0.5
    assert abs(active_power(clip) - speech_power) / speech_power < 0.05


def test_silent_clip_gets_bounded_noise() -> None:
    out = WaveAugment(only(noise_p=1.0, snr_db=(0.0, 0.0)))(np.zeros(24_000, np.float32), seed=0)
    rms_db = 10 * np.log10(np.mean(out.astype(np.float64) ** 2))
    assert -51 < rms_db < -49  # the -50 dBFS reference level at 0 dB SNR


def test_snr_schedule_moves_the_range() -> None:
    cfg = only(noise_p=1.0, snr_db=(20.0, 30.0), snr_db_final=(0.0, 5.0))
    assert snr_range(cfg, 0, 11) == (20.0, 30.0)
    assert snr_range(cfg, 5, 11) == pytest.approx((10.0, 17.5))
    assert snr_range(cfg, 10, 11) == pytest.approx((0.0, 5.0))
    assert snr_range(cfg, 15, 11) == pytest.approx((0.0, 5.0))  # past the schedule: final range
    assert snr_range(only(snr_db=(5.0, 9.0)), 3, 10) == (5.0, 9.0)  # no schedule
    aug = WaveAugment(cfg)

    def snrs(epoch: int) -> np.ndarray:
        return np.array(
            [
                aug.describe(seed=s, epoch=epoch, epochs=11)["augmentations"][0]["params"]["snr_db"]
                for s in range(300)
            ]
        )

    first, middle, last = snrs(0), snrs(5), snrs(10)
    assert first.min() >= 20.0 and first.max() <= 30.0
    assert middle.min() >= 10.0 and middle.max() <= 17.5
    assert last.min() >= 0.0 and last.max() <= 5.0
    assert first.max() - first.min() > 9.0 and last.max() - last.min() > 4.5
    assert (first > middle).all() and (middle > last).all()  # same seed, same quantile, moved range


def test_speed_changes_length_and_pitch_shift_keeps_it(tone: np.ndarray) -> None:
    aug = WaveAugment(only(speed_p=1.0, speed=(0.8, 1.25)))
    for seed in range(5):
        factor = aug.describe(seed=seed)["augmentations"][0]["params"]["factor"]
        assert abs(len(aug(tone, seed=seed)) - len(tone) / factor) <= 1
    shifted = WaveAugment(only(pitch_p=1.0, pitch_semitones=(2.0, 2.0)))(tone, seed=0)
    assert len(shifted) == len(tone)
    peak_hz = np.argmax(np.abs(np.fft.rfft(shifted))) * 16_000 / len(shifted)
    assert abs(peak_hz - 440 * 2 ** (2 / 12)) < 5


def test_reverb_keeps_length_and_level_and_smears_the_tail(tone: np.ndarray) -> None:
    burst = tone.copy()
    burst[8000:] = 0.0
    out = WaveAugment(only(rir_p=1.0))(burst, seed=0)
    assert len(out) == len(burst)
    assert np.mean(out[8400:9000] ** 2) > 1e-5  # reverberation after the burst ended
    ratio = active_power(out[:8000]) / active_power(burst[:8000])
    assert 0.3 < ratio < 3.0


def test_output_is_float32_within_range(tone: np.ndarray, backgrounds: list[np.ndarray]) -> None:
    aug = WaveAugment(AugmentConfig(gain_db=(20.0, 30.0), **ALL_ON), backgrounds=backgrounds)
    for seed in range(5):
        out = aug(tone * 3, seed=seed)
        assert out.dtype == np.float32 and np.isfinite(out).all()
        assert np.abs(out).max() <= 1.0


def test_tiny_and_empty_clips_survive() -> None:
    aug = WaveAugment(AugmentConfig(**ALL_ON))
    assert aug(np.zeros(0, np.float32), seed=0).shape == (0,)
    assert np.isfinite(aug(np.full(50, 0.1, np.float32), seed=0)).all()


def test_recorded_rirs_are_used(tone: np.ndarray) -> None:
    delta = np.zeros(100, np.float32)
    delta[10] = 0.5  # a pure delay and gain: prepared to start at the peak with unit energy
    out = WaveAugment(only(rir_p=1.0), rirs=[delta])(tone, seed=0)
    np.testing.assert_allclose(out, tone, atol=1e-6)


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ({"noise_p": 1.5}, "probability"),
        ({"snr_db": (30.0, 5.0)}, "range"),
        ({"speed": (0.0, 1.1)}, "positive"),
    ],
)
def test_bad_config_is_refused(override: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        WaveAugment(AugmentConfig(**override))


def test_bad_banks_are_refused() -> None:
    with pytest.raises(AudioError, match="background #1"):
        WaveAugment(AugmentConfig(), backgrounds=[np.ones(10, np.float32), np.zeros(10, np.float32)])
    with pytest.raises(AudioError, match="impulse response"):
        WaveAugment(AugmentConfig(), rirs=[np.zeros((2, 10))])


def test_tempo_changes_length_but_keeps_pitch(tone: np.ndarray) -> None:
    aug = WaveAugment(only(tempo_p=1.0, tempo=(0.8, 1.2)))
    for seed in range(3):
        rate = aug.describe(seed=seed)["augmentations"][0]["params"]["rate"]
        out = aug(tone, seed=seed)
        assert abs(len(out) - len(tone) / rate) < 0.01 * len(tone)
        peak_hz = np.argmax(np.abs(np.fft.rfft(out))) * 16_000 / len(out)
        assert abs(peak_hz - 440) < 5


def test_absolute_level_replaces_the_relative_gain(tone: np.ndarray) -> None:
    aug = WaveAugment(only(level_dbfs=(-45.0, -10.0)))
    levels = []
    for seed in range(20):
        target = aug.describe(seed=seed)["augmentations"][0]["params"]["level_dbfs"]
        got = 10 * np.log10(active_power(aug(tone, seed=seed)))
        assert abs(got - target) < 0.05
        levels.append(got)
    assert min(levels) < -35 and max(levels) > -20  # the range is used, not one level
