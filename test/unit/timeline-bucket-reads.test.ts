// The view bucket's direct reads against an in-memory connection: each answer matched to its
// read by the reply subject's token, a missing key, a deleted one, a refusal, and a read that
// gets no answer (a TIMEOUT the error mapping knows), whatever order the answers come in.

import { describe, expect, it } from "vitest";
import type { Msg, NatsConnection } from "nats";
import { directReader } from "../../src/nats/direct-gets.js";

type Answer = {
  code?: number;
  description?: string;
  headers?: Record<string, string | undefined>;
  data?: string;
};

/** A connection whose direct gets `answer` decides (undefined: never answered). */
function fakeConnection(answer: (subject: string) => Answer | undefined) {
  let deliver: ((err: Error | null, m: Msg) => void) | undefined;
  const sent: Array<{ subject: string; reply: string }> = [];
  const nc = {
    subscribe(_subject: string, opts: { callback(err: Error | null, m: Msg): void }) {
      deliver = opts.callback;
      return { closed: new Promise(() => undefined) };
    },
    publish(subject: string, _data: unknown, opts: { reply: string }) {
      sent.push({ subject, reply: opts.reply });
    },
  } as unknown as NatsConnection;
  /** answers what was sent, last first (answers may come in any order) */
  const answerAll = () => {
    for (const { subject, reply } of sent.splice(0).reverse()) {
      const a = answer(subject);
      if (!a) continue;
      const headers = {
        code: a.code ?? 0,
        description: a.description ?? "",
        // as nats.js: "" for a header the message does not have
        last: (k: string) => a.headers?.[k] ?? "",
      };
      deliver!(null, {
        subject: reply,
        headers,
        data: Buffer.from(a.data ?? ""),
      } as unknown as Msg);
    }
  };
  return { nc, sent, answerAll };
}

describe("the view bucket's direct reads", () => {
  it("matches each answer to its read, whatever their order", async () => {
    const { nc, sent, answerAll } = fakeConnection((subject) => {
      const key = subject.split(".").pop()!;
      if (key === "missing") return { code: 404, description: "Message Not Found" };
      if (key === "gone") return { headers: { "Nats-Sequence": "9", "KV-Operation": "DEL" } };
      return { headers: { "Nats-Sequence": key === "a" ? "3" : "7" }, data: `"${key}"` };
    });
    const read = directReader(nc, "_INBOX", "$JS.API.DIRECT.GET.KV_b");
    const reads = ["a", "b", "missing", "gone"].map((k) => read(`$KV.b.${k}`, 5_000));
    expect(sent.map((s) => s.subject)).toEqual([
      "$JS.API.DIRECT.GET.KV_b.$KV.b.a",
      "$JS.API.DIRECT.GET.KV_b.$KV.b.b",
      "$JS.API.DIRECT.GET.KV_b.$KV.b.missing",
      "$JS.API.DIRECT.GET.KV_b.$KV.b.gone",
    ]);
    answerAll();
    const [a, b, missing, gone] = await Promise.all(reads);
    expect(a).toMatchObject({ operation: "PUT", revision: 3 });
    expect(Buffer.from(a!.value).toString()).toBe('"a"');
    expect(b).toMatchObject({ operation: "PUT", revision: 7 });
    expect(missing).toBeNull();
    expect(gone).toMatchObject({ operation: "DEL", revision: 9 });
  });

  it("a refusal, an answer without a sequence and no answer at all are errors", async () => {
    const { nc, answerAll } = fakeConnection((subject) => {
      if (subject.endsWith(".refused")) return { code: 503 };
      if (subject.endsWith(".odd")) return { data: "{}" };
      return undefined;
    });
    const read = directReader(nc, "_INBOX", "$JS.API.DIRECT.GET.KV_b");
    const refused = read("$KV.b.refused", 5_000);
    const odd = read("$KV.b.odd", 5_000);
    const silent = read("$KV.b.silent", 50);
    answerAll();
    await expect(refused).rejects.toMatchObject({ code: "503" });
    await expect(odd).rejects.toThrow("invalid direct get answer");
    await expect(silent).rejects.toMatchObject({ code: "TIMEOUT" });
  });
});
