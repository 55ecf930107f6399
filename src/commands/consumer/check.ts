// `consumer check [stream] [name]`: thresholds on a consumer's state for monitoring and CI
// gates. A crossed threshold is a result, not an error: exit 8 (warning) or 9 (critical),
// or Nagios's own 1 and 2 under --format nagios; failures keep the usual exit codes.

import { Command, Option } from "commander";
import {
  checkConsumer,
  METRICS,
  type MetricName,
  type Thresholds,
} from "../../check/consumer-check.js";
import { CliError, ExitCode, usageError } from "../../errors.js";
import { getConsumer } from "../../nats/consumers.js";
import {
  CHECK_FORMATS,
  renderCheckHuman,
  renderCheckNagios,
  renderCheckPrometheus,
  type CheckFormat,
} from "../../output/check.js";
import { parseCount, parseDuration } from "../../parse.js";
import { examples } from "../help.js";
import { consumerCommand, resolveTarget } from "./target.js";

type CheckFlags = Record<string, string | undefined> & { format?: string };

function camel(flag: string): string {
  return flag.replace(/-(.)/g, (_, c: string) => c.toUpperCase());
}

/** The thresholds given on the command line, in the metric's unit (count, seconds). */
export function thresholdsFrom(flags: CheckFlags): Partial<Record<MetricName, Thresholds>> {
  const out: Partial<Record<MetricName, Thresholds>> = {};
  for (const m of METRICS) {
    const t: Thresholds = {};
    for (const level of ["warn", "crit"] as const) {
      const text = flags[camel(`${m.flag}-${level}`)];
      if (text === undefined) continue;
      t[level] =
        m.unit === "s"
          ? parseDuration(text, `--${m.flag}-${level}`) / 1000
          : parseCount(text, `--${m.flag}-${level}`, 0);
    }
    if (t.warn !== undefined && t.crit !== undefined && t.warn > t.crit) {
      throw usageError(`--${m.flag}-warn is above --${m.flag}-crit`);
    }
    if (t.warn !== undefined || t.crit !== undefined) out[m.name] = t;
  }
  return out;
}

let cmd = consumerCommand("check", "check a consumer's state against thresholds (exit 8/9)");
for (const m of METRICS) {
  const arg = m.unit === "s" ? "<duration>" : "<n>";
  cmd = cmd
    .option(`--${m.flag}-warn ${arg}`, `warning above this: ${m.what}`)
    .option(`--${m.flag}-crit ${arg}`, `critical above this`);
}

export const consumerCheckCommand = cmd
  .addOption(
    new Option("--format <format>", "output: human, json, nagios or prometheus").choices(
      CHECK_FORMATS,
    ),
  )
  .addHelpText(
    "after",
    examples(
      "tweetstream consumer check TWITTERCLONE worker --pending-crit 1000",
      "tweetstream consumer check S worker --last-ack-warn 5m --format nagios",
    ) +
      "\nExit 0 ok, 8 warning, 9 critical (--format nagios: 0, 1, 2 as Nagios reads" +
      "\nthem). A failure to check keeps its usual code (3 connection, 4 not found).\n",
  )
  .action(
    async (stream: string | undefined, name: string | undefined, flags: CheckFlags, c: Command) => {
      const thresholds = thresholdsFrom(flags);
      const t = await resolveTarget(c, stream, name);
      const out = t.inv.out;
      const format: CheckFormat =
        (flags.format as CheckFormat | undefined) ?? (out.json ? "json" : "human");
      const result = checkConsumer(await getConsumer(t.jsm, t.stream, t.name), thresholds);
      switch (format) {
        case "json":
          await out.printJson(result);
          break;
        case "nagios":
          await out.result(renderCheckNagios(result));
          break;
        case "prometheus":
          await out.result(renderCheckPrometheus(result));
          break;
        default:
          await out.result(renderCheckHuman(result, out.color));
      }
      if (result.status === "ok") return;
      const nagios = format === "nagios";
      const code =
        result.status === "warning"
          ? nagios
            ? 1
            : ExitCode.CheckWarning
          : nagios
            ? 2
            : ExitCode.CheckCritical;
      throw new CliError(`check ${result.status}`, code as ExitCode, { reported: true });
    },
  );
