import { defineConfig } from "vitest/config";

// Two projects: `unit` (test/unit: pure code and in-memory fakes; no build, no nats-server,
// so `npx vitest run --project unit` takes seconds) and `integration` (test/integration: the
// built CLI against a real nats-server; its global set-up checks both are there).
// `vitest run` (npm test) runs both.
const shared = {
  pool: "forks",
  testTimeout: 30_000,
  hookTimeout: 30_000,
} as const;

export default defineConfig({
  test: {
    // integration files each start their own server; two cores
    maxWorkers: 2,
    projects: [
      { test: { ...shared, name: "unit", include: ["test/unit/**/*.test.ts"] } },
      {
        test: {
          ...shared,
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
        },
      },
    ],
  },
});
