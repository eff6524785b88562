/** The few calls of Prometheus' and Alertmanager's HTTP APIs the end-to-end test makes. */

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Instant query; throws with Prometheus' own error text on a bad expression. */
export async function instantQuery(prometheusUrl: string, expr: string): Promise<Sample[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/query`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ query: expr }),
    signal: AbortSignal.timeout(5000),
  });
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Sample[] | [number, string] } };
  if (body.status !== "success") throw new Error(`query ${JSON.stringify(expr)} failed: ${body.error}`);
  const { resultType, result } = body.data!;
  // A scalar (e.g. time()) is data too; wrap it like a one-sample vector.
  return resultType === "scalar" ? [{ metric: {}, value: result as [number, string] }] : (result as Sample[]);
}

export interface AlertmanagerAlert {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** "active", or "suppressed" by a silence or an inhibiting alert (inhibitedBy: their fingerprints). */
  status: { state: string; inhibitedBy: string[] };
}

export async function alertmanagerAlerts(alertmanagerUrl: string): Promise<AlertmanagerAlert[]> {
  const res = await fetch(`${alertmanagerUrl}/api/v2/alerts`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`Alertmanager answered HTTP ${res.status}`);
  return (await res.json()) as AlertmanagerAlert[];
}

/** Creates a silence (API v2) matching `alertname`, ending in an hour; resolves to its id. */
export async function createSilence(alertmanagerUrl: string, alertname: string, comment: string): Promise<string> {
  const now = Date.now();
  const res = await fetch(`${alertmanagerUrl}/api/v2/silences`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      matchers: [{ name: "alertname", value: alertname, isRegex: false, isEqual: true }],
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
      createdBy: "promemu tests",
      comment,
    }),
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`Alertmanager refused the silence: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { silenceID: string }).silenceID;
}

/** The silences Alertmanager holds (API v2), with their state (active, pending, expired). */
export async function silences(alertmanagerUrl: string): Promise<{ id: string; comment: string; status: { state: string } }[]> {
  const res = await fetch(`${alertmanagerUrl}/api/v2/silences`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`Alertmanager answered HTTP ${res.status}`);
  return (await res.json()) as { id: string; comment: string; status: { state: string } }[];
}
