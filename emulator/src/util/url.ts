/**
 * URLs as they are shown (logs, /healthz, messages) and as they are used (requests). A Pushgateway
 * behind basic authentication is given as `http://user:password@host`: the credentials go into the
 * Authorization header of every request, and nowhere else.
 */

/** What replaces the user information of a URL that is shown. */
export const REDACTED = "***";

const SCHEME = /^(\s*[A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/;

/**
 * `scheme://user:password@rest` -> `scheme://***@rest`, and `user:password@host:9091` (the scheme forgotten) ->
 * `***@host:9091`. Works on text that is not a valid URL too (bad input is quoted in messages).
 */
export function redactUrl(text: string): string {
  if (/^\s*[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text)) return text.replace(SCHEME, `$1${REDACTED}@`);
  return text.replace(/^(\s*)[^/?#\s]*@/, `$1${REDACTED}@`);
}

/** A base URL split into what a request needs and what may be shown. */
export interface Endpoint {
  /** Without user information; what requests are sent to. */
  readonly base: string;
  /** `Basic ...` when the URL carried credentials. */
  readonly authorization?: string;
  /** The URL as it may be shown: its user information redacted. */
  readonly display: string;
}

/** `url` must be valid (checked by the option parser). */
export function splitCredentials(url: string): Endpoint {
  const parsed = new URL(url);
  let authorization: string | undefined;
  if (parsed.username !== "" || parsed.password !== "") {
    const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
    authorization = `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`;
    parsed.username = "";
    parsed.password = "";
  }
  const base = parsed.href.replace(/\/+$/, "");
  return { base, authorization, display: redactUrl(url.replace(/\/+$/, "")) };
}
