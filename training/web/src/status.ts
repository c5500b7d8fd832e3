// Live updates: the `/api/status` WebSocket (job events, dataset changes, deploys). Browsers cannot
// put a header on a WebSocket, so the token goes in the query, as the backend allows. When the socket
// cannot be opened, `polling` turns true and views poll instead (GET /api/jobs/{id}).

import { baseUrl, token } from "./api/client";

export interface StatusEvent {
  name: string;
  stage: string;
  done: number;
  total: number | null;
  message: string;
  data: Record<string, unknown>;
}

export interface StatusMessage {
  topic: "job" | "dataset" | "deploy" | "telemetry";
  event: StatusEvent;
  job_id?: string;
  state?: string;
  progress?: number | null;
  eta_s?: number | null;
}

type Listener = (message: StatusMessage) => void;

const listeners = new Set<Listener>();
let socket: WebSocket | null = null;
let retryMs = 1000;
export const live = { connected: false, polling: false };

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  connect();
  return () => listeners.delete(listener);
}

function statusUrl(): string {
  const url = new URL(baseUrl() + "/api/status");
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  if (token()) url.searchParams.set("token", token());
  return url.href;
}

export function connect(): void {
  if (socket) return;
  socket = new WebSocket(statusUrl());
  socket.onopen = () => {
    live.connected = true;
    live.polling = false;
    retryMs = 1000;
  };
  socket.onmessage = (e) => {
    const message = JSON.parse(String(e.data)) as StatusMessage;
    for (const l of listeners) l(message);
  };
  socket.onclose = () => {
    socket = null;
    live.connected = false;
    live.polling = true;
    window.setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 30_000);
  };
}

/** Close and reopen (after the token changed). */
export function reconnect(): void {
  socket?.close();
}
