import { describe, expect, it } from "vitest";
import { balance, slug, trainBlocker } from "./rules";

describe("trainBlocker", () => {
  it("names what is missing", () => {
    expect(trainBlocker({ positives: 3, negatives: 60, background: 0 })).toBe("Needs 47 more positives (has 3 of 50).");
    expect(trainBlocker({ positives: 0, negatives: 0, background: 0 })).toContain("and 50 more negatives");
  });
  it("is empty at the minimum", () => {
    expect(trainBlocker({ positives: 50, negatives: 50, background: 0 })).toBe("");
  });
});

describe("balance", () => {
  it("flags fewer negatives than positives", () => {
    expect(balance({ positives: 10, negatives: 5, background: 0 })).toEqual({ text: "0.5 negatives per positive", ok: false });
    expect(balance({ positives: 10, negatives: 30, background: 0 }).ok).toBe(true);
  });
});

describe("slug", () => {
  it("makes a dataset name the backend accepts", () => {
    expect(slug("Hey Katya!")).toBe("hey_katya");
    expect(slug("  Ça va  ")).toBe("ca_va");
  });
});
