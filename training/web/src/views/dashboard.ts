// Wake words: one card per dataset (counts, minutes, balance, warnings) and the "New wake word" form.

import { api, call, type DatasetDetail } from "../api/client";
import { fill, h, minutes, notify } from "../dom";
import { balance, counts, slug } from "../rules";
import { subscribe } from "../status";

export function renderDashboard(app: HTMLElement): () => void {
  const cards = h("div", { class: "cards", role: "list", "aria-label": "Wake words" });
  fill(app, h("h2", {}, "Wake words"), newWakeWordForm(), cards);
  const load = () => loadCards(cards).catch((e: Error) => notify(e.message, "error"));
  void load();
  return subscribe((m) => {
    if (m.topic === "dataset") void load();
  });
}

async function loadCards(cards: HTMLElement): Promise<void> {
  const datasets = await call(api.GET("/api/datasets"));
  const details = await Promise.all(
    datasets.map((d) => call(api.GET("/api/datasets/{dataset_id}", { params: { path: { dataset_id: d.id } } }))),
  );
  fill(cards, details.length ? details.map(card) : h("p", {}, "No wake words yet: type a phrase above."));
}

function card(d: DatasetDetail): HTMLElement {
  const c = counts(d);
  const health = d.health as { minutes_by_label?: Record<string, number>; warnings?: string[]; speakers?: number } | null;
  const total = Object.values(health?.minutes_by_label ?? {}).reduce((a, b) => a + b, 0);
  const bal = balance(c);
  const warnings = health?.warnings ?? [];
  return h(
    "article",
    { class: "card", role: "listitem", "aria-labelledby": `card-${d.id}` },
    h("h3", { id: `card-${d.id}` }, h("a", { href: `#/datasets/${encodeURIComponent(d.id)}` }, d.phrase || d.id)),
    h("p", { class: "muted" }, d.id),
    h(
      "dl",
      {},
      h("dt", {}, "Clips"), h("dd", {}, d.clips),
      h("dt", {}, "Minutes"), h("dd", {}, minutes(total)),
      h("dt", {}, "Positives"), h("dd", {}, c.positives),
      h("dt", {}, "Negatives"), h("dd", {}, c.negatives),
      h("dt", {}, "Background"), h("dd", {}, c.background),
      h("dt", {}, "Speakers"), h("dd", {}, health?.speakers ?? 0),
      h("dt", {}, "Balance"), h("dd", { class: bal.ok ? "" : "warn" }, bal.text),
    ),
    !health
      ? h("p", { class: "muted" }, "No clips yet: record, upload or synthesize some.")
      : warnings.length
        ? h("ul", { class: "warnings", "aria-label": `Warnings for ${d.id}` }, warnings.map((w) => h("li", {}, w)))
        : h("p", { class: "ok" }, "No warnings."),
  );
}

function newWakeWordForm(): HTMLElement {
  const phrase = h("input", { id: "phrase", required: true, maxlength: 200, placeholder: "hey katya" });
  const name = h("input", { id: "dataset-name", maxlength: 100, pattern: "[A-Za-z0-9][A-Za-z0-9_.\\-]*" });
  const synth = h("input", { id: "synthesize", type: "checkbox", checked: true });
  const positives = h("input", { id: "synth-positives", type: "number", min: 1, max: 20000, value: "500" });
  const language = h(
    "select",
    { id: "synth-language" },
    h("option", { value: "en" }, "English"),
    h("option", { value: "de" }, "German"),
    h("option", { value: "fr" }, "French"),
  ) as HTMLSelectElement;
  phrase.addEventListener("input", () => (name.placeholder = slug(phrase.value)));
  const submit = h("button", { type: "submit" }, "Create wake word");
  const form = h(
    "form",
    {
      "aria-labelledby": "new-heading",
      class: "panel",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        submit.disabled = true;
        try {
          const id = name.value.trim() || slug(phrase.value);
          await call(api.POST("/api/datasets", { body: { name: id, phrase: phrase.value.trim() } }));
          if (synth.checked) {
            const n = Number(positives.value);
            // The rest of the synthesis config keeps its defaults; negatives scale with the positives.
            const body = { phrase: phrase.value.trim(), language: language.value, positives: n, confusables: n, negative_speech: n, backgrounds: Math.ceil(n / 5) };
            const job = await call(api.POST("/api/datasets/{dataset_id}/synthesize", { params: { path: { dataset_id: id } }, body }));
            notify(`Synthesis queued (job ${job.job_id}).`);
          }
          window.location.hash = `#/datasets/${encodeURIComponent(id)}`;
        } catch (err) {
          notify((err as Error).message, "error");
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h3", { id: "new-heading" }, "New wake word"),
    h("label", { for: "phrase" }, "Wake phrase"), phrase,
    h("label", { for: "dataset-name" }, "Dataset name (optional)"), name,
    h("div", { class: "inline" }, synth, h("label", { for: "synthesize" }, "Synthesize speech for it (espeak-ng voices)")),
    h("label", { for: "synth-positives" }, "Positives to synthesize"), positives,
    h("label", { for: "synth-language" }, "Language of the phrase"), language,
    submit,
  );
  return form;
}
