// Trained models with their report figures (EER, each operating point's threshold, FA/h and recall)
// and plots (DET curve, score histograms, confusion matrix: fetched when their row's Plots is opened),
// a download, and Deploy: to a Judge (its URL, token and served model name) or to an ESPHome
// custom_wake_words folder.

import { api, call, fetchBlob, type Deploy, type Model, type ModelDetail } from "../api/client";
import { fill, h, notify } from "../dom";
import { operatingPoint, plotsOf, summary, type Plot, type Report } from "../report";


export function renderModels(app: HTMLElement, deployId: string): () => void {
  const table = h("table", { "aria-label": "Models" });
  const deploy = h("div", {});
  const history = h("table", { "aria-label": "Deploys" });
  const reloadHistory = () => void loadHistory(history);
  fill(app, h("h2", {}, "Models"), deploy, table, h("h2", {}, "Deploys"), history);
  void load(table, deploy, deployId, reloadHistory);
  reloadHistory();
  return () => undefined;
}

async function loadHistory(table: HTMLElement): Promise<void> {
  try {
    const deploys = await call(api.GET("/api/deploys"));
    const where = (t: Record<string, unknown>) => `${t.kind}: ${String(t.url ?? t.folder ?? "")}${t.name ? ` (${t.name})` : ""}`;
    fill(
      table,
      h("thead", {}, h("tr", {}, ["Deploy", "Model", "State", "Targets", "When", "By"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        deploys.length
          ? deploys.map((d) =>
              h(
                "tr",
                {},
                h("th", { scope: "row" }, d.id, d.rollback_of ? h("span", { class: "badge" }, ` rollback of ${d.rollback_of}`) : null),
                h("td", {}, d.model_id),
                h("td", { class: d.state === "succeeded" ? "ok" : "warn" }, d.state),
                h("td", {}, d.targets.map((t) => where(t)).join("; ")),
                h("td", {}, new Date(d.created_at * 1000).toLocaleString()),
                h("td", {}, d.user),
              ),
            )
          : h("tr", {}, h("td", { colspan: 6 }, "No deploys yet.")),
      ),
    );
  } catch (err) {
    notify((err as Error).message, "error");
  }
}

async function load(table: HTMLElement, deployBox: HTMLElement, deployId: string, deployed: () => void): Promise<void> {
  try {
    const models = await call(api.GET("/api/models"));
    const details = await Promise.all(models.map((m) => call(api.GET("/api/models/{model_id}", { params: { path: { model_id: m.id } } }))));
    const open = (id: string) => fill(deployBox, deployForm(id, deployed));
    fill(
      table,
      h("thead", {}, h("tr", {}, ["Model", "Role", "Phrase", "Dataset", "Created", "Report", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, models.length ? models.map((m, i) => row(m, details[i], open)) : h("tr", {}, h("td", { colspan: 7 }, "No models yet: train one from a wake word's page."))),
    );
    if (deployId) open(deployId);
  } catch (err) {
    notify((err as Error).message, "error");
  }
}

function row(m: Model, d: ModelDetail, openDeploy: (id: string) => void): HTMLElement {
  const report = d.report as Report | null;
  const figures = report
    ? h(
        "div",
        {},
        h("p", {}, summary(report)),
        h("ul", { "aria-label": `Operating points of ${m.id}` }, (report.operating_points ?? []).map((p) => h("li", {}, operatingPoint(p)))),
        plots(m.id, plotsOf(d.plots)),
      )
    : h("span", { class: "muted" }, "not evaluated");
  return h(
    "tr",
    { "aria-label": m.id },
    h("th", { scope: "row" }, m.id, m.current ? h("span", { class: "badge" }, " current") : null),
    h("td", {}, m.role),
    h("td", {}, m.phrase),
    h("td", {}, m.dataset),
    h("td", {}, m.created),
    h("td", {}, figures),
    h(
      "td",
      {},
      h("button", { type: "button", onclick: () => openDeploy(m.id), "aria-label": `Deploy ${m.id}` }, "Deploy"),
      h("button", { type: "button", onclick: () => void download(m.id), "aria-label": `Download ${m.id}` }, "Download"),
      m.role === "sentry" ? h("a", { class: "button", href: `#/live?model=${encodeURIComponent(m.id)}`, "aria-label": `Live test ${m.id}` }, "Live test") : null,
    ),
  );
}

/** A closed "Plots" disclosure; the PNGs are fetched (with the token, which `<img src>` cannot send)
 * the first time it is opened, so a long models list loads no images it does not show. */
function plots(id: string, shown: Plot[]): HTMLElement | null {
  if (!shown.length) return null;
  const box = h("div", { class: "plots" });
  let fetched = false;
  const details: HTMLDetailsElement = h(
    "details",
    {
      "aria-label": `Plots of ${id}`,
      ontoggle: () => {
        if (!details.open || fetched) return;
        fetched = true;
        void loadPlots(box, id, shown).then((ok) => (fetched = ok)); // after a failure, reopening retries
      },
    },
    h("summary", {}, "Plots"),
    box,
  );
  return details;
}

async function loadPlots(box: HTMLElement, id: string, shown: Plot[]): Promise<boolean> {
  try {
    const blobs = await Promise.all(shown.map((p) => fetchBlob(`/api/models/${encodeURIComponent(id)}/plots/${p.name}`)));
    fill(
      box,
      shown.map((p, i) => {
        const src = URL.createObjectURL(blobs[i]);
        return h("img", { src, alt: p.alt, onload: () => URL.revokeObjectURL(src) });
      }),
    );
    return true;
  } catch (err) {
    notify((err as Error).message, "error");
    return false;
  }
}

async function download(id: string): Promise<void> {
  try {
    const blob = await fetchBlob(`/api/models/${encodeURIComponent(id)}/download`);
    const a = h("a", { href: URL.createObjectURL(blob), download: `${id}.zip` });
    a.click();
    URL.revokeObjectURL(a.href);
  } catch (err) {
    notify((err as Error).message, "error");
  }
}

function deployForm(modelId: string, deployed: () => void): HTMLElement {
  const kind = h("select", { id: "deploy-kind" }, h("option", { value: "judge" }, "a Judge"), h("option", { value: "custom_wake_words" }, "an ESPHome custom_wake_words folder"));
  const url = h("input", { id: "deploy-url", type: "url", placeholder: "http://judge:10401" });
  const judgeToken = h("input", { id: "deploy-token", type: "password" });
  const name = h("input", { id: "deploy-name", placeholder: "hey_katya" });
  const folder = h("input", { id: "deploy-folder", placeholder: "/config/esphome/custom_wake_words" });
  const judgeFields = h("div", {}, h("label", { for: "deploy-url" }, "Judge URL"), url, h("label", { for: "deploy-token" }, "Judge token"), judgeToken, h("label", { for: "deploy-name" }, "Served model name"), name);
  const folderFields = h("div", { hidden: true }, h("label", { for: "deploy-folder" }, "Folder"), folder);
  kind.addEventListener("change", () => {
    judgeFields.hidden = kind.value !== "judge";
    folderFields.hidden = kind.value === "judge";
  });
  const result = h("div", { role: "status", "aria-label": "Deploy result" });
  const submit = h("button", { type: "submit" }, "Deploy now");
  return h(
    "form",
    {
      class: "panel",
      "aria-labelledby": "deploy-heading",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        submit.disabled = true;
        const target =
          kind.value === "judge"
            ? { kind: "judge" as const, url: url.value.trim(), token: judgeToken.value, name: name.value.trim() }
            : { kind: "custom_wake_words" as const, folder: folder.value.trim() };
        try {
          const record = await call(api.POST("/api/deploy", { body: { model_id: modelId, targets: [target] } }));
          showDeploy(result, record);
          deployed();
        } catch (err) {
          fill(result, h("p", { class: "warn" }, (err as Error).message));
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h3", { id: "deploy-heading" }, `Deploy ${modelId}`),
    h("label", { for: "deploy-kind" }, "Deploy to"),
    kind,
    judgeFields,
    folderFields,
    submit,
    result,
  );
}

function showDeploy(box: HTMLElement, record: Deploy): void {
  fill(
    box,
    h("p", { class: record.state === "succeeded" ? "ok" : "warn" }, `Deploy ${record.id}: ${record.state}`),
    h("ul", {}, record.results.map((r) => h("li", {}, String((r as { message?: string }).message ?? JSON.stringify(r))))),
  );
}
