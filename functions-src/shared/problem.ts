/**
 * RFC 9457 problem details: every error an HTTP function returns is `application/problem+json` with a
 * stable `type`, a short `title` and a `detail` that tells the caller what to change.
 */
import type { HttpResponseInit } from "@azure/functions";
import { CONTROL, FORMAT, LONE_SURROGATE, UNASSIGNED } from "./text";

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
  unauthenticated: { slug: "unauthenticated", title: "Caller identity missing", status: 401 },
  forbidden: { slug: "forbidden", title: "Forbidden", status: 403 },
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

/**
 * Bounds on what a problem document carries. Details and field errors often quote the caller's input
 * (a header, an unknown key, a parser message): every such string is cut to these lengths and
 * sanitised in {@link problemBody}, the one place every problem passes, so no handler can echo an
 * unbounded or terminal-hostile value by mistake.
 */
export const PROBLEM_LIMITS = { detail: 400, instance: 200, pointer: 200, message: 200, errors: 20 } as const;

/**
 * Characters never echoed: controls (log and terminal injection, header splitting), every invisible
 * format character (bidirectional controls, zero-width characters, invisible operators), unassigned
 * code points, and lone surrogates (JSON encoders and logs mangle them).
 */
const UNSAFE_ECHO = new RegExp(`[${CONTROL}${FORMAT}${UNASSIGNED}]|${LONE_SURROGATE}`, "gu");

/** `value` with unsafe characters replaced by U+FFFD and cut to `max` code points (with an ellipsis). */
export function boundedText(value: string, max: number): string {
  const clean = value.replace(UNSAFE_ECHO, "\ufffd");
  const points = Array.from(clean);
  return points.length <= max ? clean : `${points.slice(0, max - 1).join("")}\u2026`;
}

export function problemBody(kind: ProblemKind, detail: string, options: ProblemOptions = {}): Problem {
  const { slug, title, status } = problemTypes[kind];
  const errors = (options.errors ?? []).slice(0, PROBLEM_LIMITS.errors).map((e) => ({
    pointer: boundedText(e.pointer, PROBLEM_LIMITS.pointer),
    message: boundedText(e.message, PROBLEM_LIMITS.message),
  }));
  return {
    type: `/problems/${slug}`,
    title,
    status,
    detail: boundedText(detail, PROBLEM_LIMITS.detail),
    ...(options.instance ? { instance: boundedText(options.instance, PROBLEM_LIMITS.instance) } : {}),
    ...(errors.length > 0 ? { errors } : {}),
    ...(options.invocationId ? { invocationId: boundedText(options.invocationId, PROBLEM_LIMITS.instance) } : {}),
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
