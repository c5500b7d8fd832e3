"""The Live test in a real browser: Chromium's fake microphone plays a positive of a sentry trained in
the studio's home, the page streams it to ``/api/live`` and shows the scores and a detection; with a
judge trained on the same tones, the page shows it accepting the wake tone's triggers and rejecting
the others.

The sentry is trained in seconds on the code-made tone dataset (``tests/jobs/tiny_data.py``: an
800 Hz burst is the wake word). So little training does not separate the tone from the rest: at its
uncalibrated 0.5 cutoff it fires near the stream's start and around bursts alike. The spec checks,
through the runtime the route runs, that it fires on the WAV the microphone plays, and then that the
page plots the scores and lists a detection; it proves the page's path, not the model's judgement.
The judge is trained long enough to tell the tones apart (measured: 0.95 on an 800 Hz buffer,
0.33–0.39 on a 300 Hz one, cutoff 0.5); its spec checks, again through the runtime, that the
microphone's WAV gives both verdicts before it looks for them in the page.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from e2e_support import Studio, as_wav_file, launch, screenshot
from playwright.sync_api import expect

from wakesmith import api
from wakesmith.runtime.cascade import trigger_buffer, trigger_samples
from wakesmith.runtime.detector import detect

sys.path.insert(0, str(Path(__file__).parents[1] / "jobs"))
from tiny_data import make_dataset, tone

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DATASET = "live_tones"
SENTRY = ["train.epochs=2", "train.samples_per_epoch=128", "train.checkpoint_every_n_steps=1000"]
JUDGE = [
    "train.epochs=8",
    "train.samples_per_epoch=256",
    "train.lr=0.008",
    "train.batch_size=32",
    "train.num_workers=0",
    "train.checkpoint_every_n_steps=1000",
    "augment.enabled=false",
    "model.params={channels: 16, blocks: 2}",
]
"""About 45 s on two cores: enough for the judge recipe to separate the 800 Hz tone from the 300 Hz one."""
SR = 16_000


@pytest.fixture(scope="module")
def tone_sentry(studio: Studio) -> str:
    """A sentry trained in the studio's home on the tone dataset (not made current)."""
    make_dataset(studio.home, DATASET)
    return api.train("tiny", overrides=[f"dataset={DATASET}", *SENTRY], home=studio.home).artifact.model_id


@pytest.fixture(scope="module")
def tone_judge(studio: Studio, tone_sentry: str) -> str:
    """A judge trained in the studio's home on the tone dataset (not made current: the page lists it)."""
    return api.train("judge", overrides=[f"dataset={DATASET}", *JUDGE], home=studio.home).artifact.model_id


def test_the_live_test_plots_the_sentry_and_lists_a_detection(
    playwright: Any, studio: Studio, tone_sentry: str, tmp_path: Path
) -> None:
    from wakesmith.server.routes.live import load_sentry

    quiet = np.zeros(SR * 2, np.float32)
    positive = np.concatenate([quiet, tone(800, 4242), quiet, quiet])
    sentry = load_sentry(tone_sentry, studio.home)
    assert detect(sentry.scorer.score(positive), sentry.detector.cfg, sentry.scorer.step_seconds), (
        "the tone sentry does not fire on the microphone's WAV"
    )
    browser = launch(playwright, as_wav_file(positive, tmp_path / "positive.wav"))
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.grant_permissions(["microphone"], origin=studio.url)
        page = context.new_page()
        page.goto(studio.page_url())
        expect(page.get_by_role("heading", name="Wake words")).to_be_visible()
        page.get_by_role("link", name="Models").click()
        page.get_by_role("link", name=f"Live test {tone_sentry}").click()
        expect(page.get_by_role("heading", name="Live test")).to_be_visible()
        page.get_by_label("Judge", exact=True).select_option("none")
        page.get_by_role("button", name="Start live test").click()
        expect(page.get_by_label("Live test models")).to_contain_text(f"Sentry {tone_sentry} (float ONNX")
        expect(page.get_by_label("Sentry scores")).to_contain_text("sentry score", timeout=10_000)
        detection = page.get_by_role("list", name="Detections").get_by_role("listitem").first
        expect(detection).to_contain_text(re.compile(r"Detected at \d+\.\d s .* no judge"), timeout=15_000)
        screenshot(page, "live-test")
        page.get_by_role("button", name="Stop live test").click()
        expect(page.get_by_role("button", name="Start live test")).to_be_enabled()
        expect(page.get_by_label("Sentry scores")).to_have_text("Stopped.")
    finally:
        browser.close()


def test_a_judge_chosen_in_the_page_accepts_the_wake_tone_and_rejects_the_other(
    playwright: Any, studio: Studio, tone_sentry: str, tone_judge: str, tmp_path: Path
) -> None:
    from wakesmith.server.routes.live import load_judge, load_sentry

    quiet = np.zeros(SR * 2, np.float32)
    microphone = np.concatenate([quiet, tone(800, 4242), quiet, tone(300, 77), quiet])
    sentry, judge = load_sentry(tone_sentry, studio.home), load_judge(tone_judge, studio.home)
    assert judge is not None
    looped = np.tile(microphone, 2)  # Chromium loops the file
    ats = trigger_samples(sentry.scorer.score(looped), sentry.scorer, sentry.detector.cfg)
    verdicts = {judge.verify(trigger_buffer(looped, at)).prediction for at in ats}
    assert verdicts == {True, False}, f"the runtime gives {verdicts} on the microphone's WAV (triggers {ats})"
    browser = launch(playwright, as_wav_file(microphone, tmp_path / "tones.wav"))
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.grant_permissions(["microphone"], origin=studio.url)
        page = context.new_page()
        page.goto(studio.page_url())
        expect(page.get_by_role("heading", name="Wake words")).to_be_visible()
        page.goto(f"{studio.url}/#/live?model={tone_sentry}")
        page.get_by_label("Judge", exact=True).select_option(tone_judge)
        page.get_by_role("button", name="Start live test").click()
        expect(page.get_by_label("Live test models")).to_contain_text(f"judge {tone_judge}")
        expect(page.get_by_label("Judge scores", exact=True)).to_contain_text("Judge score", timeout=10_000)
        listed = page.get_by_role("list", name="Detections").get_by_role("listitem")
        expect(listed.filter(has_text="judge accepted").first).to_be_visible(timeout=30_000)
        expect(listed.filter(has_text="judge rejected").first).to_be_visible(timeout=30_000)
        screenshot(page, "live-test-judge")
        page.get_by_role("button", name="Stop live test").click()
    finally:
        browser.close()
