import { describe, expect, it } from "vitest";
import { concat, levels, resample, wavBytes } from "./wav";

function tone(freq: number, rate: number, seconds: number): Float32Array {
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => 0.5 * Math.sin((2 * Math.PI * freq * i) / rate));
}

describe("wavBytes", () => {
  it("writes a 16 kHz mono 16-bit PCM header and the samples", () => {
    const view = new DataView(wavBytes(Float32Array.from([0, 1, -1, 2]), 16000));
    const tag = (at: number) => String.fromCharCode(...new Uint8Array(view.buffer, at, 4));
    expect([tag(0), tag(8), tag(12), tag(36)]).toEqual(["RIFF", "WAVE", "fmt ", "data"]);
    expect(view.getUint16(20, true)).toBe(1); // PCM
    expect(view.getUint16(22, true)).toBe(1); // mono
    expect(view.getUint32(24, true)).toBe(16000);
    expect(view.getUint16(34, true)).toBe(16);
    expect(view.getUint32(40, true)).toBe(8);
    expect([2, 3, 4, 5].map((k) => view.getInt16(36 + 4 * 2 + (k - 2) * 2, true))).toEqual([0, 32767, -32768, 32767]);
  });
});

describe("resample", () => {
  it("keeps the duration and a speech-band tone's level", () => {
    const out = resample(tone(440, 48000, 1), 48000, 16000);
    expect(out.length).toBe(16000);
    expect(levels(out.subarray(100)).peak).toBeGreaterThan(0.45);
  });
  it("is the identity at the target rate", () => {
    const same = tone(440, 16000, 0.1);
    expect(resample(same, 16000)).toBe(same);
  });
});

describe("levels", () => {
  it("counts full-scale samples as clipped", () => {
    const l = levels(concat([Float32Array.from([0.1, -1, 1]), Float32Array.from([0.2])]));
    expect(l.peak).toBe(1);
    expect(l.clippedFraction).toBe(0.5);
  });
});
