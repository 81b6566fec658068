/**
 * Entry of the catalog Function App: registers its functions (v4 programming model) at module load.
 *
 * Only names and access load here: the host waits for the registrations on every cold start. The
 * handlers (zod, the schemas, the service's code) load on the first request that needs them, the SDKs
 * (Cosmos DB, identity) with ./deps on the first request that reads or writes; the health route needs
 * neither.
 */
import type { HttpHandler } from "@azure/functions";
import { deferredHttp, registerHttp } from "../../shared/caller";
import { healthHandler } from "../../shared/health";
import { lazyAsync } from "../../shared/util";
import manifest from "../service";
import { CATALOG_ACCESS } from "./access";
import type { CatalogHandlers } from "./handlers";

const deps = lazyAsync(async () => (await import("./deps.js")).catalogDeps(process.env));
const handlers = lazyAsync(async () => (await import("./handlers.js")).catalogHandlers(deps));
const deferred = (name: Exclude<keyof CatalogHandlers, "health">): HttpHandler => deferredHttp(CATALOG_ACCESS[name], async () => (await handlers())[name]);

// Anonymous at the function level: callers come through the gateway (which validates their token)
// and the app is locked to it by the infrastructure; function keys would be shared secrets. Each
// handler declares its role and checks the caller the gateway forwards (shared/caller.ts).
const route = (name: string, options: Parameters<typeof registerHttp>[2]): void => registerHttp(manifest.http.roles, name, options);
route("listProducts", { methods: ["GET"], route: "products", authLevel: "anonymous", handler: deferred("listProducts") });
route("getProduct", { methods: ["GET"], route: "products/{sku}", authLevel: "anonymous", handler: deferred("getProduct") });
route("putProduct", { methods: ["PUT"], route: "products/{sku}", authLevel: "anonymous", handler: deferred("putProduct") });
route("health", { methods: ["GET"], route: "health", authLevel: "anonymous", handler: healthHandler(manifest.name) });
