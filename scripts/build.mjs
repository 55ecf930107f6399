#!/usr/bin/env node
// npm run build: bundles src/cli.ts and everything it imports (the dependencies too) into
// minified ESM under dist/, split into chunks at each dynamic import, so a run loads only
// the code it uses (`--help` never loads the NATS client; `tweet` loads one chunk holding
// nats.js). New source files need no entry here: whatever cli.ts reaches, statically or
// through `await import(...)`, is bundled.
//
// Source maps carry their sources (sourcesContent), so the tarball ships no map pointing
// at files it lacks; bin/tweetstream.js turns them on only under TWEETSTREAM_DEBUG. The
// licences of the bundled packages go to dist/THIRD-PARTY-LICENSES.txt. The esbuild
// metafile goes to .cache/build-meta.json (not shipped): the import tracer test
// (test/helpers/trace.ts) maps each loaded chunk back to the files it holds.

import { build } from "esbuild";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * `await import("nats")` of a CommonJS package inside a bundle yields only `default`
 * (esbuild cannot know the names), so `nats.connect` would be undefined. For each
 * CommonJS package imported dynamically, the import gets an ESM facade naming the
 * package's exports, read from the package itself at build time.
 * @type {import("esbuild").Plugin}
 */
const cjsNamedExports = {
  name: "cjs-named-exports",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind !== "dynamic-import" || args.namespace !== "file") return undefined;
      let exports;
      try {
        exports = createRequire(args.importer)(args.path);
      } catch {
        return undefined; // an ES module Node 20 cannot require: esbuild handles those
      }
      if (exports?.[Symbol.toStringTag] === "Module") return undefined; // require(esm)
      const names = Object.keys(exports ?? {}).filter(
        (n) => n !== "default" && /^[A-Za-z_$][\w$]*$/.test(n),
      );
      return {
        path: args.path,
        namespace: "cjs-facade",
        pluginData: { names, resolveDir: dirname(args.importer) },
      };
    });
    b.onLoad({ filter: /.*/, namespace: "cjs-facade" }, (args) => {
      const spec = JSON.stringify(args.path);
      const { names, resolveDir } = args.pluginData;
      return {
        contents: `export { ${names.join(", ")} } from ${spec};\nexport { default } from ${spec};\n`,
        resolveDir,
        loader: "js",
      };
    });
  },
};

/**
 * commander loads node:child_process (and with it node:net) at start-up for executable
 * subcommands, which tweetstream has none of: load it when first used instead.
 * @type {import("esbuild").Plugin}
 */
const lazyChildProcess = {
  name: "commander-lazy-child-process",
  setup(b) {
    const eager = "const childProcess = require('node:child_process');";
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      if (!text.includes(eager)) return undefined; // another commander: bundle it as it is
      const lazy =
        "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };";
      return { contents: text.replace(eager, lazy), loader: "js" };
    });
  },
};

/**
 * Some packages (nats) ship source maps pointing at TypeScript sources they do not ship:
 * followed, they would leave holes in our maps. Map those packages' compiled JS instead.
 * @type {import("esbuild").Plugin}
 */
const ignorePackageSourceMaps = {
  name: "ignore-package-source-maps",
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.[cm]?js$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      if (!text.includes("//# sourceMappingURL=")) return undefined;
      return { contents: text.replace(/^\/\/# sourceMappingURL=.*$/gm, ""), loader: "js" };
    });
  },
};

// Bundled CommonJS packages (commander, nats, cli-table3) call require() for Node's
// built-ins, which ESM lacks: the chunks that do get a real one (the others would only
// pay for creating it). Blanked rather than removed, so the source maps stay aligned.
const REQUIRE_BANNER =
  'import{createRequire as __cr}from"node:module";const require=__cr(import.meta.url);';

rmSync(join(root, "dist"), { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ["src/cli.ts"],
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  sourcemap: "linked",
  sourcesContent: true,
  chunkNames: "chunks/[name]-[hash]",
  banner: { js: REQUIRE_BANNER },
  legalComments: "none", // the licences are collected whole, below
  metafile: true,
  write: false,
  plugins: [cjsNamedExports, lazyChildProcess, ignorePackageSourceMaps],
  logLevel: "warning",
});

for (const file of result.outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  let text = file.text;
  if (file.path.endsWith(".js") && !/\brequire\b/.test(text.slice(REQUIRE_BANNER.length)))
    text = text.slice(REQUIRE_BANNER.length);
  writeFileSync(file.path, text);
}

/** Every bundled package's licence text, for the tarball. */
function thirdPartyLicenses(/** @type {import("esbuild").Metafile} */ meta) {
  const dirs = new Set();
  for (const input of Object.keys(meta.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(m[1]);
  }
  const parts = [];
  for (const dir of [...dirs].sort()) {
    const pkg = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8"));
    const licenceFile = readdirSync(join(root, dir)).find((f) => /^(licen[cs]e|copying)/i.test(f));
    const text = licenceFile
      ? readFileSync(join(root, dir, licenceFile), "utf8").trim()
      : `(no licence file; package.json says ${pkg.license})`;
    parts.push(`${pkg.name}@${pkg.version} (${pkg.license})\n\n${text}\n`);
  }
  return (
    "tweetstream's dist/ bundles these packages; their licences follow.\n\n" +
    parts.join("\n" + "-".repeat(78) + "\n\n")
  );
}

writeFileSync(join(root, "dist/THIRD-PARTY-LICENSES.txt"), thirdPartyLicenses(result.metafile));
mkdirSync(join(root, ".cache"), { recursive: true });
writeFileSync(join(root, ".cache/build-meta.json"), JSON.stringify(result.metafile));
if (!existsSync(join(root, "dist/cli.js"))) throw new Error("build: dist/cli.js missing");
