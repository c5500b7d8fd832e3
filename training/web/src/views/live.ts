// Live test (#/live?model=<sentry id>): the microphone streamed to `/api/live`, which runs the
// sentry as shipped, the Judge on each trigger's buffer and the Judge's own continuous score. The
// last 10 s are drawn on a canvas: the sentry's score (blue) with its threshold, the Judge's (purple);
// each detection is marked (green: the Judge accepted, red: rejected, grey: waiting or no Judge) and
// listed in a live region with the Judge's verdict.

import { api, baseUrl, call, token } from "../api/client";
import { liveFrame } from "../audio/pcm";
import { fill, h, notify } from "../dom";

const FRAME = 1024; // microphone buffer (samples at the context's rate)
const WINDOW_S = 10;

interface Info {
  sentry: { id: string; runtime: string; threshold: number; step_s: number };
  judge: { id: string; threshold: number } | null;
  note: string;
}

interface Mark {
  t: number;
  score: number;
  judge?: number;
  accepted?: boolean;
}

interface Message {
  info?: Info;
  error?: string;
  steps?: { t: number; sentry: number }[];
  judge_steps?: { t: number; judge: number }[];
  t?: number;
  detection?: string;
  score?: number;
  judge?: number;
  accepted?: boolean;
}

function liveUrl(model: string, judge: string): string {
  const url = new URL(baseUrl() + "/api/live");
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("model", model);
  url.searchParams.set("judge", judge);
  if (token()) url.searchParams.set("token", token());
  return url.href;
}

export function renderLive(app: HTMLElement, model: string): () => void {
  const sentryId = model || "current";
  const judgeChoice = h(
    "select",
    { id: "live-judge" },
    h("option", { value: "current" }, "the current judge"),
    h("option", { value: "none" }, "no judge (the sentry alone)"),
  );
  // Every judge in the studio can be tried against the sentry, not only the current one.
  void call(api.GET("/api/models")).then(
    (models) => {
      for (const m of models.filter((m) => m.role === "judge" && !m.current)) judgeChoice.append(h("option", { value: m.id }, `judge ${m.id}`));
    },
    () => undefined, // the two fixed choices still work
  );
  const start = h("button", { type: "button" }, "Start live test");
  const stop = h("button", { type: "button", disabled: true }, "Stop live test");
  const about = h("p", { "aria-label": "Live test models" }, `Sentry: ${sentryId}`);
  const note = h("p", { class: "warn", hidden: true });
  const canvas = h("canvas", { width: 1000, height: 240, class: "live-plot", role: "img", "aria-label": "Sentry and Judge scores over the last 10 seconds" });
  const scores = h("p", { "aria-label": "Sentry scores", class: "muted" }, "Not listening.");
  const judgeScore = h("p", { "aria-label": "Judge scores", class: "muted" });
  const detections = h("ol", { "aria-label": "Detections", "aria-live": "polite" });

  let points: { t: number; sentry: number }[] = [];
  let judgePoints: { t: number; judge: number }[] = [];
  let marks: Mark[] = [];
  let info: Info | null = null;
  let stopper: (() => void) | null = null;
  let frame = 0;

  const draw = () => {
    frame = 0;
    drawPlot(canvas, points, judgePoints, marks, info?.sentry.threshold ?? null);
  };
  const redraw = () => {
    if (!frame) frame = window.requestAnimationFrame(draw);
  };
  const listMarks = () => fill(detections, marks.map((m) => h("li", {}, describe(m, info))));

  const onMessage = (msg: Message) => {
    if (msg.error) {
      notify(msg.error, "error");
      fill(scores, h("span", { class: "warn" }, msg.error));
      end();
    } else if (msg.info) {
      info = msg.info;
      const judge = info.judge ? `judge ${info.judge.id} (trigger threshold ${info.judge.threshold.toFixed(3)})` : "no judge";
      fill(about, `Sentry ${info.sentry.id} (${info.sentry.runtime === "int8" ? "INT8 in pymicro-wakeword" : "float ONNX"}, threshold ${info.sentry.threshold.toFixed(3)}), ${judge}.`);
      note.textContent = info.note;
      note.hidden = !info.note;
    } else if (msg.steps) {
      points.push(...msg.steps);
      const last = points[points.length - 1];
      points = points.filter((p) => p.t >= last.t - WINDOW_S);
      scores.textContent = `Listening: ${last.t.toFixed(1)} s heard, sentry score ${last.sentry.toFixed(2)}.`;
      redraw();
    } else if (msg.judge_steps) {
      judgePoints.push(...msg.judge_steps);
      const last = judgePoints[judgePoints.length - 1];
      judgePoints = judgePoints.filter((p) => p.t >= last.t - WINDOW_S);
      judgeScore.textContent = `Judge score ${last.judge.toFixed(2)} at ${last.t.toFixed(1)} s.`;
      redraw();
    } else if (msg.detection && msg.t !== undefined) {
      marks.push({ t: msg.t, score: msg.score ?? 0 });
      listMarks();
      redraw();
    } else if (msg.judge !== undefined && msg.t !== undefined) {
      const mark = marks.find((m) => m.t === msg.t);
      if (mark) Object.assign(mark, { judge: msg.judge, accepted: msg.accepted });
      listMarks();
      redraw();
    }
  };

  const end = () => {
    stopper?.();
    stopper = null;
    start.disabled = false;
    stop.disabled = true;
    judgeChoice.disabled = false;
  };

  start.addEventListener("click", async () => {
    points = [];
    judgePoints = [];
    marks = [];
    judgeScore.textContent = "";
    info = null;
    listMarks();
    draw();
    start.disabled = true;
    judgeChoice.disabled = true;
    try {
      stopper = await stream(liveUrl(sentryId, judgeChoice.value), onMessage, () => {
        if (stopper) {
          scores.textContent = "The live test ended: the connection closed.";
          end();
        }
      });
      stop.disabled = false;
      scores.textContent = "Listening…";
    } catch (err) {
      notify(`The microphone could not be opened: ${(err as Error).message}`, "error");
      end();
    }
  });
  stop.addEventListener("click", () => {
    end();
    scores.textContent = "Stopped.";
  });

  fill(
    app,
    h("h2", {}, "Live test"),
    h(
      "section",
      { class: "panel", "aria-labelledby": "live-heading" },
      h("h3", { id: "live-heading" }, "Speak to the sentry"),
      about,
      note,
      h("label", { for: "live-judge" }, "Judge"),
      judgeChoice,
      h("div", { class: "inline" }, start, stop),
      canvas,
      scores,
      judgeScore,
      h("h3", {}, "Detections"),
      detections,
    ),
  );
  draw();
  return () => end();
}

function describe(m: Mark, info: Info | null): string {
  const at = `Detected at ${m.t.toFixed(1)} s (sentry ${m.score.toFixed(2)})`;
  if (!info?.judge) return `${at} — no judge`;
  if (m.judge === undefined) return `${at} — waiting for the judge`;
  return `${at} — judge ${m.accepted ? "accepted" : "rejected"} (${m.judge.toFixed(2)})`;
}

/** Open the microphone and the socket; frames go out as they come. Returns the stop function. */
async function stream(url: string, onMessage: (m: Message) => void, onClose: () => void): Promise<() => void> {
  const media = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  socket.onmessage = (e) => onMessage(JSON.parse(String(e.data)) as Message);
  socket.onclose = onClose;
  const context = new AudioContext();
  const source = context.createMediaStreamSource(media);
  // The recorder's choice: a ScriptProcessor needs no separate worklet module; each buffer is
  // resampled to 16 kHz on its own (a box low-pass per buffer: enough for a live view).
  const processor = context.createScriptProcessor(FRAME, 1, 1);
  processor.onaudioprocess = (e) => {
    if (socket.readyState !== WebSocket.OPEN) return;
    socket.send(liveFrame(new Float32Array(e.inputBuffer.getChannelData(0)), context.sampleRate).buffer as ArrayBuffer);
  };
  source.connect(processor);
  processor.connect(context.destination); // a ScriptProcessor only runs when connected to the output
  return () => {
    socket.onclose = null;
    socket.close();
    processor.disconnect();
    source.disconnect();
    for (const t of media.getTracks()) t.stop();
    void context.close();
  };
}

function drawPlot(
  canvas: HTMLCanvasElement,
  points: { t: number; sentry: number }[],
  judgePoints: { t: number; judge: number }[],
  marks: Mark[],
  threshold: number | null,
): void {
  const g = canvas.getContext("2d");
  if (!g) return;
  const { width, height } = canvas;
  const pad = 24;
  g.clearRect(0, 0, width, height);
  g.fillStyle = "#fff";
  g.fillRect(0, 0, width, height);
  const end = points.length ? points[points.length - 1].t : WINDOW_S;
  const x = (t: number) => pad + ((t - (end - WINDOW_S)) / WINDOW_S) * (width - 2 * pad);
  const y = (p: number) => height - pad - p * (height - 2 * pad);
  g.strokeStyle = "#d5dae3";
  g.strokeRect(pad, pad, width - 2 * pad, height - 2 * pad);
  g.fillStyle = "#5b6475";
  g.font = "12px system-ui, sans-serif";
  g.fillText("1", 8, y(1) + 4);
  g.fillText("0", 8, y(0) + 4);
  if (threshold !== null) {
    g.setLineDash([6, 4]);
    g.strokeStyle = "#9a3b00";
    g.beginPath();
    g.moveTo(pad, y(threshold));
    g.lineTo(width - pad, y(threshold));
    g.stroke();
    g.setLineDash([]);
  }
  for (const m of marks) {
    if (m.t < end - WINDOW_S) continue;
    g.strokeStyle = m.accepted === undefined ? "#5b6475" : m.accepted ? "#1d6b36" : "#b00020";
    g.lineWidth = 2;
    g.beginPath();
    g.moveTo(x(m.t), pad);
    g.lineTo(x(m.t), height - pad);
    g.stroke();
  }
  g.strokeStyle = "#2b5797";
  g.lineWidth = 1.5;
  g.beginPath();
  points.forEach((p, i) => (i ? g.lineTo(x(p.t), y(p.sentry)) : g.moveTo(x(p.t), y(p.sentry))));
  g.stroke();
  const shown = judgePoints.filter((p) => p.t >= end - WINDOW_S && p.t <= end);
  if (shown.length) {
    g.strokeStyle = "#6a3d9a";
    g.beginPath();
    shown.forEach((p, i) => (i ? g.lineTo(x(p.t), y(p.judge)) : g.moveTo(x(p.t), y(p.judge))));
    g.stroke();
  }
  g.lineWidth = 1;
}
