// --trace: every JetStream API request and its reply on stderr, as `nats --trace` shows
// them (subject, then the JSON), once each, with secrets redacted. A wrapper of the
// connection traces its request and publish (a pull is a publish), so every API call of
// the client is seen, whichever module makes it.

import type { Msg, NatsConnection, Payload, PublishOptions, RequestOptions } from "nats";
import { redact } from "../redact.js";

/** `$JS.API.…`, or `$JS.<domain>.API.…` */
const API_SUBJECT = /^\$JS\.(?:[^.]+\.)?API\./;

/** Whether a subject is a JetStream API request, under the default or a given prefix. */
function apiSubject(subject: string, apiPrefix?: string): boolean {
  return API_SUBJECT.test(subject) || (!!apiPrefix && subject.startsWith(`${apiPrefix}.`));
}

function text(data: Payload | undefined): string {
  if (data === undefined) return "";
  return typeof data === "string" ? data : new TextDecoder().decode(data);
}

function write(direction: ">>>" | "<<<", subject: string, body: string): void {
  process.stderr.write(redact(`${direction} ${subject}\n${body ? body + "\n" : ""}`));
}

/**
 * `nc` seen through a tracing wrapper of ours (`nc` itself is not changed): its request and
 * publish print API traffic. The connection hands this wrapper to everything, nats.js's
 * JetStream client and manager included (they make their API calls through the connection
 * they were created from), so every API call is seen. The first line says where it went.
 */
export function tracedConnection(
  nc: NatsConnection,
  servers: string,
  apiPrefix?: string,
): NatsConnection {
  process.stderr.write(redact(`--- connected to ${nc.getServer()} (servers: ${servers})\n`));
  // nats.js sends a request with the connection's own publish, synchronously inside
  // request(): that publish is the request already shown, not a second one
  let requesting = false;
  const request = async function (
    this: NatsConnection,
    subject: string,
    data?: Payload,
    opts?: RequestOptions,
  ): Promise<Msg> {
    if (!apiSubject(subject, apiPrefix)) return nc.request.call(this, subject, data, opts);
    write(">>>", subject, text(data));
    let sent: Promise<Msg>;
    requesting = true;
    try {
      sent = nc.request.call(this, subject, data, opts);
    } finally {
      requesting = false;
    }
    try {
      const reply = await sent;
      write("<<<", subject, text(reply.data));
      return reply;
    } catch (err) {
      write("<<<", subject, `(no reply: ${(err as Error).message})`);
      throw err;
    }
  };
  const publish = function (
    this: NatsConnection,
    subject: string,
    data?: Payload,
    opts?: PublishOptions,
  ): void {
    if (!requesting && apiSubject(subject, apiPrefix)) write(">>>", subject, text(data));
    nc.publish.call(this, subject, data, opts);
  };
  // the connection's own methods run with the wrapper as `this`, so that a request's publish
  // and the JetStream objects it creates come back through it
  return new Proxy(nc, {
    get(target, key, receiver) {
      if (key === "request") return request;
      if (key === "publish") return publish;
      return Reflect.get(target, key, receiver);
    },
  });
}
