#!/usr/bin/env node
import module from "node:module";

// Node ≥ 22.1 can cache compiled code between runs: a faster start for every command.
module.enableCompileCache?.();

const { main } = await import("../dist/cli.js");
main(process.argv);
