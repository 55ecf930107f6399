// An HTTP error as `serve` answers it: a status and one line, sent as {"error": "…"}.

export class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.headers = headers;
  }
}

export function isHttpError(err: unknown): err is HttpError {
  return err instanceof HttpError;
}
