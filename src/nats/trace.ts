// --trace: every JetStream API request and its reply on stderr, as `nats --trace` shows
// them (subject, then the JSON), once each, with secrets redacted. Wraps the connection's
// request and publish (a pull is a publish), so every API call of the client is seen,
// whichever module makes it.

import type { Msg, NatsConnection, Payload, PublishOptions, RequestOptions } from "nats";
import { redact } from "../redact.js";

/** `$JS.API.…`, or `$JS.<domain>.API.…` */
const API_SUBJECT = /^\$JS\.(?:[^.]+\.)?API\./;

function text(data: Payload | undefined): string {
  if (data === undefined) return "";
  return typeof data === "string" ? data : new TextDecoder().decode(data);
}

function write(direction: ">>>" | "<<<", subject: string, body: string): void {
  process.stderr.write(redact(`${direction} ${subject}\n${body ? body + "\n" : ""}`));
}

export function traceApi(nc: NatsConnection): void {
  const request = nc.request.bind(nc);
  const publish = nc.publish.bind(nc);
  // nats.js sends a request with the connection's own publish, synchronously inside
  // request(): that publish is the request already shown, not a second one
  let requesting = false;
  nc.request = async (subject: string, data?: Payload, opts?: RequestOptions): Promise<Msg> => {
    if (!API_SUBJECT.test(subject)) return request(subject, data, opts);
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
    if (!requesting && API_SUBJECT.test(subject)) write(">>>", subject, text(data));
    publish(subject, data, opts);
  };
}
