// The typed API client: openapi-fetch over the types generated from the backend's OpenAPI schema
// (src/api/schema.d.ts, made by `npm run openapi`). Every URL is relative to the page, so the same
// bundle works at http://host:8787/ and below Home Assistant's ingress prefix.

import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Dataset = Schemas["DatasetPublic"];
export type DatasetDetail = Schemas["DatasetDetail"];
export type Recording = Schemas["RecordingPublic"];
export type Job = Schemas["JobPublic"];
export type Model = Schemas["ModelPublic"];
export type ModelDetail = Schemas["ModelDetail"];
export type Deploy = Schemas["DeployPublic"];

const TOKEN_KEY = "wakesmith.token";

/** The page's folder (…/ with the trailing slash), what every API path is resolved against. */
export function baseUrl(): string {
  return new URL(".", window.location.href).href.replace(/\/$/, "");
}

export function token(): string {
  return window.localStorage.getItem(TOKEN_KEY) ?? "";
}

export function setToken(value: string): void {
  if (value) window.localStorage.setItem(TOKEN_KEY, value);
  else window.localStorage.removeItem(TOKEN_KEY);
}

/** `#token=…` in the address (what `wakesmith serve` prints): keep it, then drop it from the address. */
export function takeTokenFromFragment(): void {
  const match = window.location.hash.match(/(?:^#|&)token=([^&]+)/);
  if (!match) return;
  setToken(decodeURIComponent(match[1]));
  history.replaceState(null, "", window.location.pathname + window.location.search + "#/");
}

export function authHeaders(): Record<string, string> {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

/** Thrown for every non-2xx answer; `detail` is the backend's sentence saying what to do. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

let onUnauthorized: () => void = () => {};
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

const auth: Middleware = {
  onRequest({ request }) {
    for (const [k, v] of Object.entries(authHeaders())) request.headers.set(k, v);
    return request;
  },
  async onResponse({ response }) {
    if (response.status === 401) onUnauthorized();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: baseUrl() });
api.use(auth);

function detailOf(error: unknown, status: number): string {
  const detail = (error as { detail?: unknown } | undefined)?.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    // FastAPI's own validation errors: [{loc, msg}, …]
    return detail.map((d: { loc?: unknown[]; msg?: string }) => `${(d.loc ?? []).slice(1).join(".")}: ${d.msg}`).join("; ");
  }
  return `The studio answered ${status}.`;
}

/** Unwrap an openapi-fetch answer: the data, or an ApiError with the backend's detail. */
export async function call<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok) throw new ApiError(response.status, detailOf(error, response.status));
  return data as T;
}

/** A binary resource (clip audio, model zip) as a Blob; `<audio src>` cannot send the bearer header. */
export async function fetchBlob(path: string): Promise<Blob> {
  const response = await fetch(baseUrl() + path, { headers: authHeaders() });
  if (response.status === 401) onUnauthorized();
  if (!response.ok) throw new ApiError(response.status, `The studio answered ${response.status}.`);
  return response.blob();
}

type UploadFields = { label: string; speaker?: string; notes?: string };

/** The multipart body both upload routes take: the file, its label, speaker and notes. */
function uploadForm(file: Blob, filename: string, fields: UploadFields): FormData {
  const form = new FormData();
  form.append("audio", file, filename);
  form.append("label", fields.label);
  form.append("speaker", fields.speaker ?? "");
  form.append("notes", fields.notes ?? "");
  return form;
}

/** `POST /api/datasets/{id}/takes`: a take stored as one clip per utterance (the backend splits it on
 * pauses with a VAD). */
export async function uploadTake(dataset: string, file: Blob, filename: string, fields: UploadFields): Promise<Recording[]> {
  return call(
    api.POST("/api/datasets/{dataset_id}/takes", {
      params: { path: { dataset_id: dataset } },
      body: uploadForm(file, filename, fields) as unknown as Schemas["Body_upload_take_api_datasets__dataset_id__takes_post"],
      bodySerializer: (b) => b as unknown as FormData,
    }),
  );
}

/** `POST /api/datasets/{id}/recordings` (multipart: the file, its label, speaker and notes). */
export async function uploadRecording(dataset: string, file: Blob, filename: string, fields: UploadFields): Promise<Recording> {
  return call(
    api.POST("/api/datasets/{dataset_id}/recordings", {
      params: { path: { dataset_id: dataset } },
      // openapi-fetch sends FormData as is (the browser sets the multipart boundary)
      body: uploadForm(file, filename, fields) as unknown as Schemas["Body_upload_recording_api_datasets__dataset_id__recordings_post"],
      bodySerializer: (b) => b as unknown as FormData,
    }),
  );
}
