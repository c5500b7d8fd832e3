// Upload WAV (or FLAC/OGG) files: drag them onto the drop zone or pick them with the file input.
// Each file is sent as one recording with the chosen label; the backend converts it to 16 kHz mono.

import { type Recording, uploadRecording } from "../api/client";
import { h, notify } from "../dom";
import { LABELS } from "./clips";

export function uploader(dataset: string, added: (clip: Recording) => void): HTMLElement {
  const label = h("select", { id: "upload-label" }, LABELS.map((l) => h("option", { value: l }, l)));
  const speaker = h("input", { id: "upload-speaker", maxlength: 200 });
  const input = h("input", { id: "upload-files", type: "file", multiple: true, accept: ".wav,.flac,.ogg,audio/wav,audio/x-wav,audio/flac,audio/ogg" });
  const progress = h("ul", { "aria-label": "Uploads", class: "uploads" });

  async function send(files: File[]): Promise<void> {
    for (const file of files) {
      const item = h("li", {}, `${file.name}: uploading…`);
      progress.prepend(item);
      try {
        const clip = await uploadRecording(dataset, file, file.name, { label: label.value, speaker: speaker.value.trim() });
        item.textContent = `${file.name}: added as ${clip.label} (${clip.duration_s.toFixed(2)} s)`;
        added(clip);
      } catch (err) {
        item.textContent = `${file.name}: refused: ${(err as Error).message}`;
        item.className = "warn";
        notify(`${file.name}: ${(err as Error).message}`, "error");
      }
    }
  }

  input.addEventListener("change", () => {
    void send([...(input.files ?? [])]).then(() => (input.value = ""));
  });
  const zone = h(
    "div",
    {
      class: "dropzone",
      role: "region",
      "aria-label": "Drop audio files here",
      ondragover: (e: DragEvent) => {
        e.preventDefault();
        zone.classList.add("over");
      },
      ondragleave: () => zone.classList.remove("over"),
      ondrop: (e: DragEvent) => {
        e.preventDefault();
        zone.classList.remove("over");
        void send([...(e.dataTransfer?.files ?? [])]);
      },
    },
    h("p", {}, "Drop WAV files here, or choose them:"),
    h("label", { for: "upload-files" }, "Audio files to upload"),
    input,
  );
  return h(
    "section",
    { "aria-labelledby": "upload-heading", class: "panel" },
    h("h3", { id: "upload-heading" }, "Upload"),
    h("label", { for: "upload-label" }, "Label for uploaded files"),
    label,
    h("label", { for: "upload-speaker" }, "Speaker of uploaded files"),
    speaker,
    zone,
    progress,
  );
}
