// Which nats-server versions keep a replicated stream's copies identical through a network
// partition. Measured by test/integration/partition.test.ts (a TCP proxy cutting the stream
// leader off from its peers while a client stays attached to it): nats-server 2.15.1 passes;
// 2.9.10 diverges (the cut-off leader acknowledges writes its peers never store). Versions
// between were not available to test; 2.10 is where the fixes to JetStream's clustering landed,
// so older servers are the ones warned about (docs/cluster.md gives the figures).

/** The first nats-server version replicated streams are recommended on. */
export const REPLICAS_SAFE_FROM = "2.10.0";

/** "2.9.10" / "2.10.0-beta.1" → [2, 9, 10]; undefined when not a version. */
function parseVersion(version: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** True when `version` is known and older than REPLICAS_SAFE_FROM. */
export function unsafeForReplicas(version: string | undefined): boolean {
  const have = version === undefined ? undefined : parseVersion(version);
  const safe = parseVersion(REPLICAS_SAFE_FROM);
  if (!have || !safe) return false;
  for (let i = 0; i < 3; i++) if (have[i] !== safe[i]) return (have[i] ?? 0) < (safe[i] ?? 0);
  return false;
}

/**
 * The one line told to users when a replicated stream lives on such a server, or undefined
 * (not replicated, a safe server, or a version the connection did not report).
 */
export function replicaSafetyNote(
  version: string | undefined,
  replicas: number | undefined,
): string | undefined {
  if ((replicas ?? 1) <= 1 || !unsafeForReplicas(version)) return undefined;
  return (
    `nats-server ${version} is older than ${REPLICAS_SAFE_FROM.replace(/\.0$/, "")}: ` +
    "a replicated stream's copies can diverge under a network partition " +
    "(see docs/cluster.md)"
  );
}
