import { describe, expect, it } from "vitest";
import { liveFrame, toPcm16 } from "./pcm";

describe("live frames", () => {
  it("are int16 PCM, clamped at full scale", () => {
    expect(Array.from(toPcm16(new Float32Array([0, 0.5, -0.5, 1, -1, 2, -2])))).toEqual([0, 16383, -16384, 32767, -32768, 32767, -32768]);
  });
  it("are resampled to 16 kHz", () => {
    expect(liveFrame(new Float32Array(4800), 48_000).length).toBe(1600);
    expect(liveFrame(new Float32Array(1024), 16_000).length).toBe(1024);
  });
});
