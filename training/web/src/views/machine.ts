// The header's line about the studio's machine, from the status socket's telemetry (every 5 s):
// load, memory, GPUs, and whether updates are live or polled.

import { live, subscribe } from "../status";
import { machineLine, type Telemetry } from "../telemetry";

export function watchMachine(box: HTMLElement): void {
  let last = "";
  const draw = () => (box.textContent = [live.connected ? "live" : "polling", last].filter(Boolean).join(" · "));
  subscribe((m) => {
    if (m.topic === "telemetry") last = machineLine(m.event.data as Telemetry);
    draw();
  });
  window.setInterval(draw, 5000); // shows "polling" when the socket is gone
}
