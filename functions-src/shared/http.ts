/**
 * HTTP plumbing shared by the services' HTTP functions: bounded JSON body reading with a content-type
 * check, zod validation mapped to problem details, ETag helpers, and one wrapper that turns thrown
 * errors into problem responses so bad input is never a 500.
 */
import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type { z } from "zod";
import { type FieldError, ProblemError, boundedText, problem } from "./problem";
import { isTransientError } from "./errors";
import { duplicateNamePointer } from "./json";

/** Default request body limit: orders are small; anything bigger is a mistake or abuse. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export interface ReadBodyOptions {
  /** @default DEFAULT_MAX_BODY_BYTES */
  readonly maxBytes?: number;
  /** Whether an absent/empty body is allowed (returns undefined). @default false */
  readonly optional?: boolean;
}

/** True for `application/json` and `application/<anything>+json`, with no charset or UTF-8. */
export function isJsonContentType(header: string | null): boolean {
  if (!header) return false;
  const [mediaType = "", ...params] = header.split(";").map((part) => part.trim().toLowerCase());
  const json = mediaType === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
  if (!json) return false;
  const charset = params.find((p) => p.startsWith("charset="));
  return charset === undefined || /^charset="?utf-8"?$/.test(charset);
}

function declaredLength(request: HttpRequest): number | undefined {
  const header = request.headers.get("content-length");
  if (header === null) return undefined;
  const value = Number(header);
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/**
 * Reads the body as JSON. Checks, in order: presence, content type (415), declared size then actual
 * size while streaming (413, without buffering more than the limit), UTF-8 and JSON syntax (400).
 */
export async function readJsonBody(request: HttpRequest, options: ReadBodyOptions = {}): Promise<unknown> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const length = declaredLength(request);
  const hasBody = request.body !== null && length !== 0;
  if (!hasBody) {
    if (options.optional) return undefined;
    throw new ProblemError("validation", "a JSON request body is required", {
      errors: [{ pointer: "", message: "request body is empty" }],
    });
  }
  const contentType = request.headers.get("content-type");
  if (!isJsonContentType(contentType)) {
    throw new ProblemError(
      "unsupportedMediaType",
      // The echo is bounded here and again in problemBody: a 100 KB header must not come back.
      `Content-Type must be application/json (UTF-8); got ${contentType ? `"${boundedText(contentType, 80)}"` : "none"}`,
      { headers: { "Accept-Post": "application/json" } },
    );
  }
  if (length !== undefined && length > maxBytes) {
    throw new ProblemError("payloadTooLarge", `request body is ${length} bytes; the limit is ${maxBytes} bytes`);
  }
  const bytes = await readLimited(request, maxBytes);
  if (bytes.byteLength === 0) {
    if (options.optional) return undefined;
    throw new ProblemError("validation", "a JSON request body is required", {
      errors: [{ pointer: "", message: "request body is empty" }],
    });
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ProblemError("malformedJson", "request body is not valid UTF-8");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : "unparseable";
    throw new ProblemError("malformedJson", `request body is not valid JSON: ${reason}`);
  }
  const duplicate = duplicateNamePointer(text);
  if (duplicate !== undefined) {
    throw new ProblemError("malformedJson", "request body repeats a member name in one object; send each field once", {
      errors: [{ pointer: duplicate, message: "duplicate member name" }],
    });
  }
  return parsed;
}

async function readLimited(request: HttpRequest, maxBytes: number): Promise<Uint8Array> {
  const body = request.body as ReadableStream<Uint8Array> | null;
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      // Stop reading: the rest of an oversize body is never buffered.
      await reader.cancel().catch(() => undefined);
      throw new ProblemError("payloadTooLarge", `request body exceeds the limit of ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function escapePointerToken(token: PropertyKey): string {
  return String(token).replace(/~/g, "~0").replace(/\//g, "~1");
}

/** zod issues as JSON Pointer field errors; unknown keys are reported one per key. */
export function fieldErrors(error: z.ZodError, root = ""): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    const pointer = root + issue.path.map((p) => `/${escapePointerToken(p)}`).join("");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        errors.push({ pointer: `${pointer}/${escapePointerToken(key)}`, message: "unknown field" });
      }
    } else {
      errors.push({ pointer, message: issue.message });
    }
  }
  return errors;
}

/** Validates a value with a schema, or throws a 400 validation problem listing every field error. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string, root = ""): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const errors = fieldErrors(result.error, root);
    const summary = errors
      .slice(0, 3)
      .map((e) => `${e.pointer || "(root)"}: ${e.message}`)
      .join("; ");
    throw new ProblemError("validation", `${what} is invalid: ${summary}${errors.length > 3 ? "; ..." : ""}`, {
      errors,
    });
  }
  return result.data;
}

export function jsonResponse(
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): HttpResponseInit {
  return {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", ...headers },
    body: JSON.stringify(body),
  };
}

/** A Cosmos `_etag` as an HTTP entity tag (Cosmos quotes its etags; emulators may not). */
export function toHttpEtag(etag: string): string {
  return etag.startsWith('"') || etag.startsWith('W/"') ? etag : `"${etag}"`;
}

/**
 * One element of an entity-tag list (RFC 9110 §8.8.3: `entity-tag = [ W/ ] DQUOTE *etagc DQUOTE`,
 * `etagc = %x21 / %x23-7E / obs-text`), with optional whitespace and its separator (§5.6.1: empty
 * elements are allowed and ignored). Sticky: the list is consumed from start to end, nothing skipped.
 */
const ENTITY_TAG_ELEMENT = /[ \t]*((?:W\/)?"[\x21\x23-\x7e\x80-\xff]*")?[ \t]*(,|$)/y;

/**
 * The entity tags of an `If-Match` / `If-None-Match` header (`"*"` or `#entity-tag`, RFC 9110
 * §13.1.1-2), parsed strictly: anything else, such as `garbage "abc" trailing` or an unquoted
 * `abc`, is a 400 naming the header (never a guess at what the client meant).
 */
export function parseIfMatch(header: string, name = "If-Match"): readonly string[] | "*" {
  if (header.trim() === "*") return "*";
  const tags: string[] = [];
  ENTITY_TAG_ELEMENT.lastIndex = 0;
  for (;;) {
    const start = ENTITY_TAG_ELEMENT.lastIndex;
    const match = ENTITY_TAG_ELEMENT.exec(header);
    if (!match || match.index !== start) break;
    if (match[1] !== undefined) tags.push(match[1]);
    if (match[2] === "") {
      if (tags.length > 0) return tags;
      break;
    }
  }
  throw new ProblemError("validation", `${name} must be "*" or a comma-separated list of quoted entity tags such as "\\"abc\\"" (the ETag from GET)`, {
    errors: [{ pointer: `/header/${name}`, message: "not an entity-tag list (RFC 9110 §13.1.1)" }],
  });
}

/** Strong comparison (RFC 9110 §13.1.1): weak tags never satisfy If-Match. */
export function ifMatchSatisfied(tags: readonly string[], current: string): boolean {
  return tags.some((tag) => !tag.startsWith("W/") && tag === current);
}

/** Weak comparison (RFC 9110 §13.1.2) for If-None-Match: `*` or any tag equal ignoring `W/`. */
export function ifNoneMatchSatisfied(header: string, current: string): boolean {
  const tags = parseIfMatch(header, "If-None-Match");
  if (tags === "*") return true;
  const bare = current.replace(/^W\//, "");
  return tags.some((tag) => tag.replace(/^W\//, "") === bare);
}

/**
 * Wraps a handler so that a {@link ProblemError} becomes its problem response, a transient dependency
 * failure becomes 503 with Retry-After, and anything else a 500 without internals (logged in full).
 */
export function withProblems(handler: HttpHandler): HttpHandler {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      return await handler(request, context);
    } catch (error) {
      const instance = new URL(request.url).pathname;
      if (error instanceof ProblemError) {
        return problem(error.kind, error.detail, { ...error.options, instance, invocationId: context.invocationId });
      }
      if (isTransientError(error)) {
        context.warn("transient dependency failure", error);
        return problem("unavailable", "a dependency is temporarily unavailable; retry later", {
          instance,
          invocationId: context.invocationId,
          headers: { "Retry-After": "2" },
        });
      }
      context.error("unhandled error", error);
      return problem("internal", "the request could not be processed; quote the invocationId when reporting it", {
        instance,
        invocationId: context.invocationId,
      });
    }
  };
}
