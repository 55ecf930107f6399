// The layering of docs/development.md ("Layers"), checked by `npm run lint:deps` in CI.
// From the bottom: the domain (types and pure rules) and util; config, worker, input; the
// NATS layer (src/nats/); rendering (src/output/, src/check/); what actions start from
// (global options, invocation, completion); the commands and serve; the program and cli.ts.

/** Bottom of the house: imports only its own kind. */
const DOMAIN =
  "^src/(domain|util)/|^src/(errors|events|go-date|parse|redact|subjects|signals|confirm)\\.ts$";
const ABOVE_NATS =
  "^src/(output|check|commands|serve|completion)/|^src/(cli|program|invocation|global-options)\\.ts$";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No import cycles, type-only ones included.",
      from: {},
      to: { circular: true },
    },
    {
      name: "domain-at-the-bottom",
      severity: "error",
      comment: "The domain and util import only the domain and util.",
      from: { path: DOMAIN },
      to: { path: "^src/", pathNot: DOMAIN },
    },
    {
      name: "config-worker-input-low",
      severity: "error",
      comment: "config/, worker/ and input/ build on the domain only.",
      from: { path: "^src/(config|worker|input)/" },
      to: { path: "^src/", pathNot: [DOMAIN, "^src/(config|worker|input)/"] },
    },
    {
      name: "nats-below-output",
      severity: "error",
      comment:
        "src/nats/ imports nothing from output/, commands/, serve/ or what builds on them: it " +
        "throws structured errors (domain/), output/ words them.",
      from: { path: "^src/nats/" },
      to: { path: ABOVE_NATS },
    },
    {
      name: "only-nats-loads-the-client",
      severity: "error",
      comment: 'Only src/nats/ imports the "nats" package at run time (elsewhere: types only).',
      from: { path: "^src/", pathNot: "^src/nats/" },
      to: { path: "node_modules/nats/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "output-renders-only",
      severity: "error",
      comment:
        "output/ and check/ render: they may read nats/ types, never call it, and know no " +
        "command, serve or program.",
      from: { path: "^src/(output|check)/" },
      to: {
        path: "^src/(commands|serve|completion)/|^src/(cli|program|invocation|global-options)\\.ts$",
      },
    },
    {
      name: "output-reads-nats-types-only",
      severity: "error",
      comment: "output/ may name nats/ types (what it renders) but calls nothing there.",
      from: { path: "^src/(output|check)/" },
      to: { path: "^src/nats/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "actions-start-below-commands",
      severity: "error",
      comment: "What an action starts from (options, invocation, completion) knows no command.",
      from: { path: "^src/(global-options|invocation)\\.ts$|^src/completion/" },
      to: { path: "^src/(commands|serve)/|^src/(cli|program)\\.ts$" },
    },
    {
      name: "serve-is-no-command",
      severity: "error",
      comment: "serve/ is used by commands/serve.ts, never the other way round.",
      from: { path: "^src/serve/" },
      to: { path: "^src/(commands|completion)/|^src/(cli|program)\\.ts$" },
    },
    {
      name: "nothing-imports-the-entry",
      severity: "error",
      comment: "cli.ts is the entry point; program.ts holds what others need of it.",
      from: { pathNot: "^src/cli\\.ts$" },
      to: { path: "^src/cli\\.ts$" },
    },
    {
      name: "commands-below-program",
      severity: "error",
      comment: "Commands are listed by program.ts, and do not import it (completion excepted).",
      from: { path: "^src/(commands|completion)/", pathNot: "^src/commands/completion\\.ts$" },
      to: { path: "^src/program\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "^(dist|test|scripts)/" },
  },
};
