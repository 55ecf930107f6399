// Error mapping, by code not by text: JetStream API err_codes and nats client codes
// become CliErrors with the documented exit codes. The only module that knows them.

import { CliError, ExitCode } from "../errors.js";
import { redact, redactUrl } from "../redact.js";

/** JetStream API error codes (err_code) that tweetstream distinguishes. */
export const JsErr = {
  ConsumerNotFound: 10014,
  ConsumerNameExists: 10013,
  ConsumerAlreadyExists: 10105,
  ConsumerExists: 10148,
  StreamNotFound: 10059,
  StreamNameInUse: 10058,
  StreamSubjectOverlap: 10065,
  StreamWrongLastSequence: 10071,
  NoMessageFound: 10037,
  InsufficientResources: 10023,
  StreamStoreFailed: 10077,
  ConsumerPushMaxWaiting: 10080,
  MaximumConsumersLimit: 10026,
  ConsumerConfigRequired: 10078,
  StreamNotMatch: 10060,
} as const;

export interface ErrorContext {
  phase?: "connect" | "jetstream" | "request";
  servers?: string[];
  /** the stream the command was about, for not-found messages */
  stream?: string;
  /** the consumer the command was about */
  consumer?: string;
}

interface NatsLikeError {
  code?: string;
  message?: string;
  api_error?: { code: number; err_code?: number; description: string };
  chainedError?: unknown;
}

function asNats(err: unknown): NatsLikeError | undefined {
  return err && typeof err === "object" ? (err as NatsLikeError) : undefined;
}

/** The JetStream API err_code of an error, if it carries one. */
export function jsErrorCode(err: unknown): number | undefined {
  return asNats(err)?.api_error?.err_code;
}

/** The nats client code ("503", "TIMEOUT", "CONNECTION_REFUSED", …) of an error. */
export function natsErrorCode(err: unknown): string | undefined {
  const code = asNats(err)?.code;
  return typeof code === "string" ? code : undefined;
}

function where(ctx: ErrorContext): string {
  return ctx.servers && ctx.servers.length > 0
    ? ctx.servers.map(redactUrl).join(", ")
    : "the server";
}

export function toCliError(err: unknown, ctx: ErrorContext = {}): CliError {
  if (err instanceof CliError) return err;
  const e = asNats(err);
  const api = e?.api_error;
  if (api) {
    const desc = redact(api.description);
    switch (api.err_code) {
      case JsErr.StreamNotFound:
        return new CliError(
          ctx.stream ? `stream ${ctx.stream} not found` : `stream not found (${desc})`,
          ExitCode.NotFound,
        );
      case JsErr.ConsumerNotFound:
        return new CliError(
          ctx.consumer ? `consumer ${ctx.consumer} not found` : `consumer not found (${desc})`,
          ExitCode.NotFound,
        );
      case JsErr.StreamNameInUse:
        return new CliError(
          `stream ${ctx.stream ?? ""} already exists with a different configuration`.replace(
            "  ",
            " ",
          ),
          ExitCode.Conflict,
        );
      case JsErr.StreamSubjectOverlap:
        return new CliError(
          `subjects overlap with an existing stream (${desc})`,
          ExitCode.Conflict,
        );
      case JsErr.ConsumerNameExists:
      case JsErr.ConsumerAlreadyExists:
      case JsErr.ConsumerExists:
        return new CliError(
          `consumer already exists with a different configuration (${desc})`,
          ExitCode.Conflict,
        );
      default:
        if (api.code === 404) return new CliError(desc, ExitCode.NotFound);
        if (api.code === 503)
          return new CliError(`JetStream unavailable: ${desc}`, ExitCode.Connection);
        return new CliError(
          `JetStream error: ${desc}`,
          api.code >= 500 ? ExitCode.Internal : ExitCode.Usage,
        );
    }
  }
  const code = natsErrorCode(err);
  const servers = where(ctx);
  switch (code) {
    case "CONNECTION_REFUSED":
      return new CliError(`cannot connect to ${servers}: connection refused`, ExitCode.Connection);
    case "AUTHORIZATION_VIOLATION":
    case "AUTHENTICATION_EXPIRED":
    case "AUTHENTICATION_TIMEOUT":
    case "ACCOUNT_EXPIRED":
    case "BAD_AUTHENTICATION":
    case "BAD_CREDS":
      return new CliError(
        `authorization failed for ${servers}: check --user/--password, --token, --creds or --nkey`,
        ExitCode.Connection,
      );
    case "PERMISSIONS_VIOLATION":
      return new CliError(`permission denied: ${redact(e?.message ?? "")}`, ExitCode.Connection);
    case "TLS":
      return new CliError(
        `TLS error talking to ${servers}: ${redact(e?.message ?? "")}`,
        ExitCode.Connection,
      );
    case "503":
      if (ctx.phase === "jetstream" || ctx.phase === "connect") {
        return new CliError(
          `JetStream is not enabled on ${servers} (start nats-server with -js)`,
          ExitCode.Connection,
        );
      }
      return new CliError(
        `no responders: JetStream did not answer on ${servers}`,
        ExitCode.Connection,
      );
    case "TIMEOUT":
    case "CONNECTION_TIMEOUT":
      if (ctx.phase === "connect") {
        return new CliError(`cannot connect to ${servers}: timed out`, ExitCode.Connection);
      }
      if (ctx.phase === "jetstream") {
        return new CliError(`JetStream did not answer on ${servers} in time`, ExitCode.Connection);
      }
      return new CliError(`timed out waiting for ${servers}`, ExitCode.Timeout);
    case "CONNECTION_CLOSED":
    case "DISCONNECT":
    case "CONNECTION_DRAINING":
      return new CliError(`lost the connection to ${servers}`, ExitCode.Connection);
    case "MAX_PAYLOAD_EXCEEDED":
      return new CliError(`message larger than the server's max_payload`, ExitCode.Usage);
    case "BAD_SUBJECT":
      return new CliError(`invalid subject`, ExitCode.Usage);
  }
  const syscall = (err as NodeJS.ErrnoException | undefined)?.code ?? "";
  if (syscall === "ENOTFOUND" || syscall === "EAI_AGAIN") {
    return new CliError(`cannot connect to ${servers}: host not found`, ExitCode.Connection);
  }
  // node's TLS verification codes: DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, …
  if (/CERT|SSL|TLS|SIGNATURE|ISSUER/.test(syscall)) {
    return new CliError(
      `TLS error talking to ${servers}: ${redact(e?.message ?? syscall)} (trust its CA with --tls-ca)`,
      ExitCode.Connection,
    );
  }
  if (/^(ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNREFUSED)$/.test(syscall)) {
    return new CliError(`cannot connect to ${servers}: ${syscall}`, ExitCode.Connection);
  }
  if (code === "INVALID_OPTION" || (e?.message ?? "").includes("invalid url")) {
    return new CliError(
      `invalid server option: ${redact(e?.message ?? String(err))}`,
      ExitCode.Usage,
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CliError(redact(message), ExitCode.Internal, { cause: err });
}
