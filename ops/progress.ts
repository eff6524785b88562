/** Numbered progress lines on stderr for the long operations (backup, restore, cleanup, waiting for health). */
import type { OpsContext } from "./context";
import { note } from "./context";

export interface Progress {
  /** Starts the next step: `[2/5] grafana: copying volume promemu-dev-grafana-data`. */
  step(label: string): void;
  /** A detail line under the current step. */
  detail(text: string): void;
}

export function progress(ctx: OpsContext, total: number): Progress {
  let current = 0;
  const width = String(total).length;
  return {
    step(label) {
      current += 1;
      note(ctx, `[${String(current).padStart(width)}/${total}] ${label}`);
    },
    detail(text) {
      note(ctx, `${" ".repeat(2 * width + 4)}${text}`);
    },
  };
}
