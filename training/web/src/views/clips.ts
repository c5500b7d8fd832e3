// The clip table: sortable by order added, label, speaker, length, level, SNR; inline relabel,
// discard, restore and split (one clip per utterance); keyboard labelling on a focused row (see KEYS).
//
// The list route leaves discarded clips out, so clips discarded in this page stay listed (marked
// "discarded", with Restore) until the page is left.

import { api, call, type Recording } from "../api/client";
import { fill, h, notify, seconds } from "../dom";
import { Player } from "./player";

export const LABELS = ["positive", "negative", "hard_negative", "background"] as const;
const KEYS: Record<string, string> = { p: "positive", n: "negative", h: "hard_negative", b: "background" };
const PAGE = 200;

type SortKey = "added" | "label" | "speaker" | "duration_s" | "rms_dbfs" | "snr_db";
const COLUMNS: [SortKey, string][] = [
  ["added", "Added"],
  ["label", "Label"],
  ["speaker", "Speaker"],
  ["duration_s", "Length"],
  ["rms_dbfs", "Level (dBFS)"],
  ["snr_db", "SNR (dB)"],
];

interface Row {
  clip: Recording;
  order: number;
}

export class ClipTable {
  readonly element: HTMLElement;
  private rows: Row[] = [];
  private lastKey = "";
  private readonly orderOf = new Map<string, number>();
  private readonly discarded = new Map<string, Row>();
  private sort: SortKey = "added";
  private descending = true;
  private shown = PAGE;
  private filter = "";
  private readonly table = h("table", { "aria-label": "Clips" });
  private readonly more = h("p", {});
  private readonly count = h("p", { class: "muted", "aria-live": "polite" });
  private readonly player = new Player();

  constructor(private readonly changed: () => void) {
    const filter = h(
      "select",
      { id: "clip-filter", onchange: (e: Event) => ((this.filter = (e.target as HTMLSelectElement).value), this.draw()) },
      h("option", { value: "" }, "all labels"),
      LABELS.map((l) => h("option", { value: l }, l)),
    );
    this.element = h(
      "section",
      { "aria-labelledby": "clips-heading", class: "panel" },
      h("h3", { id: "clips-heading" }, "Clips"),
      h("p", { class: "muted", id: "clip-keys" }, "On a focused row: P positive, N negative, H hard negative, B background, D or Delete discard, R restore, Space play, ↑/↓ move."),
      h("div", { class: "inline" }, h("label", { for: "clip-filter" }, "Show"), filter, this.count),
      this.player.element,
      this.table,
      this.more,
    );
  }

  update(clips: Recording[]): void {
    const key = JSON.stringify(clips);
    if (key === this.lastKey) return; // a poll that found nothing new: keep the table (and its focus) as is
    this.lastKey = key;
    // "Added" numbers are given once per page: a discarded clip leaves the list without renumbering the rest
    for (const c of clips) if (!this.orderOf.has(c.id)) this.orderOf.set(c.id, this.orderOf.size);
    this.rows = clips.map((clip) => ({ clip, order: this.orderOf.get(clip.id) ?? 0 }));
    const live = new Set(clips.map((c) => c.id));
    for (const id of [...this.discarded.keys()]) if (live.has(id)) this.discarded.delete(id);
    this.draw();
  }

  private visible(): Row[] {
    const all = [...this.rows, ...this.discarded.values()].filter((r) => !this.filter || r.clip.label === this.filter);
    const key = this.sort;
    const value = (r: Row): string | number => (key === "added" ? r.order : r.clip[key]);
    all.sort((a, b) => {
      const [x, y] = [value(a), value(b)];
      const cmp = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return this.descending ? -cmp : cmp;
    });
    return all;
  }

  private draw(): void {
    const rows = this.visible();
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.clip;
    const head = h(
      "tr",
      {},
      h("th", { scope: "col" }, "Play"),
      COLUMNS.map(([key, title]) =>
        h(
          "th",
          { scope: "col", "aria-sort": this.sort === key ? (this.descending ? "descending" : "ascending") : "none" },
          h("button", { type: "button", class: "sort", onclick: () => this.sortBy(key) }, title, this.sort === key ? h("span", { "aria-hidden": "true" }, this.descending ? " ▼" : " ▲") : null),
        ),
      ),
      h("th", { scope: "col" }, "Source"),
      h("th", { scope: "col" }, "Split"),
      h("th", { scope: "col" }, "Action"),
    );
    fill(this.table, h("thead", {}, head), h("tbody", {}, rows.slice(0, this.shown).map((r) => this.row(r))));
    this.count.textContent = `${rows.length} clips`;
    fill(
      this.more,
      rows.length > this.shown
        ? h("button", { type: "button", onclick: () => ((this.shown += PAGE), this.draw()) }, `Show ${Math.min(PAGE, rows.length - this.shown)} more`)
        : null,
    );
    if (focused) this.table.querySelector<HTMLElement>(`tr[data-clip="${CSS.escape(focused)}"]`)?.focus();
  }

  private sortBy(key: SortKey): void {
    this.descending = this.sort === key ? !this.descending : key === "added";
    this.sort = key;
    this.draw();
  }

  private row({ clip, order }: Row): HTMLElement {
    const label = h(
      "select",
      { "aria-label": `Label of clip ${clip.id}`, disabled: clip.deleted, onchange: (e: Event) => void this.relabel(clip, (e.target as HTMLSelectElement).value) },
      LABELS.map((l) => h("option", { value: l, selected: l === clip.label }, l)),
    );
    const action = clip.deleted
      ? h("button", { type: "button", onclick: () => void this.restore(clip) }, "Restore")
      : [
          h("button", { type: "button", onclick: () => void this.discard(clip) }, "Discard"),
          clip.label === "background"
            ? null
            : h("button", { type: "button", "aria-label": `Split clip ${clip.id}`, title: "One clip per utterance (the clip itself is discarded, restorable)", onclick: () => void this.splitClip(clip) }, "Split"),
        ];
    return h(
      "tr",
      { tabindex: 0, "data-clip": clip.id, class: clip.deleted ? "discarded" : "", "aria-describedby": "clip-keys", onkeydown: (e: KeyboardEvent) => this.key(e, clip) },
      h("td", {}, h("button", { type: "button", "aria-label": `Play clip ${clip.id}`, onclick: () => void this.player.play(clip.id) }, "▶")),
      h("td", {}, order + 1),
      h("td", {}, label, clip.deleted ? h("span", { class: "badge" }, " discarded") : null),
      h(
        "td",
        {},
        h("input", {
          class: "speaker",
          value: clip.speaker,
          "aria-label": `Speaker of clip ${clip.id}`,
          disabled: clip.deleted,
          maxlength: 200,
          onchange: (e: Event) => void this.setSpeaker(clip, (e.target as HTMLInputElement).value.trim()),
        }),
      ),
      h("td", {}, seconds(clip.duration_s)),
      h("td", {}, clip.rms_dbfs.toFixed(1)),
      h("td", {}, clip.snr_db.toFixed(1)),
      h("td", {}, clip.source),
      h("td", {}, clip.split ?? "—"),
      h("td", {}, action),
    );
  }

  private key(e: KeyboardEvent, clip: Recording): void {
    if (e.target !== e.currentTarget) return; // typing in the row's select or speaker field
    const row = e.currentTarget as HTMLElement;
    const k = e.key.toLowerCase();
    if (KEYS[k] && !clip.deleted) void this.relabel(clip, KEYS[k]);
    else if ((k === "d" || k === "delete") && !clip.deleted) void this.discard(clip);
    else if (k === "r" && clip.deleted) void this.restore(clip);
    else if (k === " ") void this.player.play(clip.id);
    else if (k === "arrowdown") (row.nextElementSibling as HTMLElement | null)?.focus();
    else if (k === "arrowup") (row.previousElementSibling as HTMLElement | null)?.focus();
    else return;
    e.preventDefault();
  }

  private async relabel(clip: Recording, label: string): Promise<void> {
    if (label === clip.label) return;
    await this.edit(async () => {
      const updated = await call(api.PATCH("/api/recordings/{clip_id}", { params: { path: { clip_id: clip.id } }, body: { label } }));
      notify(`Clip ${clip.id} relabelled ${updated.label}.`);
    });
  }

  private async setSpeaker(clip: Recording, speaker: string): Promise<void> {
    if (speaker === clip.speaker) return;
    await this.edit(async () => {
      await call(api.PATCH("/api/recordings/{clip_id}", { params: { path: { clip_id: clip.id } }, body: { speaker } }));
      notify(`Clip ${clip.id}: speaker ${speaker || "(none)"}.`);
    });
  }

  private async discard(clip: Recording): Promise<void> {
    await this.edit(async () => {
      const gone = await call(api.DELETE("/api/recordings/{clip_id}", { params: { path: { clip_id: clip.id } } }));
      const order = this.rows.find((r) => r.clip.id === clip.id)?.order ?? 0;
      this.discarded.set(clip.id, { clip: gone, order });
      notify(`Clip ${clip.id} discarded.`);
    });
  }

  private async splitClip(clip: Recording): Promise<void> {
    await this.edit(async () => {
      const parts = await call(api.POST("/api/recordings/{clip_id}/split", { params: { path: { clip_id: clip.id } } }));
      const order = this.rows.find((r) => r.clip.id === clip.id)?.order ?? 0;
      this.discarded.set(clip.id, { clip: { ...clip, deleted: true }, order });
      notify(`Clip ${clip.id} split into ${parts.length} clips: ${parts.map((p) => p.id).join(", ")}.`);
    });
  }

  private async restore(clip: Recording): Promise<void> {
    await this.edit(async () => {
      await call(api.POST("/api/recordings/{clip_id}/restore", { params: { path: { clip_id: clip.id } } }));
      this.discarded.delete(clip.id);
      notify(`Clip ${clip.id} restored.`);
    });
  }

  private async edit(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (err) {
      notify((err as Error).message, "error");
    }
    this.changed();
  }
}
