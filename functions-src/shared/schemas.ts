/**
 * Request and response shapes every HTTP service shares: paging, the health answer and RFC 9457
 * problem details. Defined once so the services' API descriptions (and the components named by the
 * `id` in `.meta`) cannot drift apart.
 */
import * as z from "zod";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PagingQueryOptions {
  /** Longest continuation token accepted: each service bounds the tokens its store hands out. */
  readonly maxContinuationTokenLength: number;
}

/** The query of a paged list: `limit` (coerced from the query string) and the previous page's token. */
export function pagingQuerySchema(options: PagingQueryOptions) {
  return z.object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_PAGE_SIZE)
      .default(DEFAULT_PAGE_SIZE)
      .meta({ description: `Page size, 1-${MAX_PAGE_SIZE}.` }),
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
