/**
 * Entry of the orders Function App: registers its functions (v4 programming model) at module load.
 * SDK clients are built on first use from app settings (deps.ts), once per process.
 */
import { app } from "@azure/functions";
import { ORDER_STATUS_QUEUE } from "../../shared/contracts/order-status";
import { settingNames } from "../../shared/manifest";
import { registerHttp } from "../../shared/caller";
import { lazyAsync } from "../../shared/util";
import manifest from "../service";
import { ordersHandlers } from "./handlers";
import { relayOutbox } from "./outbox";
import { statusUpdatesHandler } from "./status-updates";

// The SDKs (Cosmos DB, Storage, identity) load with ./deps when a function first needs them, not while
// the host waits for registration; the health route never loads them.
const deps = lazyAsync(async () => (await import("./deps.js")).ordersDeps(process.env));
const http = ordersHandlers(deps);

// Anonymous at the function level: callers come through the gateway (which validates their token)
// and the app is locked to it by the infrastructure; function keys would be shared secrets. Each
// handler declares its role and checks the caller the gateway forwards (shared/caller.ts).
const route = (name: string, options: Parameters<typeof registerHttp>[2]): void => registerHttp(manifest.http.roles, name, options);
route("createOrder", { methods: ["POST"], route: "orders", authLevel: "anonymous", handler: http.createOrder });
route("listOrders", { methods: ["GET"], route: "customers/{customerId}/orders", authLevel: "anonymous", handler: http.listOrders });
route("getOrder", { methods: ["GET"], route: "customers/{customerId}/orders/{orderId}", authLevel: "anonymous", handler: http.getOrder });
route("cancelOrder", {
  methods: ["POST"],
  route: "customers/{customerId}/orders/{orderId}/cancel",
  authLevel: "anonymous",
  handler: http.cancelOrder,
});
route("deleteOrder", { methods: ["DELETE"], route: "customers/{customerId}/orders/{orderId}", authLevel: "anonymous", handler: http.cancelOrder });
route("health", { methods: ["GET"], route: "health", authLevel: "anonymous", handler: http.health });

app.storageQueue("applyStatusReport", {
  queueName: ORDER_STATUS_QUEUE,
  connection: settingNames.queuesConnection,
  handler: statusUpdatesHandler(deps),
});

// Sends announcements whose sender died or failed (see outbox.ts); cheap when there is nothing to do.
app.timer("relayOutbox", {
  schedule: "0 */1 * * * *",
  runOnStartup: false,
  handler: async (_timer, context) => {
    await relayOutbox(await deps(), context);
  },
});
