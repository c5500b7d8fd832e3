// When the Train button is enabled. The backend warns below 50 positives (data/health.py
// MIN_POSITIVES) but does not publish its minimums, so the studio's defaults live here.

import type { DatasetDetail } from "./api/client";

export const MIN_POSITIVES = 50;
export const MIN_NEGATIVES = 50;

export interface Counts {
  positives: number;
  negatives: number;
  background: number;
}

export function counts(detail: DatasetDetail | null): Counts {
  const by = (detail?.health?.by_label ?? {}) as Record<string, number>;
  return {
    positives: by.positive ?? 0,
    negatives: (by.negative ?? 0) + (by.hard_negative ?? 0),
    background: by.background ?? 0,
  };
}

/** Why training cannot start yet, or "" when it can. */
export function trainBlocker(c: Counts, minPositives = MIN_POSITIVES, minNegatives = MIN_NEGATIVES): string {
  const missing: string[] = [];
  if (c.positives < minPositives) missing.push(`${minPositives - c.positives} more positives (has ${c.positives} of ${minPositives})`);
  if (c.negatives < minNegatives) missing.push(`${minNegatives - c.negatives} more negatives (has ${c.negatives} of ${minNegatives})`);
  return missing.length ? `Needs ${missing.join(" and ")}.` : "";
}

/** "3 negatives per positive" and whether the balance looks off (the backend warns at < 1 or > 100). */
export function balance(c: Counts): { text: string; ok: boolean } {
  if (!c.positives) return { text: "no positives yet", ok: false };
  const ratio = c.negatives / c.positives;
  return { text: `${ratio.toFixed(1)} negatives per positive`, ok: ratio >= 1 && ratio <= 100 };
}

/** A dataset name from a phrase: "Hey Katya!" → "hey_katya". */
export function slug(phrase: string): string {
  return phrase
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 100);
}
