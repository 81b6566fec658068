/**
 * The catalog API's request and response schemas, defined once: the handlers validate with them and
 * `openapi.ts` generates the API description from them (the `id` in `.meta` names the component).
 *
 * Requests are strict: an unknown field is an error (a typo such as `pricMinor` must not be ignored).
 * SKUs and currencies are the shared order vocabulary, so an order line's SKU is a catalog SKU.
 */
import * as z from "zod";
import { currencySchema, skuSchema } from "../../shared/contracts/order";
import { pageSchema, pagingQuerySchema, safeText } from "../../shared/schemas";

export const productInputSchema = z
  .strictObject({
    name: safeText(z.string().trim().min(1).max(200)).meta({ example: "Espresso cup" }),
    description: safeText(z.string().max(2000), { multiline: true }).optional(),
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

export const productPageSchema = pageSchema(productViewSchema, "ProductPage");

export const skuParamsSchema = z.object({ sku: skuSchema.meta({ example: "CUP-ESPRESSO" }) });

export const listQuerySchema = pagingQuerySchema({ maxContinuationTokenLength: 512 });
