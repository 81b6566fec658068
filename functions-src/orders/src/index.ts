/**
 * Entry of the orders Function App: registers its functions (v4 programming model) at module load.
 *
 * Only names and access load here: the host waits for the registrations on every cold start. The
 * handlers (zod, the schemas, the service's code) load on the first call that needs them, the SDKs
 * (Cosmos DB, Storage, identity) with ./deps; the health route needs neither.
 */
import { type HttpHandler, app } from "@azure/functions";
import { ORDER_STATUS_QUEUE } from "../../shared/contracts/names";
import { settingNames } from "../../shared/manifest";
import { deferredHttp, registerHttp } from "../../shared/caller";
import { healthHandler } from "../../shared/health";
import { lazyAsync } from "../../shared/util";
import manifest from "../service";
import { ORDERS_ACCESS } from "./access";
import type { OrdersHandlers } from "./handlers";

const deps = lazyAsync(async () => (await import("./deps.js")).ordersDeps(process.env));
const handlers = lazyAsync(async () => (await import("./handlers.js")).ordersHandlers(deps));
const deferred = (name: Exclude<keyof OrdersHandlers, "health">): HttpHandler => deferredHttp(ORDERS_ACCESS[name], async () => (await handlers())[name]);
const statusUpdates = lazyAsync(async () => (await import("./status-updates.js")).statusUpdatesHandler(deps));

// Anonymous at the function level: callers come through the gateway (which validates their token)
// and the app is locked to it by the infrastructure; function keys would be shared secrets. Each
// handler declares its role and checks the caller the gateway forwards (shared/caller.ts).
const route = (name: string, options: Parameters<typeof registerHttp>[2]): void => registerHttp(manifest.http.roles, name, options);
route("createOrder", { methods: ["POST"], route: "orders", authLevel: "anonymous", handler: deferred("createOrder") });
route("listOrders", { methods: ["GET"], route: "customers/{customerId}/orders", authLevel: "anonymous", handler: deferred("listOrders") });
route("getOrder", { methods: ["GET"], route: "customers/{customerId}/orders/{orderId}", authLevel: "anonymous", handler: deferred("getOrder") });
route("cancelOrder", {
  methods: ["POST"],
  route: "customers/{customerId}/orders/{orderId}/cancel",
  authLevel: "anonymous",
  handler: deferred("cancelOrder"),
});
route("deleteOrder", { methods: ["DELETE"], route: "customers/{customerId}/orders/{orderId}", authLevel: "anonymous", handler: deferred("cancelOrder") });
route("health", { methods: ["GET"], route: "health", authLevel: "anonymous", handler: healthHandler(manifest.name) });

app.storageQueue("applyStatusReport", {
  queueName: ORDER_STATUS_QUEUE,
  connection: settingNames.queuesConnection,
  handler: async (message, context) => (await statusUpdates())(message, context),
});

// Sends announcements whose sender died or failed (see outbox.ts); cheap when there is nothing to do.
app.timer("relayOutbox", {
  schedule: "0 */1 * * * *",
  runOnStartup: false,
  handler: async (_timer, context) => {
    const [{ relayOutbox }, outboxDeps] = await Promise.all([import("./outbox.js"), deps()]);
    await relayOutbox(outboxDeps, context);
  },
});
