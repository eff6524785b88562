/**
 * What a bind address other than loopback exposes. None of the services asks for a login by default, so the
 * warning names, per enabled service, what anyone who can reach the host can do. Shown at `pulumi up`; the
 * operations CLI can show the same text.
 */
import { hostPorts, Settings } from "./settings";

export const isLoopback = (address: string) => address.startsWith("127.");

export function exposureWarning(settings: Settings): string | undefined {
  if (isLoopback(settings.bindAddress)) return undefined;
  const ports = hostPorts(settings);
  const reachable = [
    settings.emulator.enabled && settings.emulator.sink === "remote-write"
      ? `Prometheus (port ${ports.prometheus}): every series through the query API, and anyone can write series through its remote-write receiver (emulator.sink)`
      : `Prometheus (port ${ports.prometheus}): every series through the query API`,
    `the Pushgateway (port ${ports.pushgateway}): anyone can push, overwrite or delete metrics`,
    ...(ports.alertmanager ? [`Alertmanager (port ${ports.alertmanager}): anyone can post alerts and create or expire silences`] : []),
    ...(ports.grafana
      ? [
          settings.grafana.anonymousAccess
            ? `Grafana (port ${ports.grafana}): every dashboard without a login (anonymous Viewer), and the admin login page`
            : `Grafana (port ${ports.grafana}): the admin login page`,
        ]
      : []),
    ...(ports.emulator ? [`the emulator (port ${ports.emulator}): its status, metrics and emulated series`] : []),
  ];
  return (
    `bindAddress is ${settings.bindAddress}, not loopback: other machines that reach this host can use, without authentication, ` +
    `${reachable.join("; ")}. Keep bindAddress on 127.0.0.1, or put an authenticating reverse proxy with TLS in front ` +
    `(README, "Production considerations").`
  );
}
