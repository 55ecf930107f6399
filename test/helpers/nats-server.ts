// The real nats-server launcher, shared with the benchmarks and the demo (scripts/lib).
export { findServerBinary, serverVersion, startServer } from "../../scripts/lib/nats-server.mjs";
export type { ServerOptions, TestServer } from "../../scripts/lib/nats-server.mjs";
