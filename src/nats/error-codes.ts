// What a failed NATS call is, read from its codes and never from its text: the JetStream API
// err_codes tweetstream tells apart, the client's codes, and which failures may pass
// (transient: retried by retry.ts within its budget). errors.ts turns them into CliErrors.

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
  AccountResourcesExceeded: 10002,
  BadRequest: 10003,
  ClusterNoPeers: 10005,
  ClusterNotAvailable: 10008,
  InvalidJson: 10025,
  MaximumStreamsLimit: 10027,
  MemoryResourcesExceeded: 10028,
  NotEnabledForAccount: 10039,
  StorageResourcesExceeded: 10047,
  StreamInvalidConfig: 10052,
  StreamLimits: 10053,
  StreamMessageExceedsMaximum: 10054,
  StreamReplicasNotSupported: 10074,
  NotEnabled: 10076,
  StreamSealed: 10109,
  StreamMaxBytesRequired: 10113,
  StreamMaxStreamBytesExceeded: 10122,
  ReplicasCountNegative: 10133,
  DuplicateMessageInProcess: 10158,
  TooManyRequests: 10167,
} as const;

export interface NatsLikeError {
  code?: string;
  message?: string;
  api_error?: { code: number; err_code?: number; description: string };
  chainedError?: unknown;
}

export function asNats(err: unknown): NatsLikeError | undefined {
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

/** "no responders", "timeout" or "in process": the three transient answers, by name. */
export type TransientReason = "no responders" | "timeout" | "in process" | "unavailable";

/**
 * Why a JetStream call failed in a way that may pass, or undefined when the failure is
 * permanent (or not a nats error at all).
 */
export function transientReason(err: unknown): TransientReason | undefined {
  const api = asNats(err)?.api_error;
  if (api) {
    if (api.err_code === JsErr.DuplicateMessageInProcess) return "in process";
    // the server names these itself: a leader is being elected, or it is busy
    if (api.err_code === JsErr.ClusterNotAvailable) return "unavailable";
    if (api.err_code === JsErr.TooManyRequests) return "unavailable";
    const desc = (api.description ?? "").toLowerCase();
    if (desc.includes("in process")) return "in process"; // servers before err_code 10158
    if (
      desc.includes("not leader") ||
      desc.includes("temporarily unavailable") ||
      desc.includes("store is closed") // 10077 from a leader stepping down
    )
      return "unavailable";
    return undefined;
  }
  const code = natsErrorCode(err);
  if (code === "503") return "no responders";
  if (code === "TIMEOUT") return "timeout";
  return undefined;
}

export function isTransient(err: unknown): boolean {
  return transientReason(err) !== undefined;
}

/** The budget ran out (or the run was stopped) while the call kept failing transiently. */
export class RetryBudgetExceeded extends Error {
  readonly budgetMs: number;
  readonly attempts: number;
  readonly reason: TransientReason;
  /** stopped by the caller's signal rather than by the budget */
  readonly stopped: boolean;

  constructor(last: unknown, budgetMs: number, attempts: number, stopped: boolean) {
    const reason = transientReason(last) ?? "timeout";
    super(`no JetStream answer within ${budgetMs} ms (${reason}, ${attempts} attempts)`, {
      cause: last,
    });
    this.name = "RetryBudgetExceeded";
    this.budgetMs = budgetMs;
    this.attempts = attempts;
    this.reason = reason;
    this.stopped = stopped;
  }
}
