// The status socket's telemetry (wakesmith/server/telemetry.py) as one line of text.

export interface Telemetry {
  load_1m?: number;
  cpus?: number;
  ram_used_mb?: number;
  ram_total_mb?: number;
  gpus?: { name: string; memory_used_mb: number; memory_total_mb: number }[] | null;
}

export function machineLine(t: Telemetry): string {
  const parts: string[] = [];
  if (t.load_1m !== undefined) parts.push(`CPU load ${t.load_1m.toFixed(1)}${t.cpus ? ` of ${t.cpus} cores` : ""}`);
  if (t.ram_total_mb) parts.push(`memory ${Math.round((100 * (t.ram_used_mb ?? 0)) / t.ram_total_mb)} %`);
  for (const g of t.gpus ?? []) parts.push(`${g.name} ${Math.round(g.memory_used_mb / 1024)} of ${Math.round(g.memory_total_mb / 1024)} GiB`);
  return parts.join(" · ");
}
