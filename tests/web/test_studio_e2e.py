"""The studio in a real browser: Playwright drives Debian's Chromium against the real server and job
worker, with role and label selectors only (what a person, or a screen reader, sees).

A screenshot of each page lands in ``$WAKESMITH_ARTIFACTS`` (default ``tests/web/artifacts/``).
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from e2e_support import (
    TOKEN,
    Studio,
    as_wav_file,
    clips_table,
    launch,
    new_dataset,
    screenshot,
    tone,
    visit,
)
from playwright.sync_api import expect

from wakesmith.config import DetectorConfig
from wakesmith.data.splits import DEFAULT_RATIOS, bucket, group_key, split_of
from wakesmith.evaluate.report import EvalReport

pytestmark = pytest.mark.e2e

FAST = {"train.epochs": 1, "train.samples_per_epoch": 32, "train.checkpoint_every_n_steps": 1}
"""The tiny recipe cut to two steps: a real training job (features, Lightning, artifact, ONNX) in seconds."""
TRAIN_WAIT_MS = 120_000


def test_a_wake_word_is_made_from_its_phrase(page: Any, studio: Studio) -> None:
    visit(page, studio)
    expect(page.get_by_label("Studio machine")).to_contain_text(
        re.compile(r"^live · CPU load [\d.]+ of \d+ cores")
    )
    page.get_by_label("Wake phrase").fill("Hey Wakesmith")
    page.get_by_label("Synthesize speech for it (espeak-ng voices)").uncheck()
    page.get_by_role("button", name="Create wake word").click()
    expect(page).to_have_url(re.compile(r"#/datasets/hey_wakesmith$"))
    expect(page.get_by_role("heading", name="“Hey Wakesmith”")).to_be_visible()
    expect(page.get_by_role("button", name="Train")).to_be_disabled()
    expect(page.get_by_role("button", name="Train")).to_have_accessible_description(
        "Needs 50 more positives (has 0 of 50) and 50 more negatives (has 0 of 50)."
    )
    screenshot(page, "dataset-new")
    page.get_by_role("link", name="← All wake words").click()
    card = page.get_by_role("listitem", name="Hey Wakesmith")
    expect(card).to_contain_text("hey_wakesmith")
    assert {"id": "hey_wakesmith", "phrase": "Hey Wakesmith", "clips": 0} in studio.api.get(
        "/api/datasets"
    ).json()
    screenshot(page, "dashboard")


def test_without_a_token_the_page_asks_for_it(page: Any, studio: Studio) -> None:
    new_dataset(studio, "signed_in", "sign me in")
    page.goto(f"{studio.url}/")
    expect(page.get_by_role("form", name="Sign in")).to_be_visible()
    screenshot(page, "sign-in")
    page.get_by_label("Studio token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("listitem", name="sign me in")).to_be_visible()
    page.reload()  # the token is kept
    expect(page.get_by_role("listitem", name="sign me in")).to_be_visible()


def test_without_the_status_socket_the_page_polls(page: Any, studio: Studio) -> None:
    page.route_web_socket(re.compile(r"/api/status"), lambda ws: ws.close())
    new_dataset(studio, "polled")
    visit(page, studio, "/datasets/polled")
    expect(page.get_by_role("button", name="Train")).to_be_disabled()
    carol = studio.upload("polled", tone(800, 3), "positive", "carol")
    expect(page.get_by_label(f"Speaker of clip {carol['id']}")).to_have_value("carol", timeout=12_000)
    expect(page.get_by_label("Studio machine")).to_have_text("polling")


def test_a_take_recorded_in_the_browser_becomes_a_clip(page: Any, studio: Studio) -> None:
    new_dataset(studio, "recorded")
    visit(page, studio, "/datasets/recorded")
    page.get_by_label("Negative (other speech)").check()
    page.get_by_label("Speaker", exact=True).fill("mic-tester")
    page.get_by_label("One clip per utterance (split on pauses)").uncheck()  # the take as one clip
    page.get_by_role("button", name="Start recording").click()
    expect(page.get_by_role("button", name="Stop recording")).to_be_enabled()
    page.wait_for_function("document.getElementById('level').value > 0.05")  # the meter moves with the speech
    page.wait_for_timeout(2000)
    page.get_by_role("button", name="Stop recording").click()
    expect(page.get_by_label("Recorded take")).to_be_visible()
    page.get_by_role("button", name="Upload recording").click()
    expect(clips_table(page).locator("tbody tr")).to_have_count(1)
    (clip,) = studio.api.get("/api/recordings", params={"dataset": "recorded"}).json()
    expect(page.get_by_label(f"Speaker of clip {clip['id']}")).to_have_value("mic-tester")
    expect(page.get_by_label(f"Label of clip {clip['id']}")).to_have_value("negative")
    screenshot(page, "dataset-recorded")
    assert (clip["label"], clip["speaker"]) == ("negative", "mic-tester")
    assert 1.5 < clip["duration_s"] < 4.0, clip
    assert clip["rms_dbfs"] > -45, clip  # speech from the fake microphone, not silence
    audio = studio.api.get(f"/api/recordings/{clip['id']}/audio")
    assert audio.status_code == 200 and audio.content[:4] == b"RIFF"


def test_a_take_is_split_into_utterances_and_a_whole_clip_is_split_from_the_table(
    playwright: Any, studio: Studio, tmp_path: Path, spoken_take: tuple[np.ndarray, list[tuple[int, int]]]
) -> None:
    """The backend's VAD cuts a take of phrases with pauses into one clip per phrase; a clip uploaded
    whole is split from its row (and stays restorable); background takes are never split."""
    take, truth = spoken_take
    browser = launch(playwright, as_wav_file(take, tmp_path / "take.wav"))
    try:
        page = browser.new_context().new_page()
        new_dataset(studio, "takes")
        visit(page, studio, "/datasets/takes")
        split = page.get_by_label("One clip per utterance (split on pauses)")
        expect(split).to_be_checked()
        page.get_by_label("Background (room noise)").check()
        expect(split).to_be_disabled()
        page.get_by_label("Positive (the wake phrase)").check()
        expect(split).to_be_enabled()
        page.get_by_role("button", name="Start recording").click()
        page.wait_for_function("document.getElementById('level').value > 0.05")
        page.wait_for_timeout(int(1000 * truth[1][1] / 16_000) + 500)  # past the second phrase
        page.get_by_role("button", name="Stop recording").click()
        page.get_by_role("button", name="Upload recording").click()
        expect(page.get_by_role("status")).to_contain_text("clips from the take")
        clips = studio.api.get("/api/recordings", params={"dataset": "takes"}).json()
        assert len(clips) >= 2 and {c["label"] for c in clips} == {"positive"}, clips
        assert all(c["duration_s"] < 2.5 for c in clips), clips  # phrases, not the take
        expect(clips_table(page).locator("tbody tr")).to_have_count(len(clips))

        whole = studio.upload("takes", take, "negative", speaker="whole")
        page.reload()
        page.get_by_role("button", name=f"Split clip {whole['id']}").click()
        expect(page.get_by_role("status")).to_contain_text(f"Clip {whole['id']} split into 3 clips")
        label = page.get_by_label(f"Label of clip {whole['id']}")
        expect(clips_table(page).get_by_role("row").filter(has=label)).to_contain_text("discarded")
        expect(clips_table(page).locator("tbody tr")).to_have_count(len(clips) + 4)
        screenshot(page, "dataset-takes")
        listed = studio.api.get("/api/recordings", params={"dataset": "takes"}).json()
        assert sorted(c["speaker"] for c in listed if c["label"] == "negative") == ["whole"] * 3
    finally:
        browser.close()


def test_a_clipping_microphone_is_warned_about(playwright: Any, studio: Studio, tmp_path: Path) -> None:
    t = np.arange(2 * 16_000) / 16_000
    loud = np.sign(np.sin(2 * np.pi * 220 * t)).astype(np.float32)  # a square wave at full scale
    browser = launch(playwright, as_wav_file(loud, tmp_path / "loud.wav"))
    try:
        page = browser.new_context().new_page()
        new_dataset(studio, "clipping")
        visit(page, studio, "/datasets/clipping")
        warning = page.get_by_role("alert").filter(has_text="Clipping")
        expect(warning).to_be_hidden()
        page.get_by_role("button", name="Start recording").click()
        expect(warning).to_be_visible()
        page.get_by_role("button", name="Stop recording").click()
        screenshot(page, "record-clipping")
    finally:
        browser.close()


def test_wav_files_are_uploaded_by_the_file_input_and_by_dropping(
    page: Any, studio: Studio, speech_wav: Path, tmp_path: Path
) -> None:
    new_dataset(studio, "uploaded")
    visit(page, studio, "/datasets/uploaded")
    page.get_by_label("Label for uploaded files").select_option("background")
    hum = as_wav_file(tone(120, 7, seconds=1.5), tmp_path / "hum.wav")
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("not a wav file")
    page.get_by_label("Audio files to upload").set_input_files([str(speech_wav), str(hum), str(not_audio)])
    uploads = page.get_by_role("list", name="Uploads")
    expect(uploads).to_contain_text("hum.wav: added as background (1.50 s)")
    expect(uploads).to_contain_text("notes.wav: refused")
    expect(clips_table(page).locator("tbody tr")).to_have_count(2)
    labels = sorted(
        c["label"] for c in studio.api.get("/api/recordings", params={"dataset": "uploaded"}).json()
    )
    assert labels == ["background", "background"]

    # drag and drop: a file dropped on the zone (the drop event a file manager's drag ends in)
    page.get_by_label("Label for uploaded files").select_option("positive")
    dropped = base64.b64encode(as_wav_file(tone(800, 11), tmp_path / "dropped.wav").read_bytes()).decode()
    transfer = page.evaluate_handle(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], "dropped.wav", { type: "audio/wav" }));
            return dt;
        }""",
        dropped,
    )
    page.get_by_role("region", name="Drop audio files here").dispatch_event(
        "drop", {"dataTransfer": transfer}
    )
    expect(uploads).to_contain_text("dropped.wav: added as positive (1.00 s)")
    expect(clips_table(page).locator("tbody tr")).to_have_count(3)


def test_a_clip_is_discarded_restored_and_relabelled(page: Any, studio: Studio) -> None:
    new_dataset(studio, "edited")
    first = studio.upload("edited", tone(800, 1), "positive", "anna")
    bob = studio.upload("edited", tone(300, 2), "negative", "bob")
    visit(page, studio, "/datasets/edited")
    cid = first["id"]
    row = clips_table(page).get_by_role("row").filter(has=page.get_by_label(f"Label of clip {cid}"))
    row.get_by_role("button", name="Discard").click()
    expect(row).to_contain_text("discarded")
    expect(row.get_by_role("cell").nth(1)).to_have_text("1")  # its "Added" number stays
    expect(
        clips_table(page)
        .get_by_role("row")
        .filter(has=page.get_by_label(f"Label of clip {bob['id']}"))
        .get_by_role("cell")
        .nth(1)
    ).to_have_text("2")
    assert studio.api.get(f"/api/recordings/{cid}").json()["deleted"] is True
    expect(page.get_by_role("region", name="Dataset health")).to_contain_text("Discarded1")
    screenshot(page, "dataset-discarded")
    row.get_by_role("button", name="Restore").click()
    expect(row.get_by_role("button", name="Discard")).to_be_visible()
    assert studio.api.get(f"/api/recordings/{cid}").json()["deleted"] is False

    page.get_by_label(f"Label of clip {cid}").select_option("hard_negative")
    expect(page.get_by_role("status")).to_contain_text(f"Clip {cid} relabelled hard_negative.")
    row.focus()
    page.keyboard.press("b")  # keyboard labelling on a focused row
    expect(page.get_by_label(f"Label of clip {cid}")).to_have_value("background")
    assert studio.api.get(f"/api/recordings/{cid}").json()["label"] == "background"
    page.get_by_role("button", name="Speaker").click()  # sort by speaker, ascending
    expect(clips_table(page).locator("tbody tr").first.get_by_role("textbox")).to_have_value("anna")
    page.get_by_label(f"Speaker of clip {cid}").fill("anna k")
    page.get_by_label(f"Speaker of clip {cid}").press("Enter")  # inline speaker edit
    expect(page.get_by_role("status")).to_contain_text(f"Clip {cid}: speaker anna k.")
    assert studio.api.get(f"/api/recordings/{cid}").json()["speaker"] == "anna k"
    page.get_by_role("button", name=f"Play clip {cid}").click()
    page.wait_for_function(
        "document.querySelector('audio[aria-label=\"Clip playback\"]').src.startsWith('blob:')"
    )


def _speakers(dataset: str, per_split: dict[str, int]) -> list[str]:
    """Speaker names whose speaker-grouped split (a hash of dataset and speaker) is the one wanted, so
    that every split holds both labels however the clips arrive."""
    found: dict[str, list[str]] = {name: [] for name in per_split}
    n = 0
    while any(len(found[k]) < v for k, v in per_split.items()):
        name = f"s{n}"
        split = split_of(bucket(dataset, group_key("", name)), DEFAULT_RATIOS)
        if len(found[split]) < per_split[split]:
            found[split].append(name)
        n += 1
    return [name for names in found.values() for name in names]


def _seed_training_clips(studio: Studio, dataset: str, speakers: list[str], positives: int) -> None:
    """Three negatives (a 300 Hz burst) and one background per speaker; positives (800 Hz) over them all."""
    for i, spk in enumerate(speakers):
        for k in range(3):
            studio.upload(dataset, tone(300, 1000 + i * 10 + k), "negative", spk)
        noise = (0.01 * np.random.default_rng(i).standard_normal(32_000)).astype(np.float32)
        studio.upload(dataset, noise, "background", spk)
    for n in range(positives):
        studio.upload(dataset, tone(800, n), "positive", speakers[n % len(speakers)])


def test_train_waits_for_the_minimum_then_a_job_runs_and_its_model_deploys(
    page: Any, studio: Studio, worker: None, tmp_path: Path
) -> None:
    new_dataset(studio, "trained")
    speakers = _speakers("trained", {"train": 16, "val": 2, "test": 2})
    _seed_training_clips(studio, "trained", speakers, positives=49)
    with page.expect_websocket() as socket:
        visit(page, studio, "/datasets/trained")
    assert "/api/status?token=" in socket.value.url  # live updates come from the socket, not polling
    train = page.get_by_role("button", name="Train")
    expect(train).to_be_disabled()
    expect(train).to_have_accessible_description("Needs 1 more positives (has 49 of 50).")
    screenshot(page, "train-disabled")

    for n in range(49, 60):  # the status socket tells the page; it re-reads the dataset
        studio.upload("trained", tone(800, n), "positive", speakers[n % len(speakers)])
    expect(train).to_be_enabled()
    expect(train).to_have_accessible_description("Ready to train.")

    page.get_by_text("Advanced").click()
    page.get_by_label("Recipe").fill("tiny")
    page.get_by_label("Overrides (JSON)").fill(json.dumps(FAST))
    page.get_by_label("Calibrate thresholds after training").uncheck()
    train.click()
    jobs = page.get_by_role("list", name="Jobs")
    job = jobs.get_by_role("listitem", name=re.compile(r"^Job "))
    expect(job).to_have_count(1)
    expect(job.get_by_role("heading")).to_contain_text(re.compile("train job .*: (queued|running|succeeded)"))
    expect(job.get_by_role("list", name="Stages")).to_contain_text("data:")
    expect(job.get_by_role("heading")).to_contain_text(re.compile("succeeded|failed"), timeout=TRAIN_WAIT_MS)
    (listed,) = [j for j in studio.api.get("/api/jobs").json() if j["spec"]["dataset_id"] == "trained"]
    assert listed["state"] == "succeeded", listed["error"]
    expect(job.get_by_role("list", name="Stages")).to_contain_text("train: done")
    screenshot(page, "train-succeeded")
    model_id = listed["result"]["model_id"]

    job.get_by_role("button", name=f"Deploy {model_id}").click()
    expect(page.get_by_role("heading", name=f"Deploy {model_id}")).to_be_visible()
    row = page.get_by_role("table", name="Models").get_by_role("row", name=model_id)
    expect(row).to_contain_text("sentry")
    expect(row).to_contain_text("not evaluated")
    page.get_by_label("Deploy to").select_option("custom_wake_words")
    page.get_by_label("Folder").fill(str(tmp_path / "custom_wake_words"))
    page.get_by_role("button", name="Deploy now").click()
    result = page.get_by_role("status", name="Deploy result")
    expect(result).not_to_be_empty()
    (record,) = [d for d in studio.api.get("/api/deploys").json() if d["model_id"] == model_id]
    assert (record["model_id"], record["state"]) == (
        model_id,
        "failed",
    )  # a sentry without its ESPHome export
    expect(result).to_contain_text(f"Deploy {record['id']}: failed")
    expect(result).to_contain_text("has no ESPHome export; export it first")
    deploys = page.get_by_role("table", name="Deploys")
    expect(deploys.get_by_role("row", name=re.compile(record["id"]))).to_contain_text("failed")

    # The report figures and plots: an evaluation report saved beside the model as api.evaluate saves
    # it (EvalReport.save: report.json and the PNGs), by hand; evaluating for real needs confusables
    # and hours of speech this dataset lacks.
    report = EvalReport.model_validate(
        {
            "model_id": model_id,
            "role": "sentry",
            "step_s": 0.01,
            "detector": DetectorConfig().model_dump(),
            "positives": 12,
            "streams": [{"name": "speech", "hours": 0.5, "fa_per_hour": [2.0, 0.0]}],
            "thresholds": [0.5, 0.9],
            "fa_per_hour": [2.0, 0.0],
            "frr": [0.0, 0.25],
            "operating_points": [
                {
                    "name": "strict",
                    "target_fa_per_hour": 0.1,
                    "threshold": 0.9,
                    "fa_per_hour": 0.0,
                    "recall": 0.75,
                    "frr": 0.25,
                    "met": True,
                }
            ],
            "eer": 0.125,
            "pauc": 0.9,
            "pauc_max_fa_per_hour": 1.0,
            "histogram": {"edges": [0.0, 1.0], "positive": [12], "negative": [3]},
            "confusion": [[3, 0], [3, 9]],
            "confusion_threshold": 0.9,
        }
    )
    report.save(Path(listed["result"]["path"]))
    page.reload()
    expect(row).to_contain_text("EER 12.5 % · 12 positives · 0.5 h of negatives")
    expect(row.get_by_role("list", name=f"Operating points of {model_id}")).to_have_text(
        "strict: threshold 0.90, 0.00 FA/h, recall 75.0 %"
    )
    plots = row.get_by_role("group", name=f"Plots of {model_id}")
    expect(plots.get_by_role("img", name="DET curve")).to_have_count(0)  # fetched when opened
    plots.get_by_text("Plots", exact=True).click()
    for name in ("DET curve", "Score histograms", "Confusion matrix"):
        expect(plots.get_by_role("img", name=name)).to_be_visible()
    screenshot(page, "models")


def test_a_synthesis_request_is_queued_from_the_form(page: Any, studio: Studio) -> None:
    visit(page, studio)
    page.get_by_label("Wake phrase").fill("ok forge")
    page.get_by_label("Positives to synthesize").fill("3")
    page.get_by_label("Language of the phrase").select_option("de")
    page.get_by_role("button", name="Create wake word").click()
    expect(page.get_by_role("heading", name="“ok forge”")).to_be_visible()
    (job,) = [j for j in studio.api.get("/api/jobs").json() if j["kind"] == "synthesize"]
    assert job["state"] == "queued" and job["spec"]["dataset_id"] == "ok_forge"
    synth = job["spec"]["synth"]
    assert (synth["phrase"], synth["positives"], synth["language"]) == ("ok forge", 3, "de")
    assert synth["voices"] == ["de"] and synth["piper_bundled"] is False  # the language's voices
    card = page.get_by_role("list", name="Jobs").get_by_role("listitem", name=f"Job {job['id']}")
    expect(card.get_by_role("heading")).to_have_text(f"synthesize job {job['id']}: queued")
    # No worker runs in this spec (synthesizing even 10 clips takes about a minute here): the job is
    # cancelled from its card before anything claims it.
    card.get_by_role("button", name="Cancel job").click()
    expect(card.get_by_role("heading")).to_have_text(f"synthesize job {job['id']}: cancelled")
    assert studio.api.get(f"/api/jobs/{job['id']}").json()["state"] == "cancelled"


def test_under_ingress_the_page_works_below_the_proxy_prefix(
    browser: Any, ingress_studio: str, tmp_path: Path
) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        with page.expect_websocket() as socket:
            page.goto(ingress_studio)  # no token: the proxy vouches for the user
        assert socket.value.url.startswith(ingress_studio.replace("http", "ws", 1) + "api/status")
        page.get_by_label("Wake phrase").fill("hey ingress")
        page.get_by_label("Synthesize speech for it (espeak-ng voices)").uncheck()
        page.get_by_role("button", name="Create wake word").click()
        expect(page.get_by_role("heading", name="“hey ingress”")).to_be_visible()
        page.get_by_label("Audio files to upload").set_input_files(
            str(as_wav_file(tone(800, 5), tmp_path / "a.wav"))
        )
        expect(clips_table(page).locator("tbody tr")).to_have_count(1)
        screenshot(page, "ingress-dataset")
        audit = httpx.get(f"{ingress_studio}api/audit", timeout=10).json()
        assert [(a["user"], a["action"]) for a in audit] == [("e2e", "upload"), ("e2e", "create_dataset")]
    finally:
        context.close()
