/**
 * Entry of the catalog Function App: registers its functions (v4 programming model) at module load.
 * SDK clients are built on first use from app settings (deps.ts), once per process.
 */
import { app } from "@azure/functions";
import { lazy } from "../../shared/util";
import { catalogDeps } from "./deps";
import { catalogHandlers } from "./handlers";

const http = catalogHandlers(lazy(() => catalogDeps(process.env)));

// Anonymous at the function level: callers come through the gateway (which validates their token)
// and the app is locked to it by the infrastructure; function keys would be shared secrets.
app.http("listProducts", { methods: ["GET"], route: "products", authLevel: "anonymous", handler: http.listProducts });
app.http("getProduct", { methods: ["GET"], route: "products/{sku}", authLevel: "anonymous", handler: http.getProduct });
app.http("putProduct", { methods: ["PUT"], route: "products/{sku}", authLevel: "anonymous", handler: http.putProduct });
app.http("health", { methods: ["GET"], route: "health", authLevel: "anonymous", handler: http.health });
