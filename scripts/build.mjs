#!/usr/bin/env node
// npm run build: bundles src/cli.ts into minified ESM under dist/ so that a run reads few
// files and evaluates only the code it uses:
// - dist/cli.js holds all of src/ and the packages it imports statically (commander).
//   A module src/ imports with `await import("./x.js")` is in it too, but evaluated only
//   when imported (esbuild wraps it): `tweet` runs none of the other commands' modules.
// - each package src/ imports with `await import("pkg")` is a file of its own,
//   dist/vendor/pkg.js, read only then: `--help` never reads nats.js, `tweet` reads it
//   as one file.
// - dist/commands.json: each command's name and summary, all the program's --help needs.
// New source files and packages need no entry here.
//
// Source maps carry their sources (sourcesContent), so the tarball ships no map pointing
// at files it lacks; bin/tweetstream.js turns them on only under TWEETSTREAM_DEBUG. The
// licences of the bundled packages go to dist/THIRD-PARTY-LICENSES.txt. The esbuild
// metafile goes to .cache/build-meta.json (not shipped): the import tracer test
// (test/helpers/trace.ts) maps each loaded file back to the files it holds.

import { build } from "esbuild";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Packages src/ imports dynamically, each to become dist/vendor/<file>.js */
const vendors = new Map(); // package name → { file, importer }

/** @param {string} pkg */
const vendorFile = (pkg) => pkg.replace(/^@/, "").replace(/\//g, "__");

/**
 * Sends `await import("pkg")` in src/ to dist/vendor/<pkg>.js (from dist/cli.js).
 * @type {import("esbuild").Plugin}
 */
const vendorSplit = {
  name: "vendor-split",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind !== "dynamic-import" || args.path.startsWith("node:")) return undefined;
      if (builtinModules.includes(args.path)) return undefined;
      vendors.set(args.path, { file: vendorFile(args.path), importer: args.importer });
      return { path: `./vendor/${vendorFile(args.path)}.js`, external: true };
    });
  },
};

/**
 * The entry of a vendor file: the package's exports by name. For a CommonJS package
 * esbuild cannot know the names (`nats.connect` would be undefined), so they are read
 * from the package itself, here.
 * @param {string} pkg
 * @param {string} importer
 */
function vendorEntry(pkg, importer) {
  const spec = JSON.stringify(pkg);
  let exports;
  try {
    exports = createRequire(importer)(pkg);
  } catch {
    exports = undefined; // an ES module Node 20 cannot require: esbuild knows its names
  }
  if (!exports || exports[Symbol.toStringTag] === "Module")
    return `export * from ${spec};\nexport { default } from ${spec};\n`;
  const names = Object.keys(exports).filter((n) => n !== "default" && /^[A-Za-z_$][\w$]*$/.test(n));
  return `export { ${names.join(", ")} } from ${spec};\nexport { default } from ${spec};\n`;
}

/**
 * An ES import of a Node built-in (`import { createServer } from "node:http"`) would be
 * hoisted to the top of dist/cli.js and run at every start, though the module importing
 * it may never be evaluated: as a CommonJS require, it runs with that module.
 * @type {import("esbuild").Plugin}
 */
const lazyBuiltins = {
  name: "lazy-builtins",
  setup(b) {
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      if (args.kind !== "import-statement" || args.namespace !== "file") return undefined;
      if (!builtinModules.includes(args.path.replace(/^node:/, ""))) return undefined;
      return { path: args.path, namespace: "lazy-builtin" };
    });
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: "js",
    }));
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

const common = /** @satisfies {import("esbuild").BuildOptions} */ ({
  absWorkingDir: root,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: !process.env.NO_MINIFY, // NO_MINIFY=1 for readable profiles
  sourcemap: "linked",
  sourcesContent: true,
  banner: { js: REQUIRE_BANNER },
  legalComments: "none", // the licences are collected whole, below
  metafile: true,
  write: false,
  logLevel: "warning",
});

rmSync(join(root, "dist"), { recursive: true, force: true });
const app = await build({
  ...common,
  entryPoints: ["src/cli.ts"],
  outdir: "dist",
  plugins: [vendorSplit, lazyBuiltins, lazyChildProcess, ignorePackageSourceMaps],
});
const vendor = await build({
  ...common,
  entryPoints: [...vendors].map(([pkg, { file }]) => ({ in: `vendor:${pkg}`, out: file })),
  outdir: "dist/vendor",
  splitting: true, // what two packages share (chalk, in ora) is read once
  chunkNames: "chunk-[hash]",
  plugins: [
    {
      name: "vendor-entries",
      setup(b) {
        b.onResolve({ filter: /^vendor:/ }, (args) => ({
          path: args.path.slice("vendor:".length),
          namespace: "vendor",
        }));
        b.onLoad({ filter: /.*/, namespace: "vendor" }, (args) => ({
          contents: vendorEntry(args.path, vendors.get(args.path).importer),
          resolveDir: root,
          loader: "js",
        }));
      },
    },
    lazyChildProcess,
    ignorePackageSourceMaps,
  ],
});

for (const file of [...app.outputFiles, ...vendor.outputFiles]) {
  mkdirSync(dirname(file.path), { recursive: true });
  let text = file.text;
  if (file.path.endsWith(".js") && !/\brequire\b/.test(text.slice(REQUIRE_BANNER.length)))
    text = text.slice(REQUIRE_BANNER.length);
  writeFileSync(file.path, text);
}
/** @type {import("esbuild").Metafile} */
const meta = {
  inputs: { ...app.metafile.inputs, ...vendor.metafile.inputs },
  outputs: { ...app.metafile.outputs, ...vendor.metafile.outputs },
};

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

writeFileSync(join(root, "dist/THIRD-PARTY-LICENSES.txt"), thirdPartyLicenses(meta));
// The program's help lists each command's term and summary from here, not from the
// command itself: `--help` loads none of them (src/cli.ts, standIns).
const { commandSummaries } = await import(pathToFileURL(join(root, "dist/cli.js")).href);
writeFileSync(join(root, "dist/commands.json"), JSON.stringify(await commandSummaries()) + "\n");
mkdirSync(join(root, ".cache"), { recursive: true });
writeFileSync(join(root, ".cache/build-meta.json"), JSON.stringify(meta));
if (!existsSync(join(root, "dist/cli.js"))) throw new Error("build: dist/cli.js missing");
