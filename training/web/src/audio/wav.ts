// What the backend stores: 16 kHz mono 16-bit PCM WAV. The browser records at its own rate (often
// 48 kHz), so a take is resampled and encoded here before it is uploaded.

export const TARGET_RATE = 16_000;
/** A sample at or above this magnitude counts as clipped (full scale, after the browser's float conversion). */
export const CLIP_LEVEL = 0.99;

/** Resample mono audio by linear interpolation after a box low-pass (enough for speech to 8 kHz). */
export function resample(samples: Float32Array, fromRate: number, toRate: number = TARGET_RATE): Float32Array {
  if (fromRate === toRate) return samples;
  const ratio = fromRate / toRate;
  const smoothed = ratio > 1 ? boxFilter(samples, Math.round(ratio)) : samples;
  const out = new Float32Array(Math.floor(samples.length / ratio));
  for (let i = 0; i < out.length; i++) {
    const pos = i * ratio;
    const left = Math.floor(pos);
    const right = Math.min(left + 1, smoothed.length - 1);
    const frac = pos - left;
    out[i] = smoothed[left] * (1 - frac) + smoothed[right] * frac;
  }
  return out;
}

function boxFilter(samples: Float32Array, width: number): Float32Array {
  if (width <= 1) return samples;
  const out = new Float32Array(samples.length);
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    sum += samples[i];
    if (i >= width) sum -= samples[i - width];
    out[i] = sum / Math.min(i + 1, width);
  }
  return out;
}

/** A 16-bit PCM mono WAV file of `samples` (floats in [-1, 1]; beyond is clamped). */
export function encodeWav(samples: Float32Array, rate: number = TARGET_RATE): Blob {
  return new Blob([wavBytes(samples, rate)], { type: "audio/wav" });
}

export function wavBytes(samples: Float32Array, rate: number = TARGET_RATE): ArrayBuffer {
  const bytesPerSample = 2;
  const buffer = new ArrayBuffer(44 + samples.length * bytesPerSample);
  const view = new DataView(buffer);
  const text = (offset: number, s: string) => {
    for (let i = 0; i < s.length; i++) view.setUint8(offset + i, s.charCodeAt(i));
  };
  text(0, "RIFF");
  view.setUint32(4, 36 + samples.length * bytesPerSample, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * bytesPerSample, true); // byte rate
  view.setUint16(32, bytesPerSample, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  text(36, "data");
  view.setUint32(40, samples.length * bytesPerSample, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(44 + i * bytesPerSample, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return buffer;
}

/** Peak magnitude and the fraction of samples at full scale. */
export function levels(samples: Float32Array): { peak: number; clippedFraction: number } {
  let peak = 0;
  let clipped = 0;
  for (const s of samples) {
    const a = Math.abs(s);
    if (a > peak) peak = a;
    if (a >= CLIP_LEVEL) clipped++;
  }
  return { peak, clippedFraction: samples.length ? clipped / samples.length : 0 };
}

export function concat(chunks: Float32Array[]): Float32Array {
  const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
