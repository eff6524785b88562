/**
 * The dashboard `schemaVersion` the pinned Grafana (`grafana/grafana:12.1.0`, config/settings.ts) knows, and what
 * to do with a dashboard that declares a newer one. Pure functions.
 *
 * Read in Grafana's source (docs/alerts-and-dashboards.md, "Dashboard schemaVersion"):
 * - 41 is Grafana 12.1's newest: the backend migrator's `LATEST_VERSION = 41`
 *   (apps/dashboard/pkg/migration/schemaversion/migrations.go, with V41 in v41.go); 42 arrived after 12.1 was
 *   released (2025-07): the frontend's hideFrom.viz/tooltip split, grafana/grafana#106857, and the backend V42,
 *   grafana/grafana#110517 (merged 2025-09, apps/dashboard/pkg/migration/schemaversion/v42.go).
 *   @grafana/grafana-foundation-sdk writes 42 (its dashboard defaults), so the stack's dashboards set 41 themselves.
 * - A newer version is not refused by Grafana: the frontend's DashboardMigrator.updateSchema
 *   (public/app/features/dashboard/state/DashboardMigrator.ts) sets the dashboard's schemaVersion to its own latest
 *   and runs only the `oldVersion < N` steps, i.e. none; the backend's migrate (apps/dashboard/pkg/migration/
 *   migrate.go) runs no step either and reports "schema version not migrated to target version", which the
 *   dashboard API passes through to the frontend since grafana/grafana#102357. So Grafana 12.1 shows a schema-42
 *   dashboard as a schema-41 one. A user's dashboard declaring more is provisioned the same way, with a notice.
 */

/** The Grafana line the constant belongs to; a test ties it to the image config/settings.ts pins. */
export const GRAFANA_SCHEMA_LINE = "12.1";

/** Grafana 12.1's newest dashboard schemaVersion. */
export const DASHBOARD_SCHEMA_VERSION = 41;

/** The schemaVersion a dashboard declares, as Grafana reads it (a number, or a string of digits); undefined otherwise. */
export function declaredSchemaVersion(dashboard: Record<string, unknown>): number | undefined {
  const value = dashboard.schemaVersion;
  if (typeof value === "number" && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/**
 * The dashboard as the pinned Grafana reads it: a schemaVersion newer than it knows becomes its newest (what its
 * DashboardMigrator does on load), and `newer` says what the file declared. Older or missing versions are left to
 * Grafana, which migrates them.
 */
export function fitSchemaVersion(dashboard: Record<string, unknown>): { value: Record<string, unknown>; newer?: number } {
  const declared = declaredSchemaVersion(dashboard);
  if (declared === undefined || declared <= DASHBOARD_SCHEMA_VERSION) return { value: dashboard };
  return { value: { ...dashboard, schemaVersion: DASHBOARD_SCHEMA_VERSION }, newer: declared };
}
