// The demo's workflow (scripts/demo.mjs): its steps, each shown as `# <description>` then
// `$ tweetstream <args>`, and the cluster variant. A module of its own so that a test can
// check that every line fits an 80-column terminal without running the demo.

/**
 * @typedef {Record<string, any>} Saved the --json output of earlier steps, by name
 * @typedef {[string, string[] | ((saved: Saved) => string[]), { save?: string }?]} Step
 * The workflow: [description, tweetstream arguments (or a function of earlier results),
 * options]; `save` keeps a step's --json output for later steps.
 * @type {Step[]}
 */
export const STEPS = [
  ["create the article's stream TWITTERCLONE (subjects TWITTERCLONE.*)", ["stream", "add"]],
  ["running it again is safe: it says the stream exists", ["stream", "add"]],
  [
    "tweet, as the article's POST /tweets does (--json: the demo keeps its id)",
    ["tweet", "hello world !", "--author", "ziggornif", "--json"],
    { save: "tweet" },
  ],
  [
    "like that tweet, as POST /tweets/:id/likes does",
    (saved) => ["like", saved.tweet.event.id, "--author", "alice"],
  ],
  ["list the streams, like `nats stream ls`", ["stream", "ls"]],
  [
    "the stored likes, like `nats stream view` (never pages, works in a pipe)",
    ["view", "--subject", "tweet_liked"],
  ],
  [
    "process events like the article's durable subscriber: print, then ack",
    ["listen", "--durable", "demo", "--count", "2", "--timeout", "10s"],
  ],
  ["load generation: 1000 tweets, pipelined", ["tweet", "load test {{n}}", "--count", "1000"]],
  [
    "the durable resumes after its last acknowledged event: the load test",
    ["listen", "--durable", "demo", "--count", "3", "--timeout", "10s"],
  ],
  ["show the stream's configuration and state", ["stream", "info"]],
];

export const KILL = ["(kill the stream leader)"];
export const RESTART = ["(restart the killed node)"];

/**
 * The workflow on a cluster: the stream with 3 replicas; the stream leader's node killed
 * before the load generation (which rides out the election), restarted before the end.
 * @param {Step[]} steps
 * @returns {Step[]}
 */
export function clusterSteps(steps) {
  /** @type {Step[]} */
  const out = [];
  for (const step of steps) {
    const [what, args] = step;
    if (Array.isArray(args) && args[0] === "stream" && args[1] === "add") {
      const first = !out.some(([, a]) => Array.isArray(a) && a[0] === "stream" && a[1] === "add");
      const how = first ? "create TWITTERCLONE with 3 replicas, one on each node" : what;
      out.push([how, [...args, "--replicas", "3"]]);
      continue;
    }
    if (Array.isArray(args) && args[0] === "tweet" && args.includes("--count")) {
      out.push(["kill -9 the node that leads the stream: an election follows (5-7 s)", KILL]);
      out.push([`${what}, through the election`, args]);
      out.push(["the stream's cluster state: a replica is down", ["stream", "info"]]);
      continue;
    }
    if (Array.isArray(args) && args[0] === "stream" && args[1] === "info") {
      out.push(["restart the killed node: it catches up", RESTART]);
    }
    out.push(step);
  }
  return out;
}

/** @param {string} arg */
export function shellQuote(arg) {
  return /^[\w@%+=:,./{}-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}
