import { describe, expect, it } from "vitest";
import { retryingApi } from "../../src/nats/manager.js";
import { RetryBudgetExceeded } from "../../src/nats/retry.js";

const noResponders = () => Object.assign(new Error("503"), { code: "503" });
const permanent = () => Object.assign(new Error("stream not found"), { code: "404" });

/** An in-memory stand-in for a nats.js API: `info` fails transiently `failures` times. */
class FakeApi {
  calls = 0;
  listed = 0;
  constructor(
    private failures: number,
    private listFailures = 0,
  ) {}
  async info(name: string): Promise<string> {
    this.calls++;
    if (this.calls <= this.failures) throw noResponders();
    return `info of ${name}`;
  }
  async remove(): Promise<void> {
    this.calls++;
    throw permanent();
  }
  describe(): string {
    return "not a call to the server";
  }
  list(): AsyncIterable<number> {
    const fail = this.listed++ < this.listFailures;
    return (async function* () {
      yield 1;
      if (fail) throw noResponders(); // the second page got no answer
      yield 2;
      yield 3;
    })();
  }
}

describe("retryingApi: nats.js's APIs through a wrapper of ours", () => {
  it("makes a call that failed transiently again, with the same arguments, until it answers", async () => {
    const api = new FakeApi(2);
    expect(await retryingApi(api, { budgetMs: 10_000 }).info("S")).toBe("info of S");
    expect(api.calls).toBe(3);
  });

  it("throws a permanent failure at once, and RetryBudgetExceeded when the budget runs out", async () => {
    const api = new FakeApi(0);
    await expect(retryingApi(api, { budgetMs: 10_000 }).remove()).rejects.toThrow(
      "stream not found",
    );
    expect(api.calls).toBe(1);
    const silent = new FakeApi(Infinity);
    await expect(retryingApi(silent, { budgetMs: 300 }).info("S")).rejects.toBeInstanceOf(
      RetryBudgetExceeded,
    );
    expect(silent.calls).toBeGreaterThan(1);
  });

  it("reads a list whole again when a page failed transiently, and passes other methods through", async () => {
    const api = new FakeApi(0, 1);
    const wrapped = retryingApi(api, { budgetMs: 10_000 });
    const seen: number[] = [];
    for await (const n of wrapped.list()) seen.push(n);
    expect(seen).toEqual([1, 2, 3]);
    expect(api.listed).toBe(2);
    expect(wrapped.describe()).toBe("not a call to the server");
  });

  it("leaves the library's object as it was", async () => {
    const api = new FakeApi(1);
    const own = Object.getOwnPropertyNames(api);
    await retryingApi(api, { budgetMs: 10_000 }).info("S");
    expect(Object.getOwnPropertyNames(api)).toEqual(own);
    expect(Object.hasOwn(api, "info")).toBe(false);
    await expect(api.info("S")).resolves.toBe("info of S"); // unwrapped: no retry added to it
  });
});
