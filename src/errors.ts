// Typed errors and exit codes. Commands throw a CliError carrying its exit code;
// only cli.ts turns an error into an exit code (see README "Exit codes").

export const ExitCode = {
  Ok: 0,
  Internal: 1,
  /** `stream edit --dry-run` found differences (natscli's drift check): also 1 */
  Differences: 1,
  Usage: 2,
  Connection: 3,
  NotFound: 4,
  Conflict: 5,
  Timeout: 6,
  /** `listen --exec` gave up on at least one event (terminated after --max-deliver attempts) */
  GaveUp: 7,
  /** `consumer check`: a warning threshold was crossed (not an error) */
  CheckWarning: 8,
  /** `consumer check`: a critical threshold was crossed (not an error) */
  CheckCritical: 9,
  /** stopped by SIGINT (Ctrl-C): 128 + 2, as shells report it */
  Interrupted: 130,
  /** stopped by SIGTERM: 128 + 15 */
  Terminated: 143,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  readonly exitCode: ExitCode;
  /** the command already told the user (e.g. a stop by signal): print nothing more */
  readonly reported: boolean;
  /** the JetStream API err_code behind it, when the server gave one (shown under --json) */
  errCode?: number;

  constructor(
    message: string,
    exitCode: ExitCode,
    options?: { cause?: unknown; reported?: boolean },
  ) {
    super(message, options);
    this.name = "CliError";
    this.exitCode = exitCode;
    this.reported = options?.reported ?? false;
  }
}

/** Bad input from the user: exit 2. */
export function usageError(message: string): CliError {
  return new CliError(message, ExitCode.Usage);
}

export function isCliError(err: unknown): err is CliError {
  return err instanceof CliError;
}
