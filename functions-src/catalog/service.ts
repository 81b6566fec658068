/**
 * The catalog service: the HTTP API for products (list, read, create or replace), the only writer of
 * product data. Small on purpose: it is the reference for adding a service (docs/ADDING-A-SERVICE.md).
 */
import { defineService } from "../shared/manifest";

/** Container id; renaming it creates a new, empty container in every environment. */
export const PRODUCTS_CONTAINER = "products";

export default defineService({
  name: "catalog",
  description: "Catalog API: list, read, create and replace products; owns product data.",
  entry: "src/index.ts",
  triggers: ["http"],
  owns: {
    containers: [
      {
        name: PRODUCTS_CONTAINER,
        // One product per logical partition: point reads and writes by SKU cost 1 RU and never hot-spot.
        partitionKeyPaths: ["/sku"],
        // The list sorts and pages by SKU; free text is never queried.
        excludedIndexPaths: ['/"_etag"/?', "/description/?"],
      },
    ],
  },
  uses: {
    containers: [{ service: "catalog", container: PRODUCTS_CONTAINER, access: "readWrite" }],
  },
  http: {
    path: "catalog",
    version: "v1",
    displayName: "Catalog",
    routePrefix: "api",
    roles: [
      { value: "Catalog.Read", description: "Read products." },
      { value: "Catalog.Write", description: "Create and replace products." },
    ],
    healthPath: "/health",
    openapi: "src/openapi.ts",
  },
});
