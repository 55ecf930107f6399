// Every command's definition, in one module that src/cli.ts loads on demand: bundled as
// one chunk, so `--help` or a command reads one file instead of one per command and
// per shared helper, and `--version` reads none. What a command does stays out of it:
// the NATS client, spinners, tables and serve's server load inside the actions.

export { streamCommand } from "./stream/index.js";
export { tweetCommand } from "./tweet.js";
export { likeCommand } from "./like.js";
export { publishCommand } from "./publish.js";
export { viewCommand } from "./view.js";
export { listenCommand } from "./listen.js";
export { serveCommand } from "./serve.js";
