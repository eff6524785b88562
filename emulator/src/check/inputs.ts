/** Dashboard files as `promemu check` reads them: Grafana's JSON model, as exported or as the HTTP API wraps it. */
import * as fs from "fs";
import { z } from "zod";
import { UsageError, formatPath } from "../errors";
import { type PanelTarget, type Variable, panelTargets } from "./dashboard";

export interface Dashboard {
  readonly file: string;
  readonly title: string;
  readonly variables: Variable[];
  readonly targets: PanelTarget[];
}

type Panel = Parameters<typeof panelTargets>[0]["panels"];

/**
 * The parts of the model the check reads, as much as it needs them: a `null` panel or a target that is not an
 * object is bad input (exit 2 with the path), not a TypeError. Everything else is left as Grafana keeps it.
 */
const target = z.object({ expr: z.string().optional(), refId: z.string().optional() }).loose();
interface PanelShape {
  targets?: unknown[];
  panels?: PanelShape[];
}
const panel: z.ZodType<PanelShape> = z.lazy(() => z.object({ title: z.string().optional(), targets: z.array(target).optional(), panels: z.array(panel).optional() }).loose());
const model = z
  .object({
    panels: z.array(panel).optional(),
    rows: z.array(z.object({ panels: z.array(panel).optional() }).loose()).optional(),
    templating: z.object({ list: z.array(z.object({ name: z.string().optional() }).loose()).optional() }).loose().optional(),
  })
  .loose();

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
  const dashboard = (doc && typeof doc === "object" && "dashboard" in doc ? (doc as { dashboard: unknown }).dashboard : doc) as Record<string, unknown> | null;
  if (!dashboard || typeof dashboard !== "object" || Array.isArray(dashboard) || (!Array.isArray(dashboard.panels) && !Array.isArray(dashboard.rows))) {
    throw new UsageError(`${file}: not a Grafana dashboard (no "panels" list); give a dashboard's JSON model (Share > Export, or the HTTP API's answer)`);
  }
  const checked = model.safeParse(dashboard);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new UsageError(`${file}: ${formatPath(issue.path)}: ${issue.message.replace(/^Invalid input: /, "")}; give a Grafana dashboard's JSON model`);
  }
  // Dashboards of schema < 16 keep their panels in rows.
  const rows = Array.isArray(dashboard.rows) ? (dashboard.rows as { panels?: Panel }[]).flatMap((r) => r.panels ?? []) : [];
  const panels = [...((dashboard.panels as Panel) ?? []), ...rows];
  const templating = dashboard.templating as { list?: Variable[] } | undefined;
  return {
    file,
    title: typeof dashboard.title === "string" ? dashboard.title : "(untitled)",
    variables: Array.isArray(templating?.list) ? templating.list : [],
    targets: panelTargets({ panels }),
  };
}
