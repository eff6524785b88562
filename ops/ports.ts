/** Host ports: whether one is free right now, and which configuration key moves a taken one. */
import * as net from "net";
import * as path from "path";
import { hostPorts, ServiceName, Settings } from "../config/settings";
import { OpsError, PortInUseError, UsageError } from "./errors";

/** True when nothing listens on host:port (checked by listening on it for a moment). */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE" || err.code === "EACCES") resolve(false);
      else if (err.code === "EADDRNOTAVAIL") reject(new UsageError(`bindAddress ${host} is not an address of this machine: use 127.0.0.1 or 0.0.0.0`));
      else reject(err);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Rewrites a port clash into which service owns the port and which key of which file to change. */
export function explainPortClash(err: PortInUseError, settings: Settings, stackFile: string, project: string): OpsError {
  const service = (Object.entries(hostPorts(settings)) as [ServiceName, number][]).find(([, p]) => p === err.port)?.[0];
  const file = path.basename(stackFile);
  const key = service ? `${project}:${service}.port (now ${settings[service].port}) or ` : "";
  return new OpsError(
    `host port ${err.port}${service ? ` (${service})` : ""} on ${err.address || settings.bindAddress} is already in use by another program or stack: ` +
      `stop it, or change ${key}${project}:portOffset (now ${settings.portOffset}) in ${file}; npm run stack:new -- <name> picks a free offset for a new stack`,
  );
}
