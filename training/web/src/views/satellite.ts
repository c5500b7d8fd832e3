// Record from a satellite: the studio connects to an ESPHome satellite's native API and records takes
// from its own microphone (POST /api/datasets/{id}/satellite-recordings), each stored as a clip with
// the chosen label as it arrives. The request answers once the device is checked; the page then follows
// the session (GET /api/satellite-recordings/{id}), saying which take waits for the device.

import { api, call, type Recording } from "../api/client";
import { h, notify, seconds as secondsText } from "../dom";
import { LABELS } from "./clips";

const DEFAULT_PORT = 6053; // ESPHome's api: component unless its YAML says otherwise
const MAX_SECONDS = 30; // the route's limit for one take
const MAX_TAKES = 50;
const POLL_MS = 400;

export function satelliteRecorder(dataset: string, recorded: (clips: Recording[]) => void): HTMLElement {
  const host = h("input", { id: "sat-host", required: true, maxlength: 253, placeholder: "kitchen-satellite.local", autocomplete: "off" });
  const port = h("input", { id: "sat-port", type: "number", required: true, min: 1, max: 65535, value: String(DEFAULT_PORT) });
  const key = h("input", { id: "sat-key", type: "password", maxlength: 100, autocomplete: "off", placeholder: "base64" });
  const password = h("input", { id: "sat-password", type: "password", maxlength: 200, autocomplete: "off" });
  const label = h("select", { id: "sat-label" }, LABELS.map((l) => h("option", { value: l }, l)));
  const speaker = h("input", { id: "sat-speaker", maxlength: 200, placeholder: "the device's name" });
  const seconds = h("input", { id: "sat-seconds", type: "number", required: true, min: 0.5, max: MAX_SECONDS, step: 0.5, value: "3" });
  const takes = h("input", { id: "sat-takes", type: "number", required: true, min: 1, max: MAX_TAKES, step: 1, value: "1" });
  const submit = h("button", { type: "submit" }, "Record from satellite");
  const progress = h("ul", { "aria-label": "Satellite takes", class: "uploads" });

  async function record(): Promise<void> {
    const where = `${host.value.trim()}:${port.value}`;
    const count = Number(takes.value);
    const item = h("li", {}, `${where}: recording ${count} take${count === 1 ? "" : "s"}…`);
    progress.prepend(item);
    submit.disabled = true;
    try {
      let session = await call(
        api.POST("/api/datasets/{dataset_id}/satellite-recordings", {
          params: { path: { dataset_id: dataset } },
          body: {
            host: host.value.trim(),
            port: Number(port.value),
            noise_psk: key.value.trim() || null,
            password: password.value || null,
            label: label.value,
            speaker: speaker.value.trim(),
            seconds: Number(seconds.value),
            takes: count,
          },
        }),
      );
      while (session.state === "connecting" || session.state === "recording") {
        item.textContent =
          session.waiting_for !== null
            ? `${where}: take ${session.waiting_for} of ${count}: start it on ${session.device || "the satellite"} (its button or wake word) and speak`
            : `${where}: ${session.done} of ${count} takes recorded…`;
        await new Promise((done) => setTimeout(done, POLL_MS));
        session = await call(api.GET("/api/satellite-recordings/{session_id}", { params: { path: { session_id: session.id } } }));
      }
      const clips = session.clips;
      const lengths = clips.map((c) => secondsText(c.duration_s)).join(", ");
      const added = `added ${clips.length} ${label.value} clip${clips.length === 1 ? "" : "s"}${clips.length ? ` (${lengths})` : ""}`;
      if (session.state === "failed") {
        item.textContent = `${where}: stopped after ${session.done} of ${count} takes, ${added}: ${session.error}`;
        item.className = "warn";
      } else {
        item.textContent = `${where}: ${added}`;
      }
      if (clips.length) recorded(clips);
      if (session.state === "failed") notify(session.error, "error"); // after the clips' notice: the reason stays shown
    } catch (err) {
      item.textContent = `${where}: refused: ${(err as Error).message}`;
      item.className = "warn";
      notify((err as Error).message, "error");
    } finally {
      submit.disabled = false;
    }
  }

  return h(
    "form",
    {
      class: "panel",
      "aria-labelledby": "satellite-heading",
      onsubmit: (e: Event) => {
        e.preventDefault();
        void record();
      },
    },
    h("h3", { id: "satellite-heading" }, "Record from a satellite"),
    h(
      "p",
      { class: "muted" },
      "Takes from an ESPHome satellite's own microphone. A satellite with a media player is asked to start each take; on any other, press its button or say its wake word within 30 s. While Home Assistant holds the satellite its takes go there: disable it in the ESPHome integration while recording.",
    ),
    h("label", { for: "sat-host" }, "Satellite address"),
    host,
    h("label", { for: "sat-port" }, "API port"),
    port,
    h("label", { for: "sat-key" }, "Encryption key (api: encryption: key, if any)"),
    key,
    h("label", { for: "sat-password" }, "API password (if any)"),
    password,
    h("label", { for: "sat-label" }, "Label for satellite takes"),
    label,
    h("label", { for: "sat-speaker" }, "Speaker of satellite takes"),
    speaker,
    h("label", { for: "sat-seconds" }, "Seconds per take"),
    seconds,
    h("label", { for: "sat-takes" }, "Takes"),
    takes,
    submit,
    progress,
  );
}
