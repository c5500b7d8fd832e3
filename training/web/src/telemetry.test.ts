import { describe, expect, it } from "vitest";
import { machineLine } from "./telemetry";

describe("machineLine", () => {
  it("names load, memory and each GPU", () => {
    const t = { load_1m: 1.25, cpus: 2, ram_used_mb: 512, ram_total_mb: 2048, gpus: [{ name: "H200", memory_used_mb: 2048, memory_total_mb: 143360 }] };
    expect(machineLine(t)).toBe("CPU load 1.3 of 2 cores · memory 25 % · H200 2 of 140 GiB");
    expect(machineLine({ gpus: null })).toBe("");
  });
});
