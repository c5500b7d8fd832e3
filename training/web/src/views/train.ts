// Train: the button stays disabled until the dataset has the minimum clips (the reason is shown next
// to it and read with it); then the dataset's jobs with their stage progress, live from the status
// socket (or polled when the socket is down), Cancel while they run and Deploy once one succeeded.

import { api, call, type DatasetDetail, type Job } from "../api/client";
import { fill, h, notify } from "../dom";
import { counts, trainBlocker } from "../rules";
import { live, type StatusMessage } from "../status";

const TRAIN_KINDS = new Set(["train", "retrain"]);
const FINAL = new Set(["succeeded", "failed", "cancelled"]);
const POLL_MS = 2000;

export class TrainPanel {
  readonly element: HTMLElement;
  private readonly button = h("button", { type: "submit", disabled: true, "aria-describedby": "train-reason" }, "Train");
  private readonly reason = h("p", { id: "train-reason", class: "reason" }, "Loading the dataset…");
  private readonly jobsList = h("div", { role: "list", "aria-label": "Jobs" });
  private readonly jobs = new Map<string, Job>();
  private readonly seen = new Set<string>();
  private pollTimer: number | undefined;

  /** `finished`: a job of this dataset ended (a synthesis or retrain job changes its clips). */
  constructor(
    private readonly dataset: string,
    private readonly finished: () => void = () => undefined,
  ) {
    const kind = h("select", { id: "train-kind" }, h("option", { value: "sentry" }, "sentry (on the satellite)"), h("option", { value: "judge" }, "judge (server-side check)"));
    const recipe = h("input", { id: "train-recipe", maxlength: 200, placeholder: "the preset named like the kind" });
    const overrides = h("textarea", { id: "train-overrides", rows: 2, placeholder: '{"train.epochs": 5}' });
    const evaluate = h("input", { id: "train-evaluate", type: "checkbox", checked: true });
    const esphome = h("input", { id: "train-esphome", type: "checkbox" });
    const form = h(
      "form",
      {
        "aria-labelledby": "train-heading",
        onsubmit: async (e: Event) => {
          e.preventDefault();
          let parsed: Record<string, unknown> = {};
          try {
            parsed = overrides.value.trim() ? (JSON.parse(overrides.value) as Record<string, unknown>) : {};
          } catch {
            notify('Overrides must be a JSON object, e.g. {"train.epochs": 5}.', "error");
            return;
          }
          this.button.disabled = true;
          try {
            const body = { dataset_id: dataset, kind: kind.value as "sentry" | "judge", recipe: recipe.value.trim() || null, overrides: parsed, evaluate: evaluate.checked, exports: esphome.checked ? ["esphome"] : [] };
            const { job_id } = await call(api.POST("/api/train", { body }));
            notify(`Training queued (job ${job_id}).`);
            await this.refreshJob(job_id);
          } catch (err) {
            notify((err as Error).message, "error");
          } finally {
            this.button.disabled = this.reason.textContent !== "Ready to train.";
          }
        },
      },
      h("h3", { id: "train-heading" }, "Train"),
      h("label", { for: "train-kind" }, "Model"), kind,
      h("details", {},
        h("summary", {}, "Advanced"),
        h("label", { for: "train-recipe" }, "Recipe"), recipe,
        h("label", { for: "train-overrides" }, "Overrides (JSON)"), overrides,
        h("div", { class: "inline" }, evaluate, h("label", { for: "train-evaluate" }, "Calibrate thresholds after training")),
        h("div", { class: "inline" }, esphome, h("label", { for: "train-esphome" }, "Export for ESPHome (needed to deploy to a custom_wake_words folder)")),
      ),
      h("div", { class: "inline" }, this.button, this.reason),
    );
    this.element = h("section", { class: "panel" }, form, h("h3", { id: "jobs-heading" }, "Jobs"), this.jobsList);
  }

  update(detail: DatasetDetail): void {
    const blocker = trainBlocker(counts(detail));
    this.reason.textContent = blocker || "Ready to train.";
    this.reason.classList.toggle("warn", Boolean(blocker));
    this.button.disabled = Boolean(blocker);
  }

  async loadJobs(): Promise<void> {
    try {
      const all = await call(api.GET("/api/jobs"));
      for (const job of all) if (this.mine(job)) this.jobs.set(job.id, job);
      this.draw();
    } catch (err) {
      notify((err as Error).message, "error");
    }
  }

  private mine(job: Job): boolean {
    return (job.spec as { dataset_id?: string }).dataset_id === this.dataset;
  }

  /** A job event from the socket: move its stage and progress; on a stage's end read the whole job. */
  onJobMessage(m: StatusMessage): void {
    if (!m.job_id) return;
    const job = this.jobs.get(m.job_id);
    if (!job) {
      if (!this.seen.has(m.job_id)) void this.adopt(m.job_id); // queued elsewhere (the CLI, Home Assistant)
      return;
    }
    if (!FINAL.has(job.state) && m.state && FINAL.has(m.state)) {
      void this.refreshJob(m.job_id); // the whole job (its result), then `finished`
      return;
    }
    Object.assign(job, { state: m.state ?? job.state, stage: m.event.stage || job.stage, progress: m.progress ?? null, eta_s: m.eta_s ?? null });
    if (m.event.message) job.message = m.event.message;
    if (m.event.name === "stage_finished" || m.event.name === "artifact_saved") void this.refreshJob(m.job_id);
    else this.draw();
  }

  private async adopt(id: string): Promise<void> {
    this.seen.add(id);
    const job = await call(api.GET("/api/jobs/{job_id}", { params: { path: { job_id: id } } }));
    if (this.mine(job)) {
      this.jobs.set(id, job);
      this.draw();
    }
  }

  async refreshJob(id: string): Promise<void> {
    const job = await call(api.GET("/api/jobs/{job_id}", { params: { path: { job_id: id } } }));
    const before = this.jobs.get(id);
    if (before && !FINAL.has(before.state) && FINAL.has(job.state)) this.finished();
    this.jobs.set(id, job);
    this.draw();
  }

  /** Without the socket, poll the jobs that are still going. */
  private schedulePoll(): void {
    window.clearTimeout(this.pollTimer);
    const going = [...this.jobs.values()].filter((j) => !FINAL.has(j.state));
    if (!going.length || !this.element.isConnected) return;
    this.pollTimer = window.setTimeout(async () => {
      if (!live.connected) {
        await Promise.all(going.map((j) => this.refreshJob(j.id).catch(() => undefined)));
      }
      this.schedulePoll();
    }, POLL_MS);
  }

  private draw(): void {
    const jobs = [...this.jobs.values()].sort((a, b) => b.created_at - a.created_at);
    fill(this.jobsList, jobs.length ? jobs.map((j) => this.card(j)) : h("p", { class: "muted" }, "No jobs yet."));
    this.schedulePoll();
  }

  private card(job: Job): HTMLElement {
    const done = job.state === "succeeded";
    const modelId = (job.result as { model_id?: string }).model_id;
    const stages = stagesOf(job);
    const current = stages.indexOf(job.stage);
    const stageItems = stages.map((s, i) => {
      const state = done || i < current ? "done" : i === current ? (FINAL.has(job.state) ? job.state : "current") : "todo";
      return h("li", { class: state, "aria-current": state === "current" ? "step" : undefined }, `${s}: ${state}`);
    });
    return h(
      "article",
      { role: "listitem", class: `job ${job.state}`, "aria-label": `Job ${job.id}` },
      h("h4", {}, `${job.kind} job ${job.id}: `, h("span", { class: "state" }, job.state)),
      stages.length ? h("ol", { class: "stages", "aria-label": "Stages" }, stageItems) : null,
      job.state === "running"
        ? h("progress", { "aria-label": `Progress of stage ${job.stage}`, max: 1, value: job.progress ?? 0 })
        : null,
      h("p", { class: "muted" }, [job.stage && `stage ${job.stage}`, job.message, job.eta_s ? `about ${Math.ceil(job.eta_s)} s left` : ""].filter(Boolean).join(" · ")),
      job.error ? h("p", { class: "warn" }, job.error) : null,
      h(
        "div",
        { class: "inline" },
        FINAL.has(job.state) ? null : h("button", { type: "button", onclick: () => void this.cancel(job.id) }, "Cancel job"),
        done && modelId
          ? h("button", { type: "button", onclick: () => (window.location.hash = `#/models?deploy=${encodeURIComponent(modelId)}`) }, `Deploy ${modelId}`)
          : null,
      ),
    );
  }

  private async cancel(id: string): Promise<void> {
    try {
      this.jobs.set(id, await call(api.POST("/api/jobs/{job_id}/cancel", { params: { path: { job_id: id } } })));
      this.draw();
    } catch (err) {
      notify((err as Error).message, "error");
    }
  }
}

/** The stages a job runs: a training job's data → train → evaluate (if asked) → export (if any); others
 * (synthesis) report their own stage only. */
function stagesOf(job: Job): string[] {
  if (!TRAIN_KINDS.has(job.kind)) return [];
  const spec = job.spec as { evaluate?: boolean; exports?: string[] };
  return ["data", "train", ...(spec.evaluate === false ? [] : ["evaluate"]), ...(spec.exports?.length ? ["export"] : [])];
}
