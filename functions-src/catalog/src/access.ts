/**
 * Who may call each HTTP function of the catalog: one table for the registration (index.ts declares it
 * at start-up, before the handlers load) and for the handlers' own checks (handlers.ts).
 */
import type { HttpAccess } from "../../shared/caller";
import type { CatalogHandlers } from "./handlers";

export const CATALOG_ACCESS = {
  listProducts: { kind: "secured", role: "Catalog.Read" },
  getProduct: { kind: "secured", role: "Catalog.Read" },
  putProduct: { kind: "secured", role: "Catalog.Write" },
  health: { kind: "anonymous" },
} as const satisfies Record<keyof CatalogHandlers, HttpAccess>;
