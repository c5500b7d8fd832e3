// One wake word: its health, Train (with the reason it is disabled), Record (in the browser or from
// an ESPHome satellite), Upload, the clips and the training jobs. Every part re-reads the dataset
// when the status socket says it changed.

import { api, call, type DatasetDetail, type Recording } from "../api/client";
import { fill, h, minutes, notify } from "../dom";
import { balance, counts } from "../rules";
import { live, subscribe } from "../status";
import { ClipTable } from "./clips";
import { recorder } from "./recorder";
import { satelliteRecorder } from "./satellite";
import { TrainPanel } from "./train";
import { uploader } from "./upload";

const POLL_MS = 5000;

export function renderDataset(app: HTMLElement, id: string): () => void {
  const summary = h("section", { "aria-labelledby": "health-heading", class: "panel" });
  const train = new TrainPanel(id, () => void refresh());
  const clips = new ClipTable(() => void refresh());
  const title = h("h2", {}, id);

  async function refresh(): Promise<void> {
    try {
      const [detail, list] = await Promise.all([
        call(api.GET("/api/datasets/{dataset_id}", { params: { path: { dataset_id: id } } })),
        call(api.GET("/api/recordings", { params: { query: { dataset: id } } })),
      ]);
      title.textContent = detail.phrase ? `“${detail.phrase}”` : id;
      drawSummary(summary, detail);
      train.update(detail);
      clips.update(list);
    } catch (err) {
      notify((err as Error).message, "error");
    }
  }
  const added = (clip: Recording) => {
    notify(`Added ${clip.label} clip ${clip.id} (${clip.duration_s.toFixed(2)} s).`);
    void refresh();
  };
  const takeAdded = (parts: Recording[]) => {
    const label = parts[0]?.label ?? "";
    notify(parts.length === 1 ? `Added ${label} clip ${parts[0].id} (${parts[0].duration_s.toFixed(2)} s).` : `Added ${parts.length} ${label} clips from the take: ${parts.map((c) => c.id).join(", ")}.`);
    void refresh();
  };
  const recorded = (clips: Recording[]) => {
    notify(`Added ${clips.length} satellite clip${clips.length === 1 ? "" : "s"}: ${clips.map((c) => c.id).join(", ")}.`);
    void refresh();
  };

  fill(
    app,
    h("p", {}, h("a", { href: "#/" }, "← All wake words")),
    title,
    h("div", { class: "columns" }, summary, train.element),
    h("div", { class: "columns" }, recorder(id, takeAdded), satelliteRecorder(id, recorded), uploader(id, added)),
    clips.element,
  );
  void refresh();
  void train.loadJobs();
  let pending: number | undefined;
  // Without the status socket (a server without WebSocket support, a proxy that drops it) the page
  // re-reads the dataset every few seconds instead.
  const poll = window.setInterval(() => {
    if (!live.connected) void refresh();
  }, POLL_MS);
  const unsubscribe = subscribe((m) => {
    if (m.topic === "dataset" && m.event.data.dataset === id) {
      window.clearTimeout(pending); // a burst of changes (a synthesis job) → one refresh
      pending = window.setTimeout(() => void refresh(), 300);
    } else if (m.topic === "job") {
      train.onJobMessage(m);
    }
  });
  return () => {
    window.clearInterval(poll);
    unsubscribe();
  };
}

function drawSummary(box: HTMLElement, d: DatasetDetail): void {
  const c = counts(d);
  const health = d.health as
    | { minutes_by_label: Record<string, number>; warnings: string[]; speakers: number; deleted: number; by_split: Record<string, number> }
    | null;
  const bal = balance(c);
  fill(
    box,
    h("h3", { id: "health-heading" }, "Dataset health"),
    h(
      "dl",
      {},
      h("dt", {}, "Clips"), h("dd", {}, d.clips),
      h("dt", {}, "Positives"), h("dd", { "data-testid": "positives" }, c.positives),
      h("dt", {}, "Negatives"), h("dd", { "data-testid": "negatives" }, c.negatives),
      h("dt", {}, "Background"), h("dd", {}, c.background),
      h("dt", {}, "Minutes"), h("dd", {}, minutes(Object.values(health?.minutes_by_label ?? {}).reduce((a, b) => a + b, 0))),
      h("dt", {}, "Speakers"), h("dd", {}, health?.speakers ?? 0),
      h("dt", {}, "Discarded"), h("dd", {}, health?.deleted ?? 0),
      h("dt", {}, "Balance"), h("dd", { class: bal.ok ? "" : "warn" }, bal.text),
    ),
    health?.warnings.length
      ? h("ul", { class: "warnings", "aria-label": "Warnings" }, health.warnings.map((w) => h("li", {}, w)))
      : null,
  );
}
