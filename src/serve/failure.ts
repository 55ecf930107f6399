// A failure as serve answers it. The use-cases (src/serve/writes.ts) throw a typed
// `Failure` (its kind, and the error behind it as its cause) and know nothing of HTTP;
// `httpFailure` is the one place in serve where a failure becomes a status, as cli.ts's
// `exitCodeFor` is the one place it becomes an exit code. A NATS failure keeps the class
// src/nats/errors.ts gave it (the CliError's exit code, its cause's code): it is read
// here, never its message text.

import { CliError, ExitCode } from "../errors.js";
import { isPermissionDenied, isTransient } from "../nats/errors.js";
import { HttpError, isHttpError } from "./http-error.js";

export type FailureKind =
  /** a publish failed: the event is not known to be stored (the cause says why) */
  | "not-stored"
  /** NATS cannot answer now (down, no answer in time, a timeline still behind): retry */
  | "unavailable"
  /** no such tweet, the timeline having read the whole stream */
  | "not-found"
  /** a request with the same Idempotency-Key is being answered: retry later */
  | "in-progress"
  /** the Idempotency-Key already stands for a different write */
  | "key-reused";

export class Failure extends Error {
  readonly kind: FailureKind;

  constructor(kind: FailureKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "Failure";
    this.kind = kind;
  }
}

const RETRY = { "Retry-After": "1" };

/**
 * Why a NATS call failed, as far as a client cares: it passes (no connection, no JetStream
 * answer within the retry budget), the user may not, the stream is full or gone, the
 * message is too large, or something else.
 */
type NatsCause = "passing" | "denied" | "full" | "gone" | "too-large" | "other";

function natsCause(err: unknown): NatsCause {
  if (isTransient(err)) return "passing";
  if (!(err instanceof CliError)) return "other";
  if (isPermissionDenied(err)) return "denied";
  switch (err.exitCode) {
    case ExitCode.Timeout:
    case ExitCode.Connection:
      return "passing";
    case ExitCode.Conflict:
      return "full";
    case ExitCode.NotFound:
      return "gone";
    case ExitCode.Usage:
      return "too-large";
  }
  return "other";
}

/**
 * A publish failure: never 2xx. The status says whether retrying can help: 503 (with
 * Retry-After) only for what passes; 507 for a full stream, 403 when serve's NATS user may
 * not publish, 500 when the server confirmed the stream is gone, 413 for a message the
 * server will not take.
 */
function notStored(cause: unknown): HttpError {
  if (!(cause instanceof CliError)) return new HttpError(500, "not stored: internal error");
  const text = `not stored: ${cause.message}`;
  switch (natsCause(cause)) {
    case "passing":
      return new HttpError(503, text, RETRY);
    case "denied":
      return new HttpError(403, text);
    case "full":
      return new HttpError(507, text);
    case "gone":
      return new HttpError(500, text);
    case "too-large":
      return new HttpError(413, text);
    case "other":
      return new HttpError(500, "not stored: internal error");
  }
}

/**
 * The HTTP answer to a failure; undefined for an error that is nobody's fault but ours
 * (a 500 "internal error", logged). A read of NATS that failed in a way that passes (NATS
 * is down, no answer in time) is 503 with Retry-After, like a write that was not stored.
 */
export function httpFailure(err: unknown, connected: boolean): HttpError | undefined {
  if (isHttpError(err)) return err;
  if (err instanceof Failure) {
    switch (err.kind) {
      case "not-stored":
        return notStored(err.cause);
      case "unavailable":
        return new HttpError(503, err.message, RETRY);
      case "not-found":
        return new HttpError(404, err.message);
      case "in-progress":
        return new HttpError(409, err.message, RETRY);
      case "key-reused":
        return new HttpError(422, err.message);
    }
  }
  if (connected && natsCause(err) !== "passing") return undefined;
  const why = connected ? "no answer from NATS in time" : "not connected to NATS";
  return new HttpError(503, `${why}; retry`, RETRY);
}
