/**
 * Entry of the catalog Function App: registers its functions (v4 programming model) at module load.
 * SDK clients are built on first use from app settings (deps.ts), once per process.
 */
import { registerHttp } from "../../shared/caller";
import { lazyAsync } from "../../shared/util";
import manifest from "../service";
import { catalogHandlers } from "./handlers";

// The Cosmos DB SDK (and identity) load with ./deps on the first request that needs them, not while
// the host waits for registration; the health route never loads them.
const http = catalogHandlers(lazyAsync(async () => (await import("./deps.js")).catalogDeps(process.env)));

// Anonymous at the function level: callers come through the gateway (which validates their token)
// and the app is locked to it by the infrastructure; function keys would be shared secrets. Each
// handler declares its role and checks the caller the gateway forwards (shared/caller.ts).
const route = (name: string, options: Parameters<typeof registerHttp>[2]): void => registerHttp(manifest.http.roles, name, options);
route("listProducts", { methods: ["GET"], route: "products", authLevel: "anonymous", handler: http.listProducts });
route("getProduct", { methods: ["GET"], route: "products/{sku}", authLevel: "anonymous", handler: http.getProduct });
route("putProduct", { methods: ["PUT"], route: "products/{sku}", authLevel: "anonymous", handler: http.putProduct });
route("health", { methods: ["GET"], route: "health", authLevel: "anonymous", handler: http.health });
