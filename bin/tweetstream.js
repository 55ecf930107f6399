#!/usr/bin/env node
import module from "node:module";

// Node ≥ 22.1 can cache compiled code between runs: a faster start for every command.
module.enableCompileCache?.();
// dist/ is minified; its source maps (with the sources inside) make a stack trace
// readable, at a start-up cost paid only when debugging
if (process.env.TWEETSTREAM_DEBUG) process.setSourceMapsEnabled(true);

const { main } = await import("../dist/cli.js");
main(process.argv);
