// Keeps secrets out of everything tweetstream prints. One rule for the userinfo of a
// server URL, used for server lists (redactServers: errors, warnings, context ls/info,
// --trace, serve's start line and /healthz) and for free text (redact), plus any secret
// value registered here (passwords, tokens, creds and nkey contents, JWTs, seeds).
//
// The userinfo is everything before the LAST `@` of a server entry, with or without a
// scheme: `nats://u:p@ss@host` → `nats://***@host`, `u:p@host:4222` → `***@host:4222`,
// `nats://token@[::1]:4222` → `nats://***@[::1]:4222`. It goes as a whole (it may be a
// token), whatever it holds: `:`, `@`, spaces, `/` or %-escapes.

const secrets = new Set<string>();

/** Remember a secret so that redact() removes it wherever it appears. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 3) secrets.add(value);
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** what may follow the userinfo: a host (name, IPv4 or [IPv6]) with an optional port */
const HOST_PORT = /^(?:\[[^\]\s]+\]|[a-z0-9._-]+)(?::\d*)?\/?$/i;

/** One server entry split at the last `@`: `nats://u:p@ss@h:1` → nats://, u:p@ss, h:1. */
export function splitServerEntry(entry: string): {
  scheme: string;
  userinfo?: string;
  address: string;
} {
  const scheme = SCHEME.exec(entry)?.[0] ?? "";
  const rest = entry.slice(scheme.length);
  const at = rest.lastIndexOf("@");
  if (at < 0) return { scheme, address: rest };
  return { scheme, userinfo: rest.slice(0, at), address: rest.slice(at + 1) };
}

/** One server entry, as parseServers splits them: userinfo up to the last `@` replaced. */
function redactServer(entry: string): string {
  const { scheme, userinfo, address } = splitServerEntry(entry);
  if (userinfo !== undefined) return `${scheme}***@${address}`;
  // no `@`: a host[:port]; anything else (`nats://u:pw` cut by a comma) is not shown
  return address === "" || HOST_PORT.test(address) ? entry : `${scheme}***`;
}

/** A server list as given (`a,b`, one URL, or an array): every entry's userinfo replaced. */
export function redactServers(list: string | readonly string[]): string {
  if (typeof list !== "string") return list.map(redactServers).join(", ");
  return list
    .split(",")
    .map((part) => {
      const lead = /^\s*/.exec(part)![0];
      const trail = /\s*$/.exec(part)![0];
      const entry = part.trim();
      return entry === "" ? part : lead + redactServer(entry) + trail;
    })
    .join(",");
}

/** `scheme://userinfo@` in text: the userinfo runs to the last `@` before a space or comma. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s,]*@/gi;
/**
 * Scheme-less `user:pass@host[:port]` or `token@host:port` in text (a bare `name@host`
 * without a port is left alone: it reads as an e-mail address, not a server).
 */
const BARE_USERINFO =
  /(?<![\w/@.%+*-])([^\s,/@"'<>()[\]*]+@)+(?=(\[[^\]\s]+\]|[a-z0-9.-]+)(:\d+)?)/gi;

const SEED = /\bS[A-Z]A[A-Z2-7]{55}\b/g; // nkey seeds: SU…, SA…, SO…
const JWT = /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;

/** Free text (an error, a warning, a trace line) with every known form of secret removed. */
export function redact(text: string): string {
  let out = text;
  // longest first, so a secret holding a shorter one is removed whole
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join("***");
  out = out.replace(URL_USERINFO, "$1***@");
  out = out.replace(BARE_USERINFO, (match: string, _last, _host, port?: string) =>
    port === undefined && !match.slice(0, -1).includes(":") ? match : "***@",
  );
  return out.replace(SEED, "***").replace(JWT, "***");
}
