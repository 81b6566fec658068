/**
 * Request and response shapes every HTTP service shares: paging, the health answer and RFC 9457
 * problem details. Defined once so the services' API descriptions (and the components named by the
 * `id` in `.meta`) cannot drift apart.
 */
import * as z from "zod";
import { BIDI_CONTROL, CONTROL, CONTROL_EXCEPT_LINE_BREAKS, FORMAT, LONE_SURROGATE } from "./text";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PagingQueryOptions {
  /** Longest continuation token accepted: each service bounds the tokens its store hands out. */
  readonly maxContinuationTokenLength: number;
}

/**
 * A query-string integer: plain decimal digits only. `z.coerce.number()` is `Number(text)`, which
 * also takes `0x10`, `1e1`, ` 5 `, `0b11` and `""` (0): a client mistake must not become a page size.
 */
export function queryIntegerSchema(min: number, max: number) {
  return z
    .string()
    .regex(/^[0-9]{1,6}$/, `a whole number ${min}-${max} in plain decimal digits`)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

/** The query of a paged list: `limit` (decimal digits) and the previous page's token. */
export function pagingQuerySchema(options: PagingQueryOptions) {
  return z.object({
    limit: queryIntegerSchema(1, MAX_PAGE_SIZE)
      .default(DEFAULT_PAGE_SIZE)
      .meta({ description: `Page size, 1-${MAX_PAGE_SIZE} (decimal digits).`, type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE }),
    continuationToken: z.string().min(1).max(options.maxContinuationTokenLength).optional().meta({ description: "From the previous page." }),
  });
}

/** One page of `item`s, registered as the component `id` (e.g. `OrderPage`). */
export function pageSchema<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({
      items: z.array(item),
      continuationToken: z
        .string()
        .nullable()
        .meta({ description: "Pass as `continuationToken` to get the next page; null on the last page." }),
    })
    .meta({ id });
}

export const healthSchema = z
  .object({ status: z.literal("ok"), service: z.string(), time: z.iso.datetime({ offset: true }) })
  .meta({ id: "Health" });

/** The body of every error response (see `problem.ts`). */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    invocationId: z.string().optional(),
    errors: z.array(z.object({ pointer: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details." });

export interface SafeTextRules {
  /** Line breaks (LF, CR) and tabs allowed: free text such as a description. @default false */
  readonly multiline?: boolean;
}

const CONTROL_SINGLE_LINE = new RegExp(`[${CONTROL}]`);
const CONTROL_MULTI_LINE = new RegExp(`[${CONTROL_EXCEPT_LINE_BREAKS}]`);
const BIDI = new RegExp(`[${BIDI_CONTROL}]`);
const LONE_SURROGATE_RE = new RegExp(LONE_SURROGATE);
/** What renders as nothing: whitespace and every format character (zero-width, soft hyphen, Mongolian vowel separator...). */
const INVISIBLE = new RegExp(`[\\s${FORMAT}]`, "gu");

/**
 * Adds the text rules every human-readable field of an API shares to a string schema: no NUL or other
 * control characters (CR/LF only where `multiline`), no lone surrogates (not well-formed Unicode: they
 * break JSON encoders, logs and downstream systems), no bidirectional overrides (Trojan Source,
 * CVE-2021-42574), and not made of invisible characters only. Messages never quote the value.
 */
export function safeText<S extends z.ZodString>(schema: S, rules: SafeTextRules = {}): S {
  const control = rules.multiline ? CONTROL_MULTI_LINE : CONTROL_SINGLE_LINE;
  return schema.superRefine((value, ctx) => {
    const problem = (message: string): void => ctx.addIssue({ code: "custom", message });
    if (control.test(value)) problem(rules.multiline ? "must not contain control characters other than tab and line breaks" : "must be a single line without control characters");
    if (LONE_SURROGATE_RE.test(value)) problem("must be well-formed Unicode (a lone surrogate was found)");
    if (BIDI.test(value)) problem("must not contain bidirectional override or isolate characters (U+202A-202E, U+2066-2069)");
    if (value.length > 0 && value.replace(INVISIBLE, "").length === 0) problem("must contain visible characters");
  });
}
