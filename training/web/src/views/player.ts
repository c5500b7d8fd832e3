// Playback of one clip: the audio is fetched with the token (an <audio src> cannot send it) and shown
// as a waveform by wavesurfer.js, with the browser's own <audio controls> under it.

import WaveSurfer from "wavesurfer.js";
import { fetchBlob } from "../api/client";
import { h, notify } from "../dom";

export class Player {
  readonly element: HTMLElement;
  private readonly audio = h("audio", { controls: true, "aria-label": "Clip playback" });
  private readonly caption = h("p", { class: "muted" }, "Choose a clip's Play button (or press Space on a row).");
  private readonly wave = h("div", { class: "wave", "aria-hidden": "true" });
  private surfer: WaveSurfer | null = null;
  private url = "";
  playing = "";

  constructor() {
    this.element = h("section", { "aria-labelledby": "player-heading", class: "panel player" }, h("h3", { id: "player-heading" }, "Playback"), this.caption, this.wave, this.audio);
  }

  async play(clipId: string): Promise<void> {
    try {
      const blob = await fetchBlob(`/api/recordings/${encodeURIComponent(clipId)}/audio`);
      if (this.url) URL.revokeObjectURL(this.url);
      this.url = URL.createObjectURL(blob);
      this.playing = clipId;
      this.caption.textContent = `Clip ${clipId}`;
      this.surfer ??= WaveSurfer.create({ container: this.wave, media: this.audio, height: 64, waveColor: "#8aa4c8", progressColor: "#2b5797" });
      await this.surfer.load(this.url);
      await this.audio.play().catch(() => undefined); // autoplay may be refused; the controls remain
    } catch (err) {
      notify((err as Error).message, "error");
    }
  }
}
