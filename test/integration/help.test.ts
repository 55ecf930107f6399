import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

describe("help", () => {
  it("the program's help, from the built commands' summaries, is the whole tree's", async () => {
    // dist/cli.js (not src/) reads dist/commands.json: the light path `--help` takes
    const dist: string = new URL("../../dist/cli.js", import.meta.url).href;
    const cli = (await import(dist)) as typeof import("../../src/cli.js");
    const light = await cli.buildProgram(["node", "tweetstream", "--help"]);
    expect(light.commands.map((c) => c.options.length)).toEqual(light.commands.map(() => 0));
    const whole = await cli.buildProgram(["node", "tweetstream"], { whole: true });
    expect(whole.commands.some((c) => c.options.length > 0)).toBe(true);
    expect(light.helpInformation()).toBe(whole.helpInformation());
  });

  it("a subcommand's --help lists the global options that work after it", async () => {
    const r = await runCli(["stream", "info", "--help"]);
    expect(r.code).toBe(0);
    const globals = r.stdout.slice(r.stdout.indexOf("Global Options:"));
    expect(globals).toMatch(/^Global Options:/);
    for (const flag of ["--server", "--timeout", "--json", "--stream", "--quiet", "--creds"])
      expect(globals).toContain(flag);
    expect(globals).toContain("env: NATS_URL");
    expect(globals).not.toContain("--version");
  });

  it("listen's own --timeout is not listed as the global one", async () => {
    const r = await runCli(["listen", "--help"]);
    const globals = r.stdout.slice(
      r.stdout.indexOf("Global Options:"),
      r.stdout.indexOf("Examples:"),
    );
    expect(globals).toContain("--server");
    expect(globals).not.toContain("--timeout");
    expect(r.stdout).toMatch(/idle timeout/);
  });

  it("help never points at a README a global install does not have", async () => {
    for (const args of [["--help"], ["stream", "--help"], ["tweet", "--help"]]) {
      const r = await runCli(args);
      expect(r.stdout).not.toMatch(/README/);
    }
  });

  it("`help --help` and `help <command>` exit 0", async () => {
    const r = await runCli(["help", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: tweetstream/);
    expect((await runCli(["help", "stream"])).code).toBe(0);
  });

  it("-n is --count wherever there is a count", async () => {
    for (const cmd of ["tweet", "view", "listen"]) {
      const r = await runCli([cmd, "--help"]);
      expect(r.stdout, cmd).toMatch(/-n, --count <n>/);
    }
  });
});

describe("--subject typos", () => {
  it.each([
    [["view", "--subject", "tweet_likes"], "--subject tweet_liked"],
    [["listen", "--subject", "tweet_create"], "--subject tweet_created"],
    [
      ["stream", "purge", "TWITTERCLONE", "--subject", "TWITTERCLONE.twet_liked", "--force"],
      "TWITTERCLONE.tweet_liked",
    ],
  ])("%j is exit 2 suggesting the right one, before connecting", async (args, fix) => {
    const r = await runCli(args, { env: { NATS_URL: "nats://127.0.0.1:1" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`did you mean ${fix.startsWith("--") ? fix : `--subject ${fix}`}?`);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
