/**
 * Error classification shared by HTTP handlers, queue handlers and activities: transient failures are
 * retried (by the host, the queue or the orchestration), permanent ones are handled once, explicitly.
 */

/** A failure that retrying cannot fix (bad message, business rule); never rethrown to the host. */
export class PermanentError extends Error {
  override readonly name = "PermanentError";
}

/** A failure worth retrying (dependency unavailable, throttled, timed out). */
export class TransientError extends Error {
  override readonly name = "TransientError";
}

const TRANSIENT_STATUS = new Set([408, 425, 429, 449, 500, 502, 503, 504]);
const TRANSIENT_NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_HEADERS_TIMEOUT",
  "REQUEST_SEND_ERROR",
]);

function property(error: unknown, name: string): unknown {
  return typeof error === "object" && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}

/** The HTTP status an SDK error carries: Cosmos uses `code` (number), Storage/core use `statusCode`. */
export function errorStatus(error: unknown): number | undefined {
  for (const name of ["statusCode", "code", "status"]) {
    const value = property(error, name);
    if (typeof value === "number") return value;
  }
  return undefined;
}

export function isTransientError(error: unknown): boolean {
  if (error instanceof TransientError) return true;
  if (error instanceof PermanentError) return false;
  const status = errorStatus(error);
  if (status !== undefined) return TRANSIENT_STATUS.has(status);
  const name = property(error, "name");
  if (name === "AbortError" || name === "TimeoutError") return true;
  const code = property(error, "code");
  if (typeof code === "string" && TRANSIENT_NETWORK_CODES.has(code)) return true;
  const cause = property(error, "cause");
  return cause !== undefined && cause !== error ? isTransientError(cause) : false;
}

export function isNotFound(error: unknown): boolean {
  return errorStatus(error) === 404;
}

export function isConflict(error: unknown): boolean {
  return errorStatus(error) === 409;
}

export function isPreconditionFailed(error: unknown): boolean {
  return errorStatus(error) === 412;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
