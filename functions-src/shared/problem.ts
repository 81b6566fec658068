/**
 * RFC 9457 problem details: every error an HTTP function returns is `application/problem+json` with a
 * stable `type`, a short `title` and a `detail` that tells the caller what to change.
 */
import type { HttpResponseInit } from "@azure/functions";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** One field-level error, located by a JSON Pointer into the request body (or `query`/`header`). */
export interface FieldError {
  readonly pointer: string;
  readonly message: string;
}

export interface Problem {
  /** A URI reference identifying the problem type; relative to the API (`/problems/<slug>`). */
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  /** Field errors for validation problems. */
  readonly errors?: readonly FieldError[];
  /** The invocation id, to find the request in the logs. */
  readonly invocationId?: string;
}

/** The problem types this platform emits; their slugs are part of the API contract. */
export const problemTypes = {
  badRequest: { slug: "bad-request", title: "Bad request", status: 400 },
  malformedJson: { slug: "malformed-json", title: "Malformed JSON", status: 400 },
  validation: { slug: "validation-failed", title: "Validation failed", status: 400 },
  notFound: { slug: "not-found", title: "Not found", status: 404 },
  conflict: { slug: "state-conflict", title: "Conflict with the resource's state", status: 409 },
  preconditionFailed: { slug: "precondition-failed", title: "Precondition failed", status: 412 },
  payloadTooLarge: { slug: "payload-too-large", title: "Payload too large", status: 413 },
  unsupportedMediaType: { slug: "unsupported-media-type", title: "Unsupported media type", status: 415 },
  idempotencyKeyReused: {
    slug: "idempotency-key-reused",
    title: "Idempotency key reused with a different request",
    status: 422,
  },
  preconditionRequired: { slug: "precondition-required", title: "Precondition required", status: 428 },
  unavailable: { slug: "temporarily-unavailable", title: "Temporarily unavailable", status: 503 },
  internal: { slug: "internal-error", title: "Internal error", status: 500 },
} as const;

export type ProblemKind = keyof typeof problemTypes;

export interface ProblemOptions {
  readonly instance?: string;
  readonly errors?: readonly FieldError[];
  readonly invocationId?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export function problemBody(kind: ProblemKind, detail: string, options: ProblemOptions = {}): Problem {
  const { slug, title, status } = problemTypes[kind];
  return {
    type: `/problems/${slug}`,
    title,
    status,
    detail,
    ...(options.instance ? { instance: options.instance } : {}),
    ...(options.errors && options.errors.length > 0 ? { errors: options.errors } : {}),
    ...(options.invocationId ? { invocationId: options.invocationId } : {}),
  };
}

/** A problem response; the body is serialised here so the content type always matches. */
export function problem(kind: ProblemKind, detail: string, options: ProblemOptions = {}): HttpResponseInit {
  const body = problemBody(kind, detail, options);
  return {
    status: body.status,
    headers: { "Content-Type": PROBLEM_CONTENT_TYPE, "Cache-Control": "no-store", ...options.headers },
    body: JSON.stringify(body),
  };
}

/**
 * Thrown by request-parsing helpers to short-circuit a handler with a problem response; handlers catch
 * it in one place (see `withProblems`). Anything else thrown becomes a 500 (or 503 when transient).
 */
export class ProblemError extends Error {
  override readonly name = "ProblemError";
  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    readonly options: ProblemOptions = {},
  ) {
    super(detail);
  }
}
