/** Dashboard files as `promemu check` reads them: Grafana's JSON model, as exported or as the HTTP API wraps it. */
import * as fs from "fs";
import { UsageError } from "../errors";
import { type PanelTarget, type Variable, panelTargets } from "./dashboard";

export interface Dashboard {
  readonly file: string;
  readonly title: string;
  readonly variables: Variable[];
  readonly targets: PanelTarget[];
}

type Panel = Parameters<typeof panelTargets>[0]["panels"];

export function readDashboard(file: string): Dashboard {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`${file}: cannot read the dashboard (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not valid JSON (${(err as Error).message}); give a Grafana dashboard's JSON model`);
  }
  // `{dashboard: {...}, meta}` as GET /api/dashboards/uid/<uid> answers; the model itself otherwise.
  const model = (doc && typeof doc === "object" && "dashboard" in doc ? (doc as { dashboard: unknown }).dashboard : doc) as Record<string, unknown> | null;
  if (!model || typeof model !== "object" || Array.isArray(model) || (!Array.isArray(model.panels) && !Array.isArray(model.rows))) {
    throw new UsageError(`${file}: not a Grafana dashboard (no "panels" list); give a dashboard's JSON model (Share > Export, or the HTTP API's answer)`);
  }
  // Dashboards of schema < 16 keep their panels in rows.
  const rows = Array.isArray(model.rows) ? (model.rows as { panels?: Panel }[]).flatMap((r) => r.panels ?? []) : [];
  const panels = [...((model.panels as Panel) ?? []), ...rows];
  const templating = model.templating as { list?: Variable[] } | undefined;
  return {
    file,
    title: typeof model.title === "string" ? model.title : "(untitled)",
    variables: Array.isArray(templating?.list) ? templating.list : [],
    targets: panelTargets({ panels }),
  };
}
