// Keeps secrets out of everything tweetstream prints: credentials inside URLs
// and any secret value (password, token, seed, creds file contents) registered here.

const secrets = new Set<string>();

/** Remember a secret so that redact() removes it wherever it appears. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 3) secrets.add(value);
}

/** `nats://user:pass@host` → `nats://***@host` (the whole userinfo goes: it may be a token). */
export function redactUrl(url: string): string {
  return url.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, "$1***@");
}

const SEED = /\bS[A-Z]A[A-Z2-7]{55}\b/g; // nkey seeds: SU…, SA…, SO…
const JWT = /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;

export function redact(text: string): string {
  let out = redactUrl(text).replace(SEED, "***").replace(JWT, "***");
  for (const s of secrets) out = out.split(s).join("***");
  return out;
}
