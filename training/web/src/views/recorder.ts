// Record in the browser: the microphone through WebAudio, a level meter and a clipping warning while
// recording, the take tagged (positive / negative / background) and encoded as 16 kHz mono WAV here,
// then uploaded: as one clip, or (the default for speech) split by the backend's VAD into one clip per
// utterance, so "hey katya … hey katya … hey katya" in one take becomes three clips.

import { type Recording, uploadRecording, uploadTake } from "../api/client";
import { h, notify } from "../dom";
import { CLIP_LEVEL, concat, encodeWav, levels, resample, TARGET_RATE } from "../audio/wav";

const TAGS = [
  ["positive", "Positive (the wake phrase)"],
  ["negative", "Negative (other speech)"],
  ["background", "Background (room noise)"],
] as const;
const FRAME = 4096;
const MAX_SECONDS = 120; // the backend's default max_take_seconds (an unsplit clip: max_clip_seconds, 30 s)

interface Take {
  samples: Float32Array;
  clipped: boolean;
}

export function recorder(dataset: string, added: (clips: Recording[]) => void): HTMLElement {
  let stopCapture: (() => Promise<Take>) | null = null;
  let take: Take | null = null;
  let previewUrl = "";

  const meter = h("meter", { id: "level", min: 0, max: 1, low: 0.5, high: 0.9, optimum: 0.3, value: 0 });
  const clipping = h("p", { role: "alert", class: "warn", hidden: true }, "Clipping: the input reached full scale. Move back from the microphone or lower its gain, then record again.");
  const elapsed = h("span", { class: "muted" }, "");
  const speaker = h("input", { id: "rec-speaker", maxlength: 200, placeholder: "your name" });
  const start = h("button", { type: "button" }, "Start recording");
  const stop = h("button", { type: "button", disabled: true }, "Stop recording");
  const preview = h("audio", { controls: true, "aria-label": "Recorded take", hidden: true });
  const upload = h("button", { type: "button", disabled: true }, "Upload recording");
  const drop = h("button", { type: "button", disabled: true }, "Discard take");
  const split = h("input", { type: "checkbox", id: "rec-split", checked: true });
  const tags = h(
    "fieldset",
    {},
    h("legend", {}, "Tag this take as"),
    TAGS.map(([value, text], i) =>
      h("label", { class: "inline" }, h("input", { type: "radio", name: "rec-tag", value, checked: i === 0 }), text),
    ),
  );

  // Background is room noise, not utterances: it is stored whole.
  tags.addEventListener("change", () => {
    split.disabled = (tags.querySelector("input:checked") as HTMLInputElement).value === "background";
  });

  const setTake = (t: Take | null) => {
    take = t;
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = t ? URL.createObjectURL(encodeWav(t.samples)) : "";
    preview.src = previewUrl;
    preview.hidden = !t;
    upload.disabled = drop.disabled = !t;
  };

  start.addEventListener("click", async () => {
    setTake(null);
    clipping.hidden = true;
    try {
      stopCapture = await capture(
        (level, clipped) => {
          meter.value = level;
          if (clipped) clipping.hidden = false;
        },
        (s) => (elapsed.textContent = `${s.toFixed(1)} s`),
      );
      start.disabled = true;
      stop.disabled = false;
      notify("Recording…");
    } catch (err) {
      notify(`The microphone could not be opened: ${(err as Error).message}`, "error");
    }
  });
  stop.addEventListener("click", async () => {
    if (!stopCapture) return;
    const t = await stopCapture();
    stopCapture = null;
    start.disabled = false;
    stop.disabled = true;
    meter.value = 0;
    setTake(t);
    notify(`Recorded ${(t.samples.length / TARGET_RATE).toFixed(1)} s.`);
  });
  upload.addEventListener("click", async () => {
    if (!take) return;
    const label = (tags.querySelector("input:checked") as HTMLInputElement).value;
    upload.disabled = true;
    try {
      const fields = {
        label,
        speaker: speaker.value.trim(),
        notes: take.clipped ? "recorded in the studio (clipped)" : "recorded in the studio",
      };
      const wav = encodeWav(take.samples);
      const name = `recording-${Date.now()}.wav`;
      const clips = split.checked && !split.disabled ? await uploadTake(dataset, wav, name, fields) : [await uploadRecording(dataset, wav, name, fields)];
      setTake(null);
      elapsed.textContent = "";
      added(clips);
    } catch (err) {
      notify((err as Error).message, "error");
      upload.disabled = false;
    }
  });
  drop.addEventListener("click", () => setTake(null));

  return h(
    "section",
    { "aria-labelledby": "record-heading", class: "panel" },
    h("h3", { id: "record-heading" }, "Record"),
    tags,
    h("label", { class: "inline" }, split, "One clip per utterance (split on pauses)"),
    h("label", { for: "rec-speaker" }, "Speaker"),
    speaker,
    h("div", { class: "inline" }, start, stop, elapsed),
    h("label", { for: "level" }, "Input level"),
    meter,
    clipping,
    preview,
    h("div", { class: "inline" }, upload, drop),
  );
}

/** Open the microphone; calls `onLevel` per frame; the returned function stops and gives the take. */
async function capture(onLevel: (peak: number, clipped: boolean) => void, onTime: (s: number) => void): Promise<() => Promise<Take>> {
  const stream = await navigator.mediaDevices.getUserMedia({
    // the raw signal: the browser's voice processing would colour the training data
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  const context = new AudioContext();
  const source = context.createMediaStreamSource(stream);
  // ScriptProcessorNode is deprecated in favour of AudioWorklet, but it needs no separate module and
  // every browser still has it; a take is at most 30 s.
  const processor = context.createScriptProcessor(FRAME, 1, 1);
  const chunks: Float32Array[] = [];
  let clipped = false;
  let total = 0;
  processor.onaudioprocess = (e) => {
    const frame = new Float32Array(e.inputBuffer.getChannelData(0));
    if (total / context.sampleRate >= MAX_SECONDS) return;
    chunks.push(frame);
    total += frame.length;
    const l = levels(frame);
    clipped ||= l.peak >= CLIP_LEVEL;
    onLevel(l.peak, l.peak >= CLIP_LEVEL);
    onTime(total / context.sampleRate);
  };
  source.connect(processor);
  processor.connect(context.destination); // a ScriptProcessor only runs when connected to the output
  return async () => {
    processor.disconnect();
    source.disconnect();
    for (const t of stream.getTracks()) t.stop();
    const rate = context.sampleRate;
    await context.close();
    return { samples: resample(concat(chunks), rate, TARGET_RATE), clipped };
  };
}
