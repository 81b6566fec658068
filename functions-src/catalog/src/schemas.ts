/**
 * The catalog API's request and response schemas, defined once: the handlers validate with them and
 * `openapi.ts` generates the API description from them (the `id` in `.meta` names the component).
 *
 * Requests are strict: an unknown field is an error (a typo such as `pricMinor` must not be ignored).
 * SKUs and currencies are the shared order vocabulary, so an order line's SKU is a catalog SKU.
 */
import * as z from "zod";
import { currencySchema, skuSchema } from "../../shared/contracts/order";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export const productInputSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).meta({ example: "Espresso cup" }),
    description: z.string().max(2000).optional(),
    currency: currencySchema.meta({ example: "EUR" }),
    /** Minor units (cents): integers avoid floating-point money. */
    priceMinor: z.number().int().min(0).max(100_000_000).meta({ description: "Price in minor units (cents).", example: 1250 }),
  })
  .meta({ id: "ProductInput", description: "A product's fields; the SKU is the path's." });
export type ProductInput = z.infer<typeof productInputSchema>;

export const productViewSchema = z
  .object({
    sku: skuSchema,
    name: z.string(),
    description: z.string().optional(),
    currency: currencySchema,
    priceMinor: z.number().int(),
    updatedAt: z.iso.datetime({ offset: true }),
  })
  .meta({ id: "Product" });
export type ProductView = z.infer<typeof productViewSchema>;

export const productPageSchema = z
  .object({
    items: z.array(productViewSchema),
    continuationToken: z
      .string()
      .nullable()
      .meta({ description: "Pass as `continuationToken` to get the next page; null on the last page." }),
  })
  .meta({ id: "ProductPage" });

export const healthSchema = z
  .object({ status: z.literal("ok"), service: z.string(), time: z.iso.datetime({ offset: true }) })
  .meta({ id: "Health" });

export const skuParamsSchema = z.object({ sku: skuSchema.meta({ example: "CUP-ESPRESSO" }) });

export const listQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .meta({ description: `Page size, 1-${MAX_PAGE_SIZE}.` }),
  continuationToken: z.string().min(1).max(512).optional().meta({ description: "From the previous page." }),
});

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
