/**
 * The few HTTP API calls the operations make to the services: Prometheus' scrape targets and alerts,
 * and each service's version for the backup manifest. All are reads: the stack's Prometheus runs without
 * its admin and lifecycle APIs. Answers are validated, so a
 * changed API shows up as a clear error rather than as `undefined` further down.
 */
import { z } from "zod";
import type { ServiceName } from "../config/settings";
import { requestJson } from "./http";

const Envelope = <T extends z.ZodType>(data: T) => z.object({ status: z.literal("success"), data });

const Targets = Envelope(
  z.object({
    activeTargets: z.array(
      z.object({
        scrapePool: z.string(),
        scrapeUrl: z.string(),
        labels: z.record(z.string(), z.string()),
        health: z.string(),
        lastError: z.string().default(""),
      }),
    ),
  }),
);

const Alerts = Envelope(
  z.object({
    alerts: z.array(
      z.object({
        labels: z.record(z.string(), z.string()),
        state: z.string(),
        activeAt: z.string().optional(),
        value: z.string().optional(),
      }),
    ),
  }),
);

export interface ScrapeTarget {
  job: string;
  instance: string;
  url: string;
  health: "up" | "down" | "unknown";
  lastError: string;
}

export interface FiringAlert {
  name: string;
  labels: Record<string, string>;
  activeAt?: string;
}

function parse<T extends z.ZodType>(schema: T, answer: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(answer);
  if (!result.success) throw new Error(`${what}: unexpected answer (${z.prettifyError(result.error).split("\n")[0]})`);
  return result.data;
}

export async function scrapeTargets(prometheusUrl: string): Promise<ScrapeTarget[]> {
  const url = `${prometheusUrl}/api/v1/targets?state=active`;
  const answer = parse(Targets, await requestJson(url), url);
  return answer.data.activeTargets
    .map((t) => ({
      job: t.labels.job ?? t.scrapePool,
      instance: t.labels.instance ?? "",
      url: t.scrapeUrl,
      health: (["up", "down"].includes(t.health) ? t.health : "unknown") as ScrapeTarget["health"],
      lastError: t.lastError,
    }))
    .sort((a, b) => a.job.localeCompare(b.job) || a.instance.localeCompare(b.instance));
}

export async function firingAlerts(prometheusUrl: string): Promise<FiringAlert[]> {
  const url = `${prometheusUrl}/api/v1/alerts`;
  const answer = parse(Alerts, await requestJson(url), url);
  return answer.data.alerts
    .filter((a) => a.state === "firing")
    .map(({ labels, activeAt }) => {
      const { alertname, ...rest } = labels;
      return { name: alertname ?? "(unnamed)", labels: rest, activeAt };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
}

/** Where each service tells its version, and how to read it from the answer. */
const VERSION_ENDPOINTS: Partial<Record<ServiceName, { path: string; read: z.ZodType<string> }>> = {
  prometheus: { path: "/api/v1/status/buildinfo", read: Envelope(z.object({ version: z.string() })).transform((a) => a.data.version) },
  pushgateway: {
    path: "/api/v1/status",
    read: Envelope(z.object({ build_information: z.object({ version: z.string() }) })).transform((a) => a.data.build_information.version),
  },
  alertmanager: { path: "/api/v2/status", read: z.object({ versionInfo: z.object({ version: z.string() }) }).transform((a) => a.versionInfo.version) },
  grafana: { path: "/api/health", read: z.object({ version: z.string() }).transform((a) => a.version) },
};

/** The running version of a service, for the backup manifest. */
export async function serviceVersion(service: ServiceName, baseUrl: string): Promise<string> {
  const endpoint = VERSION_ENDPOINTS[service];
  if (!endpoint) throw new Error(`${service} does not report a version`);
  const url = `${baseUrl}${endpoint.path}`;
  return parse(endpoint.read, await requestJson(url), url);
}
