/**
 * Dashboards users bring (`grafana.extraDashboards`): checked, and their Prometheus datasource references bound to
 * the stack's datasource, as Grafana's import dialog would bind them; file provisioning does no such thing, so a
 * dashboard shared with `${DS_PROMETHEUS}` would otherwise show "datasource not found" on every panel.
 * Pure functions of the parsed JSON.
 */
import { DATASOURCE_UID } from "./panels";

/** Grafana's rule for dashboard uids: at most 40 letters, digits, `-` and `_`. */
const UID = /^[a-zA-Z0-9_-]{1,40}$/;

interface DashboardInput {
  name?: unknown;
  type?: unknown;
  pluginId?: unknown;
  value?: unknown;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

/** What a dashboard must be to be provisioned: a JSON object with a panels list and a uid; the problem otherwise. */
export function checkDashboard(parsed: unknown): Checked<{ uid: string }> {
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return { ok: false, problem: "is not a dashboard: the JSON must be an object (the dashboard model, as Grafana's 'Export as JSON' saves it)" };
  }
  const dashboard = parsed as Record<string, unknown>;
  if (!Array.isArray(dashboard.panels)) {
    const hint = "dashboard" in dashboard ? " (this looks like an API answer: save its `dashboard` object instead)" : Array.isArray(dashboard.rows) ? " (rows of a dashboard from before Grafana 5: open and save it in a current Grafana first)" : "";
    return { ok: false, problem: `has no panels list${hint}` };
  }
  if (typeof dashboard.uid !== "string" || !UID.test(dashboard.uid)) {
    return {
      ok: false,
      problem: `${dashboard.uid === undefined || dashboard.uid === null ? "has no uid" : `has the uid ${JSON.stringify(dashboard.uid)}`}: give it one of 1-40 letters, digits, - or _ (Grafana finds provisioned dashboards by uid)`,
    };
  }
  return { ok: true, value: { uid: dashboard.uid } };
}

/** Replaces, in every string of `value`, the whole strings `exact` maps and the `${NAME}` occurrences `embedded` maps. */
function mapStrings(value: unknown, exact: ReadonlyMap<string, string>, embedded: ReadonlyMap<string, string>): unknown {
  if (typeof value === "string") {
    const whole = exact.get(value);
    if (whole !== undefined) return whole;
    return value.replace(/\$\{([A-Za-z0-9_]+)\}/g, (match, name: string) => embedded.get(name) ?? match);
  }
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, exact, embedded));
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    // A reference to some Prometheus by uid (the author's own, from an export not "shared externally"): the stack has one.
    if (record.type === "prometheus" && typeof record.uid === "string" && !record.uid.startsWith("$") && Object.keys(record).every((k) => k === "type" || k === "uid")) {
      return { type: "prometheus", uid: DATASOURCE_UID };
    }
    return Object.fromEntries(Object.entries(record).map(([key, child]) => [key, mapStrings(child, exact, embedded)]));
  }
  return value;
}

/**
 * The dashboard bound to the stack, or the problem. Grafana's import does this with a dashboard's `__inputs`;
 * provisioning does not, so it is done here:
 * - a Prometheus datasource input (`${DS_PROMETHEUS}`) becomes the stack's datasource uid (promemu-prometheus);
 * - a constant input (`${VAR_...}`) becomes its value;
 * - a reference `{type: "prometheus", uid: "<someone's uid>"}` becomes the stack's Prometheus;
 * - `__inputs` goes and `id` is emptied (Grafana numbers provisioned dashboards itself).
 * A datasource variable (`type: datasource, query: prometheus`, as Node Exporter Full has) is left alone: it resolves
 * to the default datasource, which the stack's Prometheus is. An input of another datasource kind is refused: the
 * stack has no such datasource, and every panel using it would fail.
 */
export function bindDashboardDatasources(dashboard: Record<string, unknown>): Checked<Record<string, unknown>> {
  const inputs = Array.isArray(dashboard.__inputs) ? (dashboard.__inputs as DashboardInput[]) : [];
  const exact = new Map<string, string>();
  const embedded = new Map<string, string>();
  for (const input of inputs) {
    const name = typeof input.name === "string" ? input.name : "";
    if (!name) continue;
    if (input.type === "datasource" && input.pluginId === "prometheus") {
      exact.set(`\${${name}}`, DATASOURCE_UID);
      exact.set(`$${name}`, DATASOURCE_UID);
      embedded.set(name, DATASOURCE_UID);
    } else if (input.type === "constant") {
      embedded.set(name, String(input.value ?? ""));
    } else if (input.type === "datasource") {
      return { ok: false, problem: `needs a ${String(input.pluginId)} datasource (input ${name}); the stack has only Prometheus (uid ${DATASOURCE_UID})` };
    }
  }
  const { __inputs: _inputs, ...rest } = dashboard;
  const bound = mapStrings(rest, exact, embedded) as Record<string, unknown>;
  return { ok: true, value: { ...bound, id: null } };
}
