// The evaluation report's headline figures (report.json, see wakesmith/evaluate/report.py EvalReport),
// as the models list shows them, and the names of the plots it comes with.

export interface OperatingPoint {
  name: string;
  threshold: number;
  fa_per_hour: number;
  recall: number;
}

export interface Report {
  eer?: number;
  positives?: number;
  operating_points?: OperatingPoint[];
  streams?: { name: string; hours: number }[];
}

export function pct(v: number | undefined): string {
  return v === undefined ? "?" : `${(100 * v).toFixed(1)} %`;
}

/** "EER 4.2 % · 120 positives · 1.5 h of negatives". */
export function summary(r: Report): string {
  const hours = (r.streams ?? []).reduce((a, s) => a + s.hours, 0);
  const parts = [`EER ${pct(r.eer)}`, `${r.positives ?? "?"} positives`];
  if (hours) parts.push(`${hours.toFixed(1)} h of negatives`);
  return parts.join(" · ");
}

/** "strict: threshold 0.95, 0.10 FA/h, recall 93.2 %". */
export function operatingPoint(p: OperatingPoint): string {
  return `${p.name}: threshold ${p.threshold.toFixed(2)}, ${p.fa_per_hour.toFixed(2)} FA/h, recall ${pct(p.recall)}`;
}

/** The evaluation's plots (`GET /api/models/{id}/plots/{name}`), in the order they are shown, with the
 * alt text each image gets. */
export const PLOTS = [
  { name: "det", alt: "DET curve" },
  { name: "scores", alt: "Score histograms" },
  { name: "confusion", alt: "Confusion matrix" },
] as const;

export type Plot = (typeof PLOTS)[number];

/** The plots a model has (its details' `plots`), in display order; names this UI does not know are left out. */
export function plotsOf(names: readonly string[]): Plot[] {
  return PLOTS.filter((p) => names.includes(p.name));
}
