/**
 * `--remote-write-header NAME=VALUE` (repeatable; `PROMEMU_REMOTE_WRITE_HEADERS` with pairs separated by commas):
 * headers sent with every remote-write request, such as a receiver's tenant (`THANOS-TENANT=team-a` for Thanos
 * Receive, `X-Scope-OrgID=team-a` for Mimir). The headers remote write itself sets and the Authorization header
 * (credentials come from files or the environment, never from a flag that `ps` shows) are refused.
 */

/** Headers the protocol or the transport sets, or that carry credentials: not to be given as --remote-write-header. */
const RESERVED: Record<string, string> = {
  authorization: "credentials come from --remote-write-bearer-token-file, --remote-write-username with a password file, or the environment, never from a flag that `ps` shows",
  "content-encoding": "remote write sets it (snappy)",
  "content-type": "remote write sets it (application/x-protobuf)",
  "content-length": "set by the HTTP client",
  "transfer-encoding": "set by the HTTP client",
  connection: "set by the HTTP client",
  host: "set from --remote-write-url",
  "user-agent": "the emulator sends promemu/<version>",
  "x-prometheus-remote-write-version": "remote write sets it (0.1.0)",
};

/** An HTTP field name (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** commander's argument parser: collects the values as given. */
export function collectHeader(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * The headers of every value given (each `NAME=VALUE`, several separated by commas), or the problems, each naming
 * `name` (the flag or the variable) and the value as given.
 */
export function parseRemoteWriteHeaders(values: readonly string[], name: string): { headers: Record<string, string>; problems: string[] } {
  const headers: Record<string, string> = {};
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const value of values) {
    for (const pair of value.split(",").map((p) => p.trim()).filter(Boolean)) {
      const eq = pair.indexOf("=");
      const field = eq < 0 ? pair : pair.slice(0, eq).trim();
      const text = eq < 0 ? "" : pair.slice(eq + 1).trim();
      const bad = (problem: string) => problems.push(`${name} "${pair}": ${problem}`);
      if (eq <= 0 || text === "") bad("must be NAME=VALUE with a value, e.g. THANOS-TENANT=team-a");
      else if (!TOKEN.test(field)) bad(`"${field}" is not an HTTP header name (letters, digits and !#$%&'*+-.^_\`|~ only)`);
      else if (RESERVED[field.toLowerCase()]) bad(`the ${field} header cannot be set: ${RESERVED[field.toLowerCase()]}`);
      // eslint-disable-next-line no-control-regex
      else if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(text)) bad("the value must not hold control characters");
      else if (seen.has(field.toLowerCase())) bad(`${field} is given twice (also as ${seen.get(field.toLowerCase())})`);
      else {
        seen.set(field.toLowerCase(), field);
        headers[field] = text;
      }
    }
  }
  return { headers, problems };
}
