// Error mapping, by code not by text: JetStream API err_codes and nats client codes
// (read in error-codes.ts) become CliErrors with the documented exit codes.
// Permanent: usage / rejected config 2, auth / permission / no JetStream 3, confirmed
// not found 4, conflict or limit reached (full stream) 5. Transient (no responders,
// timeout, "in process"): retried by retry.ts within its budget, then 6.

import { CliError, ExitCode } from "../errors.js";
import { redact, redactServers } from "../redact.js";
import {
  asNats,
  JsErr,
  jsErrorCode,
  natsErrorCode,
  RetryBudgetExceeded,
  type NatsLikeError,
} from "./error-codes.js";

// what a failure is, by its codes, lives in error-codes.ts; re-exported for its many importers
export {
  isTransient,
  JsErr,
  jsErrorCode,
  natsErrorCode,
  RetryBudgetExceeded,
  transientReason,
  type TransientReason,
} from "./error-codes.js";

/** Limits a server reports as reached: exit 5 (the stream or account is full). */
const LIMIT_CODES: ReadonlySet<number> = new Set([
  JsErr.AccountResourcesExceeded,
  JsErr.InsufficientResources,
  JsErr.MaximumConsumersLimit,
  JsErr.MaximumStreamsLimit,
  JsErr.MemoryResourcesExceeded,
  JsErr.StorageResourcesExceeded,
  JsErr.StreamLimits,
  JsErr.StreamMaxBytesRequired,
  JsErr.StreamMaxStreamBytesExceeded,
  JsErr.StreamSealed,
]);

/** A request the server refused as invalid (a stream config it will not take): exit 2. */
const REJECTED_CODES: ReadonlySet<number> = new Set([
  JsErr.BadRequest,
  JsErr.ClusterNoPeers,
  JsErr.InvalidJson,
  JsErr.StreamInvalidConfig,
  JsErr.StreamReplicasNotSupported,
  JsErr.ReplicasCountNegative,
]);

/**
 * The stream limit named by a full stream's answer (err_code 10077), as `stream add`
 * and `stream info` call it; undefined when the store failed for another reason.
 */
export function limitReached(description: string): string | undefined {
  const d = description.toLowerCase();
  if (d.includes("maximum messages per subject")) return "max_msgs_per_subject";
  if (d.includes("maximum messages")) return "max_msgs (--max-msgs)";
  if (d.includes("maximum bytes")) return "max_bytes (--max-bytes)";
  if (d.includes("message size exceeds")) return "max_msg_size";
  return undefined;
}

/** "15s", "1.5s", "500ms" */
export function formatBudget(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10}s` : `${ms}ms`;
}

/** What a failing call was about (its phase, servers, stream, consumer), for the message. */
export interface ErrorScope {
  phase?: "connect" | "jetstream" | "request";
  servers?: string[];
  /** the stream the command was about, for not-found messages */
  stream?: string;
  /** the consumer the command was about */
  consumer?: string;
}

function where(scope: ErrorScope): string {
  return scope.servers && scope.servers.length > 0 ? redactServers(scope.servers) : "the server";
}

/**
 * The retry budget ran out while JetStream kept not answering: exit 6, never "create".
 * `subject`: a publish, which may have been stored by an unanswered attempt.
 */
export function noAnswerError(
  err: RetryBudgetExceeded,
  scope: ErrorScope = {},
  subject?: string,
): CliError {
  const what =
    err.reason === "timeout"
      ? "timed out"
      : err.reason === "in process"
        ? "duplicate message id still in process"
        : err.reason === "unavailable"
          ? "JetStream temporarily unavailable"
          : "no responders";
  const tries = `${what}, ${err.attempts} attempt${err.attempts === 1 ? "" : "s"}${err.stopped ? ", stopped" : ""}`;
  const advice = subject
    ? `${subject} may or may not be stored: publishing again with the same id is safe`
    : "a leader election or a paused server usually passes: try again";
  return new CliError(
    `no JetStream answer within ${formatBudget(err.budgetMs)} from ${where(scope)} (${tries}); ${advice}`,
    ExitCode.Timeout,
    { cause: err },
  );
}

function apiError(
  api: NonNullable<NatsLikeError["api_error"]>,
  scope: ErrorScope,
): CliError | undefined {
  const desc = redact(api.description);
  const code = api.err_code ?? 0;
  if (code === JsErr.StreamStoreFailed || code === JsErr.StreamMessageExceedsMaximum) {
    const limit = limitReached(desc);
    const stream = scope.stream ? `stream ${scope.stream}` : "the stream";
    if (limit) {
      return new CliError(
        `${stream} is full: ${desc} (limit ${limit}, discard new); make room with \`tweetstream stream purge\` or raise the limit`,
        ExitCode.Conflict,
      );
    }
    return new CliError(`${stream} could not store the message: ${desc}`, ExitCode.Conflict);
  }
  if (code === JsErr.NotEnabledForAccount || code === JsErr.NotEnabled) {
    return new CliError(
      `JetStream is not enabled for this account on ${where(scope)} (${desc})`,
      ExitCode.Connection,
    );
  }
  if (LIMIT_CODES.has(code)) return new CliError(`limit reached: ${desc}`, ExitCode.Conflict);
  if (REJECTED_CODES.has(code)) {
    return new CliError(`the server rejected the request: ${desc}`, ExitCode.Usage);
  }
  if (code === JsErr.DuplicateMessageInProcess || code === JsErr.ClusterNotAvailable) {
    return new CliError(`JetStream is busy: ${desc}; try again`, ExitCode.Timeout);
  }
  return undefined;
}

/** The server runs no JetStream at all (its INFO says so): exit 3, nothing to retry. */
export function noJetStreamError(scope: ErrorScope = {}): CliError {
  return new CliError(
    `JetStream is not enabled on ${where(scope)} (start nats-server with -js)`,
    ExitCode.Connection,
  );
}

/**
 * An error shaped as nats.js shapes its own (`code`, and `api_error` for a JetStream API
 * answer), for the requests tweetstream answers on its own inboxes: mapped like the client's
 * by toCliError and natsErrorCode.
 */
export function natsError(
  message: string,
  code: string,
  api?: { code: number; err_code?: number; description: string },
): Error {
  return Object.assign(new Error(message), api ? { code, api_error: api } : { code });
}

/** A permission denial concerns one subject or API: other work may go on. */
export function isPermissionDenied(err: CliError): boolean {
  return natsErrorCode(err.cause) === "PERMISSIONS_VIOLATION";
}

/**
 * "stream NOPE not found (10059)": a JetStream answer's message ends with its err_code,
 * as natscli (jsm.go's ApiError) shows it, so it can be looked up.
 */
export function withApiCode(message: string, errCode: number | undefined): string {
  return errCode ? `${message} (${errCode})` : message;
}

export function toCliError(err: unknown, scope: ErrorScope = {}): CliError {
  const mapped = mapError(err, scope);
  mapped.errCode ??= jsErrorCode(err);
  return mapped;
}

function mapError(err: unknown, scope: ErrorScope): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof RetryBudgetExceeded) return noAnswerError(err, scope);
  const e = asNats(err);
  const api = e?.api_error;
  if (api) {
    const mapped = apiError(api, scope) ?? apiErrorByCode(api, scope);
    return new CliError(withApiCode(mapped.message, api.err_code), mapped.exitCode, {
      cause: err,
    });
  }
  return clientError(err, e, scope);
}

/** An API error apiError() does not single out, by its err_code or HTTP-like code. */
function apiErrorByCode(api: NonNullable<NatsLikeError["api_error"]>, scope: ErrorScope): CliError {
  const desc = redact(api.description);
  switch (api.err_code) {
    case JsErr.StreamNotFound:
      return new CliError(
        scope.stream ? `stream ${scope.stream} not found` : desc,
        ExitCode.NotFound,
      );
    case JsErr.ConsumerNotFound:
      return new CliError(
        scope.consumer ? `consumer ${scope.consumer} not found` : desc,
        ExitCode.NotFound,
      );
    case JsErr.StreamNameInUse:
      return new CliError(
        `stream ${scope.stream ?? ""} already exists with a different configuration`.replace(
          "  ",
          " ",
        ),
        ExitCode.Conflict,
      );
    case JsErr.StreamSubjectOverlap:
      return new CliError(`subjects overlap with an existing stream (${desc})`, ExitCode.Conflict);
    case JsErr.ConsumerNameExists:
    case JsErr.ConsumerAlreadyExists:
    case JsErr.ConsumerExists:
      return new CliError(
        `consumer already exists with a different configuration (${desc})`,
        ExitCode.Conflict,
      );
    default:
      if (api.code === 404) return new CliError(desc, ExitCode.NotFound);
      // a server-side failure may pass; a 4xx is the request's fault
      if (api.code >= 500) return new CliError(`JetStream unavailable: ${desc}`, ExitCode.Timeout);
      return new CliError(`JetStream refused the request: ${desc}`, ExitCode.Usage);
  }
}

/** A failure of the nats client or the socket (no JetStream answer). */
function clientError(err: unknown, e: NatsLikeError | undefined, scope: ErrorScope): CliError {
  const code = natsErrorCode(err);
  const servers = where(scope);
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
      return new CliError(`permission denied: ${redact(e?.message ?? "")}`, ExitCode.Connection, {
        cause: err,
      });
    case "SERVER_OPT_NA":
      // nats.js: TLS options were given, the server does not offer TLS
      return new CliError(
        `${servers} does not offer TLS, but --tls-cert/--tls-key/--tls-ca were given (or a tls:// URL)`,
        ExitCode.Connection,
      );
    case "TLS":
      return new CliError(
        `TLS error talking to ${servers}: ${redact(e?.message ?? "")}`,
        ExitCode.Connection,
      );
    case "503":
      if (scope.phase === "jetstream" || scope.phase === "connect") return noJetStreamError(scope);
      return new CliError(
        `no responders: JetStream did not answer on ${servers}`,
        ExitCode.Connection,
      );
    case "TIMEOUT":
    case "CONNECTION_TIMEOUT":
      if (scope.phase === "connect") {
        return new CliError(`cannot connect to ${servers}: timed out`, ExitCode.Connection);
      }
      if (scope.phase === "jetstream") {
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
  if (syscall === "ERR_INVALID_URL" || /invalid url/i.test(e?.message ?? "")) {
    return new CliError(
      `invalid server URL in ${servers}: use nats://host:port (or tls://, ws://)`,
      ExitCode.Usage,
    );
  }
  // nkeys: a seed that is not one (checksum, prefix, encoding)
  if (/^nkeys: /.test(e?.message ?? "")) {
    return new CliError(
      `invalid nkey seed (--nkey or --creds): ${redact(e?.message ?? "")}`,
      ExitCode.Connection,
    );
  }
  if (code === "INVALID_OPTION") {
    return new CliError(
      `invalid server option: ${redact(e?.message ?? String(err))}`,
      ExitCode.Usage,
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CliError(redact(message), ExitCode.Internal, { cause: err });
}
