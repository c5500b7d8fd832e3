import { describe, expect, it } from "vitest";
import { operatingPoint, plotsOf, summary } from "./report";

describe("report figures", () => {
  it("summarises EER, positives and the negative hours", () => {
    const r = { eer: 0.042, positives: 120, streams: [{ name: "speech", hours: 1.0 }, { name: "tv", hours: 0.5 }] };
    expect(summary(r)).toBe("EER 4.2 % · 120 positives · 1.5 h of negatives");
    expect(summary({})).toBe("EER ? · ? positives");
  });
  it("names an operating point's threshold, false accepts and recall", () => {
    expect(operatingPoint({ name: "strict", threshold: 0.953, fa_per_hour: 0.1, recall: 0.932 })).toBe(
      "strict: threshold 0.95, 0.10 FA/h, recall 93.2 %",
    );
  });
  it("shows the plots a model has in a fixed order, each with its alt text", () => {
    expect(plotsOf(["confusion", "det", "elsewhere"])).toEqual([
      { name: "det", alt: "DET curve" },
      { name: "confusion", alt: "Confusion matrix" },
    ]);
    expect(plotsOf([])).toEqual([]);
  });
});
