// --trace: every JetStream API request and its reply on stderr, as `nats --trace` shows
// them (subject, then the JSON), once each, with secrets redacted. Wraps the connection's
// request and publish (a pull is a publish), so every API call of the client is seen,
// whichever module makes it.

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

/** Traces `nc`'s API requests; the first line says where the connection went. */
export function traceApi(nc: NatsConnection, servers: string, apiPrefix?: string): void {
  process.stderr.write(redact(`--- connected to ${nc.getServer()} (servers: ${servers})\n`));
  const request = nc.request.bind(nc);
  const publish = nc.publish.bind(nc);
  // nats.js sends a request with the connection's own publish, synchronously inside
  // request(): that publish is the request already shown, not a second one
  let requesting = false;
  nc.request = async (subject: string, data?: Payload, opts?: RequestOptions): Promise<Msg> => {
    if (!apiSubject(subject, apiPrefix)) return request(subject, data, opts);
    write(">>>", subject, text(data));
    let sent: Promise<Msg>;
    requesting = true;
    try {
      sent = request(subject, data, opts);
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
  nc.publish = (subject: string, data?: Payload, opts?: PublishOptions): void => {
    if (!requesting && apiSubject(subject, apiPrefix)) write(">>>", subject, text(data));
    publish(subject, data, opts);
  };
}
