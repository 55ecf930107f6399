// `serve`: the article's HTTP app over JetStream (POST /tweets, likes, a timeline
// projected from the stream, SSE of new events). The action only parses options; the
// server lives in src/serve/ and is imported when the command runs.

import { Command, Option } from "commander";
import { invocationOf } from "../invocation.js";
import { usageError } from "../errors.js";
import { addLeafOptions } from "../global-options.js";
import { parseDuration, parsePort, parseSize } from "../parse.js";
import { examples } from "./help.js";

interface ServeFlags {
  host: string;
  port: string;
  maxBody: string;
  requestTimeout: string;
  grace: string;
  accessLog?: boolean;
  cors?: string;
  allowedHosts?: string;
  authToken?: string;
  logFormat: string;
}

export const serveCommand = addLeafOptions(
  new Command("serve")
    .description(
      "run the article's HTTP app: a web page at GET /, POST /tweets and likes publish events, GET /tweets is a timeline kept as a view of the stream in the key-value bucket tweetstream_view_<STREAM> (shared by every serve of the stream; a restart resumes from it), GET /events streams new events (SSE)",
    )
    .addOption(
      new Option("--host <address>", "address to listen on")
        .env("TWEETSTREAM_HOST")
        .default("127.0.0.1"),
    )
    .addOption(
      new Option("-p, --port <port>", "port to listen on (0: any free port, printed on start)")
        .env("TWEETSTREAM_PORT")
        .default("8080"),
    )
    .option("--max-body <size>", "largest request body accepted (413 beyond)", "16KB")
    .option(
      "--request-timeout <duration>",
      "time a client has to send its request (408 beyond)",
      "30s",
    )
    .option("--grace <duration>", "on SIGINT/SIGTERM, how long in-flight requests may take", "10s")
    .option("--access-log", "one line per request on stderr: time, method, path, status, duration")
    .addOption(
      new Option(
        "--log-format <format>",
        "access lines and warnings on stderr as text, or json: one object a line",
      )
        .choices(["text", "json"])
        .env("TWEETSTREAM_LOG_FORMAT")
        .default("text"),
    )
    .option(
      "--cors <origins>",
      "let pages from these origins call the API (comma-separated, or *); off by default",
    )
    .option(
      "--allowed-hosts <names>",
      "Host names answered besides localhost and the bound address (comma-separated, name or name:port; * for any); others get 421",
    )
    .addOption(
      new Option(
        "--auth-token <token>",
        "writes need Authorization: Bearer <token> (401 otherwise); prefer the variable",
      ).env("TWEETSTREAM_SERVE_TOKEN"),
    )
    .addHelpText(
      "after",
      examples(
        "tweetstream serve         # then open http://127.0.0.1:8080/ in a browser",
        'tweetstream serve --port 0 --json  # prints {"status":"listening","url":…}',
        "curl -s -X POST localhost:8080/tweets -H 'Content-Type: application/json' \\\n" +
          '-d \'{"message":"hi","author":"ann"}\'',
        "curl -s 'localhost:8080/tweets?limit=10'",
        "curl -N localhost:8080/events",
        "tweetstream serve --cors http://localhost:5173",
      ),
    )
    .action(async (flags: ServeFlags, cmd: Command) => {
      const inv = invocationOf(cmd, { reconnectForever: true });
      const opts = {
        host: flags.host.trim() || "127.0.0.1",
        port: parsePort(flags.port),
        maxBodyBytes: parseSize(flags.maxBody, "--max-body"),
        requestTimeoutMs: parseDuration(flags.requestTimeout, "--request-timeout"),
        gracePeriodMs: parseDuration(flags.grace, "--grace"),
        accessLog: Boolean(flags.accessLog),
        logFormat: flags.logFormat === "json" ? ("json" as const) : ("text" as const),
        ...(flags.cors !== undefined
          ? { cors: (await import("../serve/cors.js")).parseCorsOrigins(flags.cors) }
          : {}),
        ...(flags.allowedHosts !== undefined
          ? {
              allowedHosts: (await import("../serve/guard.js")).parseAllowedHosts(
                flags.allowedHosts,
              ),
            }
          : {}),
        ...(flags.authToken !== undefined ? { authToken: flags.authToken } : {}),
      };
      // it travels in a header: visible ASCII, no spaces
      if (opts.authToken !== undefined && !/^[\x21-\x7e]+$/.test(opts.authToken))
        throw usageError(
          "--auth-token (TWEETSTREAM_SERVE_TOKEN) must be visible ASCII characters, no spaces",
        );
      if (opts.maxBodyBytes < 1) throw usageError("--max-body must be at least 1 byte");
      if (opts.requestTimeoutMs < 1000) throw usageError("--request-timeout must be at least 1s");
      const { runServe } = await import("../serve/run.js");
      await runServe(inv, opts);
    }),
);
