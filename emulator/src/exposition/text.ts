/**
 * The Prometheus text exposition format (version 0.0.4), written by hand: label strings are built
 * once per series and reused, which is what makes a 160,000-series body cheap (prom-client's
 * registry serializer rebuilds them on every call, about 3x slower). No timestamps: the
 * Pushgateway refuses them.
 */
import type { Family } from "../model/types";

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** `host="worker-01",role="worker"`: the inside of a label set. */
export function labelText(labels: ReadonlyArray<readonly [string, string]>): string {
  return labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(",");
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

export function familyHeader(family: Family): string {
  return `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
}
