// What CI says of its suites, from vitest's JSON reports (.ci/run writes one per suite in
// .cache/ci-results/<label>.json, and one in rerun/<label>.json when the files with a failed test
// ran again alone).
//
//   node scripts/ci/results.mjs failed-files <report.json>   the test files with a failed test, one a line
//   node scripts/ci/results.mjs summary <results-dir>        every failure and flake, by name, then the
//                                                            closing line "N passed, N failed"
//
// A test that failed in its suite and passed when its file ran again alone counts as passed, and is
// named as flaky above the closing line, so every CI log says which tests are not yet steady.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join, relative } from "node:path";

/**
 * @typedef {{ fullName: string, status: string, failureMessages?: string[] }} Assertion
 * @typedef {{ name: string, status: string, message?: string, assertionResults?: Assertion[] }} FileResult
 * @typedef {{ numPassedTests: number, numFailedTests: number, testResults?: FileResult[] }} Report
 * @typedef {{ file: string, status: string, message: string, count?: number }} TestState
 */

/** @param {string} file @returns {Report} */
const read = (file) => JSON.parse(readFileSync(file, "utf8"));

/**
 * Every test of a report by key (file + full name).
 * @param {Report} report
 * @returns {Map<string, TestState>}
 */
function tests(report) {
  /** @type {Map<string, TestState>} */
  const out = new Map();
  for (const file of report.testResults ?? []) {
    const path = relative(process.cwd(), file.name);
    for (const t of file.assertionResults ?? []) {
      const message =
        (t.failureMessages ?? [])
          .join("\n")
          .split("\n")
          .find((/** @type {string} */ l) => l.trim()) ?? "";
      out.set(`${path} > ${t.fullName}`, {
        file: path,
        status: t.status,
        message: message.trim().slice(0, 300),
      });
    }
    // a file that failed with no failed test (an import or a beforeAll hook threw: its tests
    // are skipped or absent) counts as one failure of the file itself
    const anyFailed = (file.assertionResults ?? []).some((t) => t.status === "failed");
    if (file.status === "failed" && !anyFailed) {
      out.set(`${path} > (the file itself)`, {
        file: path,
        status: "failed",
        message:
          (file.message ?? "").split("\n")[0] ||
          "it failed outside its tests (an import or a beforeAll hook: see the log above)",
      });
    }
  }
  return out;
}

/**
 * A file that failed as a whole, run again: passed when every test in it passed.
 * @param {Map<string, TestState>} rerun
 * @param {string} file
 * @returns {TestState | undefined}
 */
function wholeFileAgain(rerun, file) {
  const mine = [...rerun.values()].filter((t) => t.file === file);
  if (mine.length === 0) return undefined;
  const bad = mine.find((t) => t.status === "failed");
  return bad
    ? bad
    : {
        file,
        message: "",
        status: "passed",
        count: mine.filter((t) => t.status === "passed").length,
      };
}

const [command, target = ""] = process.argv.slice(2);
if (command === "failed-files") {
  const files = new Set(
    [...tests(read(target)).values()].filter((t) => t.status === "failed").map((t) => t.file),
  );
  process.stdout.write([...files].map((f) => `${f}\n`).join(""));
} else if (command === "summary") {
  let passed = 0;
  let failed = 0;
  const lines = [];
  for (const name of readdirSync(target)
    .filter((n) => n.endsWith(".json"))
    .sort()) {
    const label = name.slice(0, -".json".length);
    const base = read(join(target, name));
    passed += base.numPassedTests;
    failed += base.numFailedTests;
    const failures = [...tests(base)].filter(([, t]) => t.status === "failed");
    const rerunFile = join(target, "rerun", name);
    const rerun = existsSync(rerunFile) ? tests(read(rerunFile)) : new Map();
    for (const [key, t] of failures) {
      const whole = key.endsWith(" > (the file itself)"); // not among vitest's counts
      if (whole) failed += 1;
      const again = whole ? wholeFileAgain(rerun, t.file) : rerun.get(key);
      if (again?.status === "passed") {
        passed += whole ? again.count : 1;
        failed -= 1;
        lines.push(
          `flaky [${label}] ${key} (failed: ${t.message}; passed when its file ran again)`,
        );
      } else {
        lines.push(`FAILED [${label}] ${key}: ${(again ?? t).message}`);
      }
    }
  }
  for (const line of lines) console.log(line);
  console.log(`${passed} passed, ${failed} failed`);
} else {
  console.error("usage: results.mjs failed-files <report.json> | summary <results-dir>");
  process.exit(2);
}
