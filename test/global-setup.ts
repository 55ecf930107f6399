// Runs once before the integration project: it needs the built CLI and a nats-server.

import { existsSync } from "node:fs";
import { findServerBinary, serverVersion } from "./helpers/nats-server.js";
import { BIN, ROOT } from "./helpers/cli.js";
import { join } from "node:path";

export default function setup(): void {
  const bin = findServerBinary();
  if (!bin) {
    console.error(
      "nats-server not found: install it (scripts/install-nats-server.sh, apt-get install nats-server) or set NATS_SERVER_BIN",
    );
    process.exit(1);
  }
  if (!existsSync(join(ROOT, "dist", "cli.js")) || !existsSync(BIN)) {
    console.error("the CLI is not built: run npm run build (npm test does it)");
    process.exit(1);
  }
  console.log(`node ${process.version}, nats-server ${serverVersion(bin)} (${bin})`);
}
