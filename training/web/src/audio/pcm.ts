// The live test's wire format: 16 kHz mono int16 little-endian PCM, one binary WebSocket frame per
// microphone buffer (the backend takes 1 to 16000 samples a frame).

import { resample, TARGET_RATE } from "./wav";

/** Float samples in [-1, 1] (beyond is clamped) as int16 PCM, the way `encodeWav` writes them. */
export function toPcm16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    out[i] = s < 0 ? s * 0x8000 : s * 0x7fff;
  }
  return out;
}

/** One microphone buffer at `rate` as the frame the live socket takes. */
export function liveFrame(samples: Float32Array, rate: number): Int16Array {
  return toPcm16(resample(samples, rate, TARGET_RATE));
}
