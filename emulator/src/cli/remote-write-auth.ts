/**
 * Credentials of remote write: basic authentication (a user name, and a password from a file or
 * PROMEMU_REMOTE_WRITE_PASSWORD) or a bearer token (from a file or PROMEMU_REMOTE_WRITE_BEARER_TOKEN),
 * or user:password@ in the URL. Secrets are read here, once, and only ever end up in an
 * Authorization header: no message quotes them (a file is named by its path).
 */
import * as fs from "fs";

/**
 * The run options the credentials come from, as commander hands them over. Declared here and extended by
 * RawRunOptions (options.ts), so that options.ts, which calls readRemoteWriteAuth, is not imported back.
 */
export interface RemoteWriteAuthOptions {
  remoteWriteUrl?: string;
  remoteWriteUsername?: string;
  remoteWritePasswordFile?: string;
  /** From PROMEMU_REMOTE_WRITE_PASSWORD only: a flag would show it in `ps`. */
  remoteWritePassword?: string;
  remoteWriteBearerTokenFile?: string;
  /** From PROMEMU_REMOTE_WRITE_BEARER_TOKEN only. */
  remoteWriteBearerToken?: string;
}

export type SecretReader = (path: string) => string;

/** Most bytes a secret file may hold: a password or a token is far smaller; more is the wrong file. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * A regular file (or a link to one, as Docker and Kubernetes secrets are) of at most MAX_SECRET_FILE_BYTES. Anything
 * else would hang or exhaust memory before a word is said: a FIFO with no writer blocks the open, /dev/zero never ends.
 */
const readFileSecret: SecretReader = (path) => {
  const stat = fs.statSync(path);
  if (!stat.isFile()) throw new Error(stat.isDirectory() ? "a directory, not a file" : "not a regular file (a device, pipe or socket)");
  if (stat.size > MAX_SECRET_FILE_BYTES) throw new Error(`${stat.size.toLocaleString("en-US")} bytes, more than a secret's ${MAX_SECRET_FILE_BYTES / 1024} KiB`);
  return fs.readFileSync(path, "utf8");
};

/** The Authorization header value (undefined: none, or the URL's own credentials), or every problem found. */
export function readRemoteWriteAuth(
  raw: RemoteWriteAuthOptions,
  nameOf: (key: keyof RemoteWriteAuthOptions) => string,
  readSecret: SecretReader = readFileSecret,
): string | undefined | { problems: string[] } {
  const problems: string[] = [];
  const secret = (fileKey: "remoteWritePasswordFile" | "remoteWriteBearerTokenFile", envValue: string | undefined, envName: string): string | undefined => {
    const file = raw[fileKey];
    if (file && envValue) {
      problems.push(`${nameOf(fileKey)} and ${envName} both given: use one`);
      return undefined;
    }
    if (envValue) return envValue.trim();
    if (!file) return undefined;
    let text: string;
    try {
      text = readSecret(file);
    } catch (err) {
      problems.push(`${nameOf(fileKey)} "${file}": cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      return undefined;
    }
    // A trailing newline is the editor's, not the secret's.
    const value = text.replace(/\r?\n$/, "");
    if (value === "") problems.push(`${nameOf(fileKey)} "${file}": is empty`);
    // A line break inside would be sent as part of the header: more likely the wrong file (user and password lines).
    if (/[\r\n]/.test(value)) {
      problems.push(`${nameOf(fileKey)} "${file}": holds more than one line; a secret file holds the secret alone`);
      return undefined;
    }
    return value || undefined;
  };
  const password = secret("remoteWritePasswordFile", raw.remoteWritePassword, "PROMEMU_REMOTE_WRITE_PASSWORD");
  const token = secret("remoteWriteBearerTokenFile", raw.remoteWriteBearerToken, "PROMEMU_REMOTE_WRITE_BEARER_TOKEN");
  const user = raw.remoteWriteUsername;
  let inUrl = false;
  try {
    const url = new URL(raw.remoteWriteUrl ?? "");
    inUrl = url.username !== "" || url.password !== "";
  } catch {
    // The URL's own problem is reported by the option parser.
  }
  if (token !== undefined && (user !== undefined || password !== undefined || inUrl)) {
    problems.push("a bearer token and basic authentication both given: use one");
  }
  if (password !== undefined && user === undefined) problems.push(`a remote-write password without a user name: give ${nameOf("remoteWriteUsername")} too`);
  if (user !== undefined && inUrl) problems.push(`${nameOf("remoteWriteUsername")} and credentials in the URL both given: use one`);
  if (problems.length > 0) return { problems };
  if (token !== undefined) return `Bearer ${token}`;
  if (user !== undefined) return `Basic ${Buffer.from(`${user}:${password ?? ""}`, "utf8").toString("base64")}`;
  return undefined;
}
